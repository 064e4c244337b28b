from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content.tests.factories import make_creator
from fanclub.creators import services
from fanclub.creators.models import CreatorProfile, LegalIdentity, Membership, Tier

pytestmark = pytest.mark.django_db
GB_IP = "81.2.69.160"  # in the bundled iptocc database: GB


def _client(user=None, **extra) -> Client:
    client = Client(**extra)
    if user is not None:
        client.force_login(user)
    return client


def test_a_fan_becomes_a_creator(make_user):
    fan = make_user(handle="newbie")

    response = _client(fan).post(
        "/api/v1/me/creator",
        {"displayName": "New Bie", "archetype": "artist"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["displayName"] == "New Bie"
    fan.refresh_from_db()
    assert fan.role == "creator"
    assert CreatorProfile.objects.get(pk=fan.pk).archetype == "artist"
    again = _client(fan).post("/api/v1/me/creator", {"displayName": "X"}, content_type="application/json")
    assert again.status_code == 409


def test_moderators_cannot_become_creators_and_nothing_changes(make_user):
    moderator = make_user(role="moderator", handle="modx")

    response = _client(moderator).post(
        "/api/v1/me/creator", {"displayName": "M"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert CreatorProfile.objects.count() == 0


def test_legal_identity_is_private(make_user):
    creator = make_creator(make_user, "lena")
    owner = _client(creator)
    saved = owner.put(
        "/api/v1/me/creator/legal",
        {"legalName": "Magdalena Secretname", "country": "de", "taxId": "DE-TAX-123"},
        content_type="application/json",
    )
    assert saved.status_code == 200
    assert owner.get("/api/v1/me/creator/legal").json()["legalName"] == "Magdalena Secretname"

    fan = make_user(handle="fan")
    public = [
        _client().get("/api/v1/creators/lena"),
        _client(fan).get("/api/v1/creators/lena"),
        _client(fan).get("/api/v1/creators/lena/tiers"),
        _client().get("/api/v1/creators"),
        _client().get("/c/lena/"),
        owner.get("/api/v1/me/creator"),
    ]
    for response in public:
        assert response.status_code == 200
        assert b"Secretname" not in response.content and b"DE-TAX-123" not in response.content
    assert _client(fan).get("/api/v1/me/creator/legal").status_code == 403
    assert LegalIdentity.objects.get().country == "DE"


def test_update_profile_validates_boundaries_links_and_countries(make_user):
    creator = make_creator(make_user, "lena")
    client = _client(creator)

    ok = client.patch(
        "/api/v1/me/creator",
        {
            "bio": "Hi",
            "links": [{"label": "site", "url": "https://example.com"}],
            "boundaries": {"does": ["photos"], "doesNot": ["explicit"]},
            "blockedCountries": ["gb", "US"],
            "maskedMode": True,
        },
        content_type="application/json",
    )
    bad = client.patch(
        "/api/v1/me/creator", {"links": [{"url": "javascript:alert(1)"}]}, content_type="application/json"
    )

    assert ok.status_code == 200, ok.content
    assert ok.json()["blockedCountries"] == ["GB", "US"]
    assert ok.json()["boundaries"] == {"does": ["photos"], "doesNot": ["explicit"]}
    assert bad.status_code == 422
    assert CreatorProfile.objects.get().links == [{"label": "site", "url": "https://example.com"}]


def test_geo_blocked_visitors_see_the_profile_as_unavailable(make_user):
    creator = make_creator(make_user, "lena", blocked_countries=["GB"])

    blocked_api = _client(REMOTE_ADDR=GB_IP).get("/api/v1/creators/lena")
    blocked_posts = _client(REMOTE_ADDR=GB_IP).get("/api/v1/creators/lena/posts")
    blocked_page = _client(REMOTE_ADDR=GB_IP).get("/c/lena/")
    allowed = _client(REMOTE_ADDR="8.8.8.8").get("/api/v1/creators/lena")
    owner = _client(creator, REMOTE_ADDR=GB_IP).get("/api/v1/creators/lena")

    assert blocked_api.status_code == blocked_posts.status_code == 451
    assert blocked_api.json()["error"]["code"] == "geo_blocked"
    assert blocked_page.status_code == 451
    assert allowed.status_code == 200 and owner.status_code == 200


def test_tiers_crud(make_user):
    creator = make_creator(make_user, "lena")
    client = _client(creator)

    created = client.post(
        "/api/v1/me/creator/tiers",
        {
            "name": "Gold",
            "priceMinor": 999,
            "currency": "EUR",
            "benefits": "All posts",
            "memberCap": 2,
            "welcomeMessage": "Welcome!",
        },
        content_type="application/json",
    )
    tier_id = created.json()["id"]
    updated = client.patch(
        f"/api/v1/me/creator/tiers/{tier_id}", {"priceMinor": 1299}, content_type="application/json"
    )
    duplicate = client.post(
        "/api/v1/me/creator/tiers", {"name": "gold", "priceMinor": 5}, content_type="application/json"
    )
    public = _client().get("/api/v1/creators/lena/tiers").json()

    assert created.status_code == 201 and updated.json()["priceMinor"] == 1299
    assert duplicate.status_code == 409
    assert public == [
        {
            "id": tier_id,
            "name": "Gold",
            "priceMinor": 1299,
            "currency": "EUR",
            "benefits": "All posts",
            "memberCap": 2,
            "spotsLeft": 2,
            "position": 0,
        }
    ]
    assert "welcomeMessage" not in public[0]
    assert client.delete(f"/api/v1/me/creator/tiers/{tier_id}").status_code == 204
    assert _client().get("/api/v1/creators/lena/tiers").json() == []


def test_other_creator_cannot_touch_my_tier_and_nothing_changes(make_user):
    creator = make_creator(make_user, "lena")
    other = make_creator(make_user, "otto")
    tier = services.tier_create(user=creator, name="Gold", price_minor=999)

    patch = _client(other).patch(
        f"/api/v1/me/creator/tiers/{tier.pk}", {"priceMinor": 1}, content_type="application/json"
    )
    delete = _client(other).delete(f"/api/v1/me/creator/tiers/{tier.pk}")

    assert patch.status_code == delete.status_code == 404
    tier.refresh_from_db()
    assert (tier.price_minor, tier.is_archived) == (999, False)


def test_comp_membership_grant_respects_the_cap_and_one_active_per_fan(make_user):
    creator = make_creator(make_user, "lena")
    tier = services.tier_create(user=creator, name="Gold", price_minor=999, member_cap=1)
    fan, other = make_user(handle="fan1"), make_user(handle="fan2")
    client = _client(creator)

    first = client.post(
        "/api/v1/me/creator/members",
        {"fanHandle": "fan1", "tierId": tier.pk},
        content_type="application/json",
    )
    again = client.post(
        "/api/v1/me/creator/members",
        {"fanHandle": "fan1", "tierId": tier.pk},
        content_type="application/json",
    )
    full = client.post(
        "/api/v1/me/creator/members",
        {"fanHandle": "fan2", "tierId": tier.pk},
        content_type="application/json",
    )

    assert first.status_code == 201 and first.json()["welcomeMessage"] == ""
    assert again.status_code == 201 and Membership.objects.filter(fan=fan, status="active").count() == 1
    assert full.status_code == 409 and not Membership.objects.filter(fan=other).exists()
    assert _client(fan).get("/api/v1/me/memberships").json()["items"][0]["tierName"] == "Gold"
    assert client.delete("/api/v1/me/creator/members/fan1").status_code == 204
    assert Membership.objects.get(fan=fan).status == "cancelled"
    assert Tier.objects.count() == 1
