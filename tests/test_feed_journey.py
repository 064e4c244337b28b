"""Over real HTTP (Django's live server, an HTTP client with cookies and CSRF, as a browser would):
a fan follows two creators, sees their posts newest first in /feed and in the API, blocks one, and
that creator's posts vanish from both."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATE_LIMIT_ENABLED = False
    from django.core.cache import cache

    cache.clear()


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "no CSRF token on " + path
    return match.group(1)


def test_follow_two_creators_see_posts_newest_first_block_one_and_its_posts_vanish(live_server, make_user):
    lena = make_creator(make_user, "lena")
    mark = make_creator(make_user, "mark")
    make_user(handle="fan", password=PASSWORD)
    older = make_post(lena, text="lena older", access="public")
    Post.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(hours=2))
    middle = make_post(mark, text="mark middle", access="followers")
    Post.objects.filter(pk=middle.pk).update(published_at=timezone.now() - timedelta(hours=1))
    newest = make_post(lena, text="lena newest", access="followers")
    locked = make_post(mark, text="mark for subscribers", access="subscribers")
    Post.objects.filter(pk=locked.pk).update(published_at=timezone.now() - timedelta(minutes=30))

    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=30) as client:
        token = _csrf(client, "/accounts/sign-in/")
        signed_in = client.post(
            "/accounts/sign-in/",
            data={"login": "fan@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": live_server.url + "/accounts/sign-in/"},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]

        for handle in ("lena", "mark"):
            token = _csrf(client, f"/c/{handle}/")
            followed = client.post(
                f"/c/{handle}/follow/",
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": f"{live_server.url}/c/{handle}/"},
            )
            assert followed.status_code == 302

        feed = client.get("/feed/")
        assert feed.status_code == 200
        body = feed.text
        positions = [body.index(f'id="post-{post.pk}"') for post in (newest, locked, middle, older)]
        assert positions == sorted(positions), "not newest first"
        assert "lena newest" in body and "mark middle" in body
        assert "mark for subscribers" not in body  # locked: preview and price only

        api = client.get("/api/v1/feed").json()
        assert [item["id"] for item in api["items"]] == [newest.pk, locked.pk, middle.pk, older.pk]
        assert [item["hasAccess"] for item in api["items"]] == [True, False, True, True]

        token = _csrf(client, "/c/mark/")
        blocked = client.post(
            "/u/mark/block/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{live_server.url}/c/mark/"},
        )
        assert (blocked.status_code, blocked.headers["location"]) == (302, "/settings/blocked/")

        body = client.get("/feed/").text
        assert f'id="post-{newest.pk}"' in body and f'id="post-{older.pk}"' in body
        assert f'id="post-{middle.pk}"' not in body and f'id="post-{locked.pk}"' not in body
        assert [item["id"] for item in client.get("/api/v1/feed").json()["items"]] == [newest.pk, older.pk]
        assert "@mark" in client.get("/settings/blocked/").text
