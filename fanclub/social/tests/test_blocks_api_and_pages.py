"""Blocks and mutes through the API and pages; a block hides comments both ways."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content import services as content_services
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.core.errors import ApiError
from fanclub.social import services
from fanclub.social.models import Block, Follow, Mute

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_block_and_unblock_by_handle_through_the_api(make_user):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    services.follow_create(follower=fan, creator=creator)
    client = _client(fan)

    response = client.post("/api/v1/users/LENA/block")
    assert (response.status_code, response.json()) == (200, {"handle": "lena", "blocked": True})
    assert Block.objects.filter(blocker=fan, blocked=creator).exists()
    assert not Follow.objects.exists()
    assert client.post("/api/v1/users/lena/block").status_code == 200  # idempotent
    assert client.get("/api/v1/creators/lena").status_code == 404
    assert client.post("/api/v1/creators/lena/follow").status_code == 404

    listed = client.get("/api/v1/me/blocks").json()
    assert [item["handle"] for item in listed["items"]] == ["lena"]
    assert listed["nextCursor"] is None

    response = client.delete("/api/v1/users/lena/block")
    assert (response.status_code, response.json()["blocked"]) == (200, False)
    assert not Block.objects.exists()
    assert client.get("/api/v1/creators/lena").status_code == 200


def test_block_errors_unknown_user_and_self(make_user):
    fan = make_user(handle="fan")
    client = _client(fan)
    response = client.post("/api/v1/users/nobody/block")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    response = client.post("/api/v1/users/fan/block")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "block_self")
    assert client.post("/api/v1/users/fan/mute").status_code == 409
    assert not Block.objects.exists() and not Mute.objects.exists()
    assert _client().post("/api/v1/users/fan/block").status_code == 401


def test_mute_and_unmute_and_cursor_paginated_lists(make_user, django_assert_max_num_queries):
    fan = make_user(handle="fan")
    others = [make_user(handle=f"other{n}") for n in range(5)]
    client = _client(fan)
    for other in others:
        assert client.post(f"/api/v1/users/{other.handle}/mute").json() == {
            "handle": other.handle,
            "muted": True,
        }
    client.get("/api/v1/me/mutes")
    with django_assert_max_num_queries(5):  # session, user, device session (+touch), one page
        first = client.get("/api/v1/me/mutes", {"limit": 3}).json()
    second = client.get("/api/v1/me/mutes", {"limit": 3, "cursor": first["nextCursor"]}).json()
    handles = [item["handle"] for item in first["items"] + second["items"]]
    assert handles == [f"other{n}" for n in reversed(range(5))]
    assert second["nextCursor"] is None
    assert client.delete("/api/v1/users/other0/mute").json()["muted"] is False
    assert Mute.objects.filter(muter=fan).count() == 4


def test_comments_by_users_in_a_block_are_hidden_both_ways(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, text="public", access="public")
    fan = make_user(handle="fan")
    troll = make_user(handle="troll")
    top = content_services.comment_create(user=troll, post_id=post.pk, text="troll here")
    content_services.comment_create(user=fan, post_id=post.pk, text="fan reply", parent_id=top.pk)
    content_services.comment_create(user=fan, post_id=post.pk, text="fan top")
    services.block_create(blocker=fan, blocked=troll)

    def texts(user):
        items = _client(user).get(f"/api/v1/posts/{post.pk}/comments").json()["items"]
        return [(c["text"], [r["text"] for r in c["replies"]]) for c in items]

    assert texts(fan) == [("fan top", [])]
    assert texts(troll) == [("troll here", [])]  # the blocked side loses the fan's comments too
    assert texts(creator) == [("troll here", ["fan reply"]), ("fan top", [])]
    page = _client(fan).get(f"/p/{post.pk}/").content.decode()
    assert "fan top" in page and "troll here" not in page
    # Replying to a blocked user's comment is refused as if it did not exist.
    with pytest.raises(ApiError) as raised:
        content_services.comment_create(user=fan, post_id=post.pk, text="x", parent_id=top.pk)
    assert raised.value.status == 404


def test_commenting_on_a_blocking_creators_post_is_refused(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, text="public", access="public")
    fan = make_user(handle="fan")
    services.block_create(blocker=creator, blocked=fan)
    response = _client(fan).post(
        f"/api/v1/posts/{post.pk}/comments", {"text": "hi"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert post.comments.count() == 0


def test_settings_page_lists_blocks_and_mutes_and_undoes_them_with_htmx(make_user):
    fan = make_user(handle="fan")
    lena = make_creator(make_user, "lena")
    mark = make_creator(make_user, "mark")
    services.block_create(blocker=fan, blocked=lena)
    services.mute_create(muter=fan, muted=mark)
    client = _client(fan)
    page = client.get("/settings/blocked/").content.decode()
    assert "@lena" in page and "@mark" in page and "Unblock" in page and "Unmute" in page

    response = client.post("/u/lena/block/", {"action": "unblock"}, headers={"HX-Request": "true"})
    assert (response.status_code, response.content) == (200, b"")
    response = client.post(
        "/u/mark/mute/", {"action": "unmute", "from": "settings"}, headers={"HX-Request": "true"}
    )
    assert (response.status_code, response.content) == (200, b"")
    assert not Block.objects.exists() and not Mute.objects.exists()
    assert _client().get("/settings/blocked/").status_code == 302


def test_profile_page_has_block_and_mute_buttons_that_work(make_user):
    make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    client = _client(fan)
    page = client.get("/c/lena/").content.decode()
    assert "/u/lena/mute/" in page and "/u/lena/block/" in page
    response = client.post("/u/lena/mute/", {"next": "/c/lena/"})
    assert (response.status_code, response["Location"]) == (302, "/c/lena/")
    assert "Unmute" in client.get("/c/lena/").content.decode()
    response = client.post("/u/lena/mute/", {"action": "unmute"}, headers={"HX-Request": "true"})
    assert ">Mute<" in response.content.decode()
    response = client.post("/u/lena/block/", {"next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/settings/blocked/")
    assert client.get("/c/lena/").status_code == 404
    assert client.post("/u/nobody/block/").status_code == 404
