"""Nothing leaks: a viewer without access never receives a full-variant URL, from the API or the
pages; losing an entitlement turns an already-signed URL into a 403."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.content import policy, services
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media
from fanclub.creators import services as creator_services
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db
FULL_MARKERS = ("/original", "/display", "/thumb-", "/hls/", "/social.")


@pytest.fixture
def world(make_user):
    creator = make_creator(make_user, "lena")
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=999, currency="USD")
    first = ready_media(creator, png_bytes((10, 200, 10)))
    second = ready_media(creator, png_bytes((10, 10, 200)))
    post = make_post(creator, text="secret caption", media_ids=[first.pk, second.pk], access="subscribers")
    return {
        "creator": creator,
        "tier": tier,
        "post": post,
        "media": [first, second],
        "fan": make_user(handle="fan"),
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _variant_names(item):
    return [variant["name"] for variant in item["variants"]]


@pytest.mark.parametrize("who", ["anonymous", "fan"])
def test_viewer_without_access_gets_only_the_blurred_preview(world, who):
    client = _client(None if who == "anonymous" else world["fan"])

    listing = client.get("/api/v1/creators/lena/posts")
    detail = client.get(f"/api/v1/posts/{world['post'].pk}")

    assert listing.status_code == detail.status_code == 200
    for body in (listing.json()["items"][0], detail.json()):
        assert body["hasAccess"] is False
        assert body["text"] is None
        assert body["media"] == []
        assert body["mediaCount"] == 2
        assert _variant_names(body["preview"]) == ["blurred"]
        assert str(world["media"][0].pk) in body["preview"]["variants"][0]["url"]
        assert body["action"]["kind"] == "subscribe"
        assert body["action"]["priceMinor"] == 999
        assert body["action"]["requiresSignIn"] is (who == "anonymous")
    raw = listing.content.decode() + detail.content.decode()
    assert not any(marker in raw for marker in FULL_MARKERS)
    assert str(world["media"][1].pk) not in raw
    assert "secret caption" not in raw


def test_profile_page_and_post_page_never_show_full_variants(world):
    for client in (_client(), _client(world["fan"])):
        for path in ("/c/lena/", f"/p/{world['post'].pk}/"):
            page = client.get(path)
            html = page.content.decode()
            assert page.status_code == 200, path
            assert "/blurred." in html
            assert not any(marker in html for marker in FULL_MARKERS), path
            assert "secret caption" not in html


def test_subscriber_gets_display_variants_and_never_the_original(world):
    creator_services.membership_grant(creator=world["creator"], fan=world["fan"], tier_id=world["tier"].pk)

    body = _client(world["fan"]).get(f"/api/v1/posts/{world['post'].pk}").json()

    assert body["hasAccess"] is True
    assert body["text"] == "secret caption"
    assert [_variant_names(item) for item in body["media"]] == [["display", "thumb-640"]] * 2
    assert body["preview"] is None and body["action"] is None
    assert "/original" not in json.dumps(body)


def test_owner_sees_every_variant_including_the_original(world):
    body = _client(world["creator"]).get(f"/api/v1/posts/{world['post'].pk}").json()

    assert body["isOwner"] is True
    assert "original" in _variant_names(body["media"][0])


def test_signed_url_answers_403_after_membership_end(world):
    creator_services.membership_grant(creator=world["creator"], fan=world["fan"], tier_id=world["tier"].pk)
    client = _client(world["fan"])
    url = client.get(f"/api/v1/posts/{world['post'].pk}").json()["media"][0]["variants"][0]["url"]
    assert client.get(url).status_code == 200

    creator_services.membership_end(creator=world["creator"], fan=world["fan"])

    denied = client.get(url)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "media_locked"


def test_expired_period_stops_access_without_any_job(world):
    membership = creator_services.membership_grant(
        creator=world["creator"],
        fan=world["fan"],
        tier_id=world["tier"].pk,
        current_period_end=timezone.now() + timedelta(hours=1),
    )
    assert policy.can_view_post_full(world["fan"], world["post"])
    type(membership).objects.filter(pk=membership.pk).update(
        current_period_end=timezone.now() - timedelta(seconds=1)
    )

    assert not policy.can_view_post_full(world["fan"], world["post"])


def test_preview_url_of_a_locked_post_still_works_but_full_url_signed_for_owner_is_not_transferable(world):
    anon = _client()
    preview = anon.get(f"/api/v1/posts/{world['post'].pk}").json()["preview"]["variants"][0]["url"]
    owner_url = (
        _client(world["creator"])
        .get(f"/api/v1/posts/{world['post'].pk}")
        .json()["media"][0]["variants"][0]["url"]
    )

    assert anon.get(preview).status_code == 200
    assert _client(world["fan"]).get(owner_url).status_code == 403  # bound to the owner


def test_rules_followers_tiers_and_ppv(world, make_user):
    creator, fan, tier = world["creator"], world["fan"], world["tier"]
    silver = creator_services.tier_create(user=creator, name="Silver", price_minor=499, currency="USD")
    followers = make_post(creator, access="followers")
    tier_only = make_post(creator, access="tiers", tier_ids=[tier.pk])
    ppv = make_post(creator, access="ppv", price_minor=1500, currency="USD", tier_ids=[tier.pk])
    public = make_post(creator, access="public")

    def sees():
        return {post.pk for post in policy.post_qs_visible_to(user=fan) if post.has_access}

    assert sees() == {public.pk}
    social_services.follow_create(follower=fan, creator=creator)
    assert sees() == {public.pk, followers.pk}
    creator_services.membership_grant(creator=creator, fan=fan, tier_id=silver.pk)
    assert sees() == {public.pk, followers.pk, world["post"].pk}
    services.post_unlock_grant(fan=fan, post=ppv)
    assert sees() == {public.pk, followers.pk, world["post"].pk, ppv.pk}
    other = make_user(handle="other")
    creator_services.membership_grant(creator=creator, fan=other, tier_id=tier.pk)
    assert {p.pk for p in policy.post_qs_visible_to(user=other) if p.has_access} == {
        public.pk,
        followers.pk,
        world["post"].pk,
        tier_only.pk,
        ppv.pk,
    }


def test_ppv_action_shows_price(world):
    ppv = make_post(world["creator"], access="ppv", price_minor=1500, currency="EUR")

    body = _client(world["fan"]).get(f"/api/v1/posts/{ppv.pk}").json()

    assert body["action"] == {
        "kind": "unlock",
        "requiresSignIn": False,
        "priceMinor": 1500,
        "currency": "EUR",
        "tiers": [],
    }


def test_drafts_scheduled_expired_and_deleted_posts_are_invisible_to_others(world):
    creator, fan = world["creator"], world["fan"]
    draft = make_post(creator, publish=False)
    scheduled = make_post(creator, publish=False, publish_at=timezone.now() + timedelta(hours=1))
    expiring = make_post(creator, access="public", expires_at=timezone.now() + timedelta(hours=1))
    deleted = make_post(creator, access="public")
    services.post_delete(user=creator, post_id=deleted.pk)
    Post.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    visible = {post.pk for post in policy.post_qs_visible_to(user=fan)}
    own = {post.pk for post in policy.post_qs_visible_to(user=creator)}

    assert visible == {world["post"].pk}
    assert own == {world["post"].pk, draft.pk, scheduled.pk, expiring.pk}
    for post in (draft, scheduled, expiring, deleted):
        assert _client(world["fan"]).get(f"/api/v1/posts/{post.pk}").status_code == 404


def test_media_of_a_deleted_post_is_no_longer_delivered(world):
    creator_services.membership_grant(creator=world["creator"], fan=world["fan"], tier_id=world["tier"].pk)
    client = _client(world["fan"])
    url = client.get(f"/api/v1/posts/{world['post'].pk}").json()["media"][0]["variants"][0]["url"]

    services.post_delete(user=world["creator"], post_id=world["post"].pk)

    assert client.get(url).status_code == 403
