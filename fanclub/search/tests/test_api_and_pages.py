"""The search API and pages: bad input in the standard error shape, pagination, query budgets,
htmx partials, and the end-to-end path "fan searches 'lenna', finds @lena, opens the profile"."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fanclub.content.tests.factories import make_creator, make_post

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code
    assert set(body) == {"code", "message", "details", "requestId", "timestamp"}
    return body


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/search", {}, 422, "query_empty"),
        ("/api/v1/search", {"q": "   "}, 422, "query_empty"),
        ("/api/v1/search", {"q": "x" * 101}, 422, "query_too_long"),
        ("/api/v1/search/suggest", {"q": ""}, 422, "query_empty"),
        ("/api/v1/search/suggest", {"q": "x" * 101}, 422, "query_too_long"),
        ("/api/v1/search", {"q": "lena", "type": "people"}, 422, "validation_error"),
        ("/api/v1/search", {"q": "lena", "cursor": "eyJvIjoyMCwiZiI6MH0"}, 422, "validation_error"),
        ("/api/v1/search", {"q": "lena", "type": "posts", "cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        (
            "/api/v1/search",
            {"q": "lena", "type": "posts", "cursor": "eyJvIjo5OTk5LCJmIjowfQ"},
            400,
            "invalid_cursor",
        ),
        ("/api/v1/search", {"q": "lena", "limit": 0}, 422, "validation_error"),
        ("/api/v1/search", {"q": "lena", "limit": 51}, 422, "validation_error"),
        ("/api/v1/tags/NOT A TAG!/posts", {}, 404, "not_found"),
        ("/api/v1/categories/nope/posts", {}, 404, "not_found"),
        ("/api/v1/tags/beach/posts", {"cursor": "zzz"}, 400, "invalid_cursor"),
        ("/api/v1/tags/beach/posts", {"limit": 101}, 422, "validation_error"),
    ],
)
def test_bad_input_is_a_clear_4xx(path, params, status, code):
    _error(_client().get(path, params), status, code)


def test_bad_input_on_pages_is_a_friendly_page():
    client = _client()
    assert client.get("/search/").status_code == 200  # the empty search page
    too_long = client.get("/search/", {"q": "x" * 101})
    assert too_long.status_code == 422
    assert "at most 100 characters" in too_long.content.decode()
    forged = client.get("/search/", {"q": "lena", "type": "posts", "cursor": "zzz"})
    assert forged.status_code == 400
    assert client.get("/search/suggest/", {"q": ""}).content.decode().strip() == ""
    assert client.get("/tags/NOT%20A%20TAG/").status_code == 404
    assert client.get("/categories/nope/").status_code == 404
    assert client.get("/categories/photo/").status_code == 200
    assert client.get("/tags/unused-tag/").status_code == 200


@pytest.fixture
def many(make_user):
    """Three creators matching "lena", 25 public posts tagged "sun"."""
    creators = [make_creator(make_user, f"lena{index}", display_name=f"Lena {index}") for index in range(3)]
    posts = [
        make_post(creators[index % 3], text=f"sunny day {index}", tags=["sun"], access="public")
        for index in range(25)
    ]
    return creators, posts


def test_search_pages_through_every_result_once(many):
    _, posts = many
    client = _client()
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "sun", "type": "posts", "limit": 10, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/search", params).json()
        seen += [item["id"] for item in body["posts"]]
        cursor, pages = body["postsNextCursor"], pages + 1
        if not cursor:
            break
    assert pages == 3
    assert sorted(seen) == sorted(post.pk for post in posts)
    assert len(seen) == len(set(seen))


def test_tag_and_category_lists_are_newest_first_with_cursor(many, make_user):
    _, posts = many
    creator = make_creator(make_user, "photog")
    photos = [make_post(creator, text=f"p{index}", category="photo", access="public") for index in range(3)]
    client = _client()
    first = client.get("/api/v1/tags/sun/posts", {"limit": 20}).json()
    second = client.get("/api/v1/tags/sun/posts", {"limit": 20, "cursor": first["nextCursor"]}).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == [post.pk for post in reversed(posts)]
    assert second["nextCursor"] is None
    assert [item["id"] for item in client.get("/api/v1/categories/photo/posts").json()["items"]] == [
        post.pk for post in reversed(photos)
    ]
    # The page and its htmx "load more" partial.
    page = client.get("/tags/sun/").content.decode()
    assert page.count('class="post-card') == 20
    more = re.search(r'hx-get="(/tags/sun/\?cursor=[^"]+)"', page).group(1)
    partial = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"}).content.decode()
    assert partial.count('class="post-card') == 5
    assert "<html" not in partial


def test_search_page_tabs_and_load_more(many):
    client = _client()
    page = client.get("/search/", {"q": "sun", "type": "posts"}).content.decode()
    assert page.count('class="post-card') == 20
    assert 'aria-current="page"' in page
    more = re.search(r'hx-get="(/search/\?[^"]+cursor=[^"]+)"', page).group(1).replace("&amp;", "&")
    partial = client.get(more, headers={"HX-Request": "true"}).content.decode()
    assert partial.count('class="post-card') == 5
    assert "<html" not in partial
    creators = client.get("/search/", {"q": "lena", "type": "creators"}).content.decode()
    assert all(f"/c/lena{index}/" in creators for index in range(3))
    assert (
        "Posts"
        not in re.sub(r"<nav.*?</nav>", "", creators, flags=re.S).split("<main", 1)[1].split("Creators", 1)[1]
    )


def test_post_cards_link_tags_and_category(make_user):
    creator = make_creator(make_user, "tagger")
    make_post(creator, text="t", tags=["golden-hour"], category="photo", access="public")
    page = _client().get("/c/tagger/").content.decode()
    assert 'href="/tags/golden-hour/"' in page
    assert 'href="/categories/photo/"' in page


AUTH_MARKS = (
    '"django_session"',
    '"accounts_devicesession"',
    "SAVEPOINT",
    'SELECT "accounts_user"."id", "accounts_user"."password"',
)


def _search_queries(client: Client, path: str, params: dict) -> list[str]:
    """The queries of one request, less the signed-in session's own (session, user, device)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries if not any(mark in q["sql"] for mark in AUTH_MARKS)]


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_budget_does_not_grow_with_results(make_user, django_assert_num_queries, signed_in):
    """Search (all), suggest, tag list: the same number of queries for 3 or 20 hits."""
    fan = make_user(handle="budget.fan")
    client = _client(fan if signed_in else None)
    creators = [make_creator(make_user, f"sol{index}", display_name=f"Sol {index}") for index in range(6)]
    page_counts: list[tuple[int, int]] = []
    for path in ("/api/v1/search", "/search/", "/tags/sol/"):  # first requests adopt the device session
        client.get(path, {"q": "warm"})
    for size in (3, 20):
        for index in range(size):
            make_post(
                creators[index % 6],
                text=f"sol light {index}",
                tags=["sol"],
                category="photo",
                access="subscribers",
            )
        # creators 1, ranked post ids 1, cards 1 (attachments, tiers and offered tiers in it)
        assert len(_search_queries(client, "/api/v1/search", {"q": "sol"})) == 3
        assert len(_search_queries(client, "/api/v1/search/suggest", {"q": "sol"})) == 2  # creators, tags
        # the page's ids, then the cards
        assert len(_search_queries(client, "/api/v1/tags/sol/posts", {})) == 2
        assert len(_search_queries(client, "/api/v1/categories/photo/posts", {})) == 2
        # Pages: the same, plus whatever the site chrome reads for a signed-in user (not ours to pin).
        page_counts.append(
            (
                len(_search_queries(client, "/search/", {"q": "sol"})),
                len(_search_queries(client, "/tags/sol/", {})),
            )
        )
    assert page_counts[0] == page_counts[1]
    assert page_counts[0] >= (3, 2)
    if not signed_in:
        with django_assert_num_queries(3):  # nothing else at all for an anonymous visitor
            assert client.get("/api/v1/search", {"q": "sol"}).status_code == 200


def test_trigram_fallback_costs_one_more_query(make_user, django_assert_num_queries):
    make_creator(make_user, "lena", display_name="Lena")
    with django_assert_num_queries(2):  # full text finds nothing, then the trigram query
        body = _client().get("/api/v1/search", {"q": "lenna", "type": "creators"}).json()
    assert [item["handle"] for item in body["creators"]] == ["lena"]


def test_fan_searches_with_a_typo_finds_the_creator_and_opens_the_profile(make_user):
    """End to end over HTTP: sign in, search "lenna" in the header's suggestions and on the results
    page, follow the link to @lena's profile."""
    make_creator(make_user, "lena", display_name="Lena Rossi", bio="Analog photography")
    make_creator(make_user, "marco", display_name="Marco")
    fan = make_user(handle="searching.fan", password="a-long-test-password")
    client = Client()
    signed_in = client.post(
        "/accounts/sign-in/", {"login": fan.email, "password": "a-long-test-password"}, follow=True
    )
    assert signed_in.status_code == 200
    assert client.session.get("_auth_user_id") == str(fan.pk)

    suggestions = client.get("/search/suggest/", {"q": "lenna"}, headers={"HX-Request": "true"})
    assert 'data-href="/c/lena/"' in suggestions.content.decode()

    results = client.get("/search/", {"q": "lenna"})
    assert results.status_code == 200
    html = results.content.decode()
    links = re.findall(r'<li class="search-creator">\s*<a href="([^"]+)"', html)
    assert links == ["/c/lena/"]
    profile = client.get(links[0])
    assert profile.status_code == 200
    assert "Lena Rossi" in profile.content.decode()
    assert "Analog photography" in profile.content.decode()
