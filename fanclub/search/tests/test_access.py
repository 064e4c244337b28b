"""Access policy on every search path: the API (search, suggest, tag and category lists) and the
pages (results, suggestions, tag and category pages). Locked text never leaks; blocks hide both
ways; geo-blocks, drafts, scheduled, deleted posts and inactive creators are never found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.content import services as content_services
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media
from fanclub.creators import services as creator_services
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db
GB_IP = "81.2.69.160"  # GB in the bundled iptocc database
US_IP = "8.8.8.8"


def _client(user=None, **extra) -> Client:
    client = Client(**extra)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(make_user):
    creator = make_creator(make_user, "lena", display_name="Lena Rossi", bio="Beach photographer")
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=999, currency="USD")
    media = ready_media(creator, png_bytes())
    locked = make_post(
        creator, text="zanzibar sunrise secrets", tags=["beach"], category="photo", media_ids=[media.pk]
    )
    ppv = make_post(
        creator, text="zanzibar bonus", tags=["beach"], access="ppv", price_minor=700, currency="USD"
    )
    public = make_post(creator, text="free zanzibar postcard", tags=["beach"], access="public")
    return {
        "creator": creator,
        "tier": tier,
        "locked": locked,
        "ppv": ppv,
        "public": public,
        "fan": make_user(handle="fan"),
    }


# Every search path, as (url, how to read the found creator handles / post ids from the response).
def _api_found(client: Client, q: str) -> tuple[set[str], set[int]]:
    body = client.get("/api/v1/search", {"q": q}).json()
    return {item["handle"] for item in body["creators"]}, {item["id"] for item in body["posts"]}


def _paths(world) -> list[str]:
    return [
        "/api/v1/search?q=lena",
        "/api/v1/search?q=beach&type=posts",
        "/api/v1/search/suggest?q=lena",
        "/api/v1/search/suggest?q=bea",
        "/api/v1/tags/beach/posts",
        "/api/v1/categories/photo/posts",
        "/search/?q=lena",
        "/search/?q=beach&type=posts",
        "/search/suggest/?q=lena",
        "/search/suggest/?q=bea",
        "/tags/beach/",
        "/categories/photo/",
    ]


def test_every_path_finds_the_creator_and_posts_for_a_fan(world):
    client = _client(world["fan"])
    for path in _paths(world):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        # A creator link or handle, or (suggesting tags) the tag itself.
        assert any(mark in text for mark in ("/c/lena/", '"lena"', '"tag":"beach"', 'href="/tags/beach/"')), (
            path
        )


def test_locked_post_found_by_its_labels_never_by_its_text(world):
    for client in (_client(), _client(world["fan"])):
        assert _api_found(client, "zanzibar") == (set(), {world["public"].pk})
        body = client.get("/api/v1/search", {"q": "beach", "type": "posts"}).json()
        found = {item["id"]: item for item in body["posts"]}
        assert set(found) == {world["locked"].pk, world["ppv"].pk, world["public"].pk}
        for post in ("locked", "ppv"):
            card = found[world[post].pk]
            assert (card["hasAccess"], card["text"], card["snippet"]) == (False, None, None)
            assert card["preview"] is not None or post == "ppv"
        assert found[world["ppv"].pk]["action"]["priceMinor"] == 700
        page = client.get("/search/", {"q": "beach", "type": "posts"}).content.decode()
        for response_text in (str(body), page):
            assert "secrets" not in response_text
            assert "bonus" not in response_text
        assert "🔒" in page


def test_subscriber_finds_the_locked_text_with_an_excerpt(world):
    creator_services.membership_grant(creator=world["creator"], fan=world["fan"], tier_id=world["tier"].pk)
    client = _client(world["fan"])
    assert _api_found(client, "secrets") == (set(), {world["locked"].pk})
    (card,) = client.get("/api/v1/search", {"q": "secrets", "type": "posts"}).json()["posts"]
    assert card["hasAccess"] is True
    assert "secrets" in card["snippet"]
    assert "<mark>secrets</mark>" in client.get("/search/", {"q": "secrets"}).content.decode()


@pytest.mark.parametrize("direction", ["creator_blocks_fan", "fan_blocks_creator"])
def test_a_block_either_way_hides_everything(world, direction):
    fan, creator = world["fan"], world["creator"]
    if direction == "creator_blocks_fan":
        social_services.block_create(blocker=creator, blocked=fan)
    else:
        social_services.block_create(blocker=fan, blocked=creator)
    client = _client(fan)
    assert _api_found(client, "lena") == (set(), set())
    assert _api_found(client, "beach") == (set(), set())
    assert client.get("/api/v1/search/suggest", {"q": "len"}).json() == {
        "creators": [],
        "tags": [],
        "correction": None,
    }
    assert client.get("/api/v1/search/suggest", {"q": "bea"}).json() == {
        "creators": [],
        "tags": [],
        "correction": None,
    }
    assert client.get("/api/v1/tags/beach/posts").json()["items"] == []
    assert client.get("/api/v1/categories/photo/posts").json()["items"] == []
    for path in ("/search/?q=lena", "/search/suggest/?q=lena", "/tags/beach/", "/categories/photo/"):
        page = client.get(path).content.decode()
        assert "Lena Rossi" not in page and "/c/lena/" not in page, path
    # Everyone else still finds them.
    assert _api_found(_client(), "lena") == ({"lena"}, set())


def test_geo_blocked_country_finds_nothing(world):
    creator_services.creator_profile_update(user=world["creator"], blocked_countries=["GB"])
    for user in (None, world["fan"]):
        blocked = _client(user, REMOTE_ADDR=GB_IP)
        assert _api_found(blocked, "lena") == (set(), set())
        assert _api_found(blocked, "beach") == (set(), set())
        assert blocked.get("/api/v1/search/suggest", {"q": "len"}).json() == {
            "creators": [],
            "tags": [],
            "correction": None,
        }
        assert blocked.get("/api/v1/tags/beach/posts").json()["items"] == []
        assert "/c/lena/" not in blocked.get("/search/?q=lena").content.decode()
        assert "/c/lena/" not in blocked.get("/tags/beach/").content.decode()
        allowed = _client(user, REMOTE_ADDR=US_IP)
        assert _api_found(allowed, "lena")[0] == {"lena"}
    # The creator still finds themself from a country they block.
    assert _api_found(_client(world["creator"], REMOTE_ADDR=GB_IP), "lena")[0] == {"lena"}


def test_drafts_scheduled_and_deleted_posts_are_never_found(world, make_user):
    creator = world["creator"]
    draft = make_post(creator, text="quokka draft", tags=["quokka"], access="public", publish=False)
    scheduled = make_post(
        creator,
        text="quokka later",
        tags=["quokka"],
        access="public",
        publish=False,
        publish_at=timezone.now() + timedelta(days=1),
    )
    deleted = make_post(creator, text="quokka gone", tags=["quokka"], access="public")
    content_services.post_delete(user=creator, post_id=deleted.pk)
    assert {draft.state, scheduled.state} == {"draft", "scheduled"}
    for client in (_client(), _client(world["fan"]), _client(creator)):  # the author too
        assert _api_found(client, "quokka") == (set(), set())
        assert client.get("/api/v1/tags/quokka/posts").json()["items"] == []
        assert client.get("/api/v1/search/suggest", {"q": "quok"}).json()["tags"] == []


def test_inactive_creators_and_their_posts_are_never_found(world):
    world["creator"].is_active = False
    world["creator"].save(update_fields=["is_active"])
    client = _client(world["fan"])
    assert _api_found(client, "lena") == (set(), set())
    assert _api_found(client, "zanzibar") == (set(), set())
    assert client.get("/api/v1/search/suggest", {"q": "len"}).json()["creators"] == []
    assert client.get("/api/v1/tags/beach/posts").json()["items"] == []


def test_fans_are_not_creators(world, make_user):
    make_user(handle="lena.fan")  # a fan account: not a creator, never listed
    assert _api_found(_client(), "lena")[0] == {"lena"}
