"""Deck, explore and rankings through the access policy: locked, blocked both ways, geo-blocked,
and a cache that holds ids only (it never leaks a locked or blocked item)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.community import rankings, services
from fanclub.community.models import EngagementEvent, ImageVote, Swipe
from fanclub.community.scoring import Weights
from fanclub.community.tests.factories import make_scene
from fanclub.content import services as content_services
from fanclub.creators import services as creator_services
from fanclub.social import services as social_services

W = Weights()
GERMAN_IP = "5.9.0.1"  # iptocc: DE


def _client(user=None, ip="127.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


def _refresh():
    now = timezone.now() + timedelta(seconds=1)
    rankings.rankings_refresh(now=now, weights=W)


def _voted_scene(make_user):
    scene = make_scene(make_user)
    voter = make_user(handle="voter")
    content_services.post_unlock_grant(fan=voter, post=scene.locked_post)
    services.post_vote_set(user=voter, post_id=scene.public_post.pk, value=1)
    services.post_vote_set(user=voter, post_id=scene.locked_post.pk, value=1)
    _refresh()
    return scene


def test_deck_offers_full_images_and_only_the_locked_posts_preview(make_user):
    scene = make_scene(make_user)
    response = _client(scene.fan).get("/api/v1/deck?limit=10")
    assert response.status_code == 200
    cards = response.json()["items"]
    by_media = {card["mediaId"]: card for card in cards}
    assert set(by_media) == {str(m.pk) for m in scene.public_media} | {str(scene.locked_media[0].pk)}
    locked = by_media[str(scene.locked_media[0].pk)]
    assert locked["hasAccess"] is False and locked["text"] is None
    assert [v["name"] for v in locked["variants"]] == ["blurred"]
    assert locked["action"]["kind"] == "unlock" and locked["action"]["priceMinor"] == 500
    full = by_media[str(scene.public_media[0].pk)]
    assert {v["name"] for v in full["variants"]} == {"display", "thumb-640"}
    # the creator never sees their own images in the deck
    assert _client(scene.creator).get("/api/v1/deck").json()["items"] == []


def test_swipe_like_upvotes_full_images_pass_does_not_and_cards_leave_the_deck(make_user):
    scene = make_scene(make_user)
    client = _client(scene.fan)
    first, second = scene.public_media
    liked = client.post(f"/api/v1/deck/{first.pk}/swipe", {"action": "like"}, content_type="application/json")
    assert liked.status_code == 200 and liked.json()["upvoted"] is True
    locked = client.post(
        f"/api/v1/deck/{scene.locked_media[0].pk}/swipe", {"action": "like"}, content_type="application/json"
    )
    assert locked.status_code == 200 and locked.json()["upvoted"] is False  # votes need full access
    passed = client.post(
        f"/api/v1/deck/{second.pk}/swipe", {"action": "pass"}, content_type="application/json"
    )
    assert passed.status_code == 200
    again = client.post(
        f"/api/v1/deck/{second.pk}/swipe", {"action": "like"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_swiped"
    hidden = client.post(
        f"/api/v1/deck/{scene.locked_media[1].pk}/swipe", {"action": "like"}, content_type="application/json"
    )
    assert hidden.status_code == 404  # not the locked post's preview: not a card for this fan
    assert client.get("/api/v1/deck").json()["items"] == []
    assert list(ImageVote.objects.values_list("attachment__media_id", "value")) == [(first.pk, 1)]
    assert Swipe.objects.filter(user=scene.fan).count() == 3
    kinds = sorted(EngagementEvent.objects.filter(user=scene.fan).values_list("kind", flat=True))
    assert kinds == ["image_vote", "swipe_like", "swipe_like", "swipe_pass"]


@pytest.mark.parametrize("direction", ["creator_blocks_fan", "fan_blocks_creator"])
def test_blocks_hide_everything_both_ways(make_user, direction):
    scene = _voted_scene(make_user)
    if direction == "creator_blocks_fan":
        social_services.block_create(blocker=scene.creator, blocked=scene.fan)
    else:
        social_services.block_create(blocker=scene.fan, blocked=scene.creator)
    client = _client(scene.fan)
    assert client.get("/api/v1/deck").json()["items"] == []
    assert client.get("/api/v1/explore/trending").json()["items"] == []
    assert client.get("/api/v1/rankings?window=day&sort=top").json()["items"] == []
    assert client.get("/api/v1/explore/creators").json() == []
    assert client.get("/api/v1/creators/artist/badges").status_code == 404
    page = client.get("/rankings/?window=day&sort=top").content.decode()
    assert "public set" not in page and f'id="post-{scene.public_post.pk}"' not in page
    swipe = client.post(
        f"/api/v1/deck/{scene.public_media[0].pk}/swipe", {"action": "like"}, content_type="application/json"
    )
    assert swipe.status_code == 404


def test_geo_blocked_viewers_see_nothing_of_the_creator(make_user):
    scene = _voted_scene(make_user)
    creator_services.creator_profile_update(user=scene.creator, blocked_countries=["DE"])
    german = _client(scene.fan, ip=GERMAN_IP)
    assert german.get("/api/v1/deck").json()["items"] == []
    assert german.get("/api/v1/explore/trending").json()["items"] == []
    assert german.get("/api/v1/rankings?window=day&sort=top").json()["items"] == []
    assert len(_client(scene.fan).get("/api/v1/rankings?window=day&sort=top").json()["items"]) == 2


def test_cache_holds_ids_only_locked_stays_locked_for_each_viewer(make_user, django_assert_max_num_queries):
    scene = _voted_scene(make_user)
    buyer = make_user(handle="buyer")
    content_services.post_unlock_grant(fan=buyer, post=scene.locked_post)
    # The buyer fills the cache first; an anonymous visitor and the fan then read the same entry.
    unlocked = _client(buyer).get("/api/v1/rankings?window=day&sort=top").json()["items"]
    assert {item["id"]: item["hasAccess"] for item in unlocked} == {
        scene.public_post.pk: True,
        scene.locked_post.pk: True,
    }
    for client in (_client(), _client(scene.fan)):
        items = client.get("/api/v1/rankings?window=day&sort=top").json()["items"]
        locked = next(item for item in items if item["id"] == scene.locked_post.pk)
        assert locked["hasAccess"] is False and locked["text"] is None and locked["media"] == []
        assert [v["name"] for v in locked["preview"]["variants"]] == ["blurred"]
        assert locked["action"]["priceMinor"] == 500
        trending = client.get("/api/v1/explore/trending").json()["items"]
        assert next(i for i in trending if i["id"] == scene.locked_post.pk)["hasAccess"] is False
    # A block after the cache was filled still hides the creator's posts from the fan at once.
    social_services.block_create(blocker=scene.creator, blocked=scene.fan)
    assert _client(scene.fan).get("/api/v1/rankings?window=day&sort=top").json()["items"] == []
    assert _client(scene.fan).get("/api/v1/explore/trending").json()["items"] == []


def test_new_snapshot_invalidates_cached_rankings(make_user, django_capture_on_commit_callbacks):
    scene = _voted_scene(make_user)
    client = _client(scene.fan)
    before = [i["id"] for i in client.get("/api/v1/rankings?window=day&sort=top").json()["items"]]
    assert before == [scene.locked_post.pk, scene.public_post.pk]  # equal score: higher id first
    other = make_user(handle="booster")
    services.post_vote_set(user=other, post_id=scene.public_post.pk, value=1)
    assert [
        i["id"] for i in client.get("/api/v1/rankings?window=day&sort=top").json()["items"]
    ] == before  # cached
    with django_capture_on_commit_callbacks(execute=True):  # the bump runs after the snapshot commits
        _refresh()
    after = [i["id"] for i in client.get("/api/v1/rankings?window=day&sort=top").json()["items"]]
    assert after == [scene.public_post.pk, scene.locked_post.pk]


def test_list_endpoints_have_constant_query_budgets(make_user, django_assert_max_num_queries):
    scene = _voted_scene(make_user)
    client = _client(scene.fan)
    client.get("/api/v1/rankings?window=day")  # warm the session and the cache
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/rankings?window=day&sort=top").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/explore/trending").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/deck").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/rankings?window=year", 422),
        ("/api/v1/rankings?category=nope", 422),
        ("/api/v1/rankings?cursor=abc", 400),
        ("/api/v1/explore/trending?category=nope", 422),
        ("/api/v1/rankings?period=2026-13-01", 422),
    ],
)
def test_bad_parameters_get_clear_errors(make_user, path, status):
    response = _client().get(path)
    assert response.status_code == status
    assert "error" in response.json()


def test_pages_render(make_user):
    scene = _voted_scene(make_user)
    client = _client(scene.fan)
    explore = client.get("/explore/")
    assert explore.status_code == 200 and f'id="post-{scene.locked_post.pk}"' in explore.content.decode()
    page = client.get("/rankings/?window=day&sort=top&category=photo").content.decode()
    assert "secret set" not in page  # locked: no text
    assert f'id="post-{scene.public_post.pk}"' in page and "public set" in page
    assert client.get("/swipe/").status_code == 200
    assert _client().get("/swipe/").status_code == 302
