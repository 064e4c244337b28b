"""The tag and category lists (one hand-written id statement each, then the card statement), the
ranked post search (its ranking, then the card statement; the ranking's SQL against its ORM
specification row by row is ``test_ranking_sql.py``) and the community's ranked posts (the
card statement with the votes) return exactly what the ORM policy returned (their previous
implementations, kept here as oracles): ids, order, ``has_access``, cursors, snippets and votes,
for every access rule x post state x viewer relation (``content/tests/conftest.py``'s ``matrix``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db.models import OuterRef, QuerySet, Subquery
from django.test import Client, RequestFactory

from fanclub.community import presenters as community_presenters
from fanclub.community import selectors as community_selectors
from fanclub.community.models import PostVote, PostVoteTally
from fanclub.content import policy, presenters
from fanclub.content import selectors as content_selectors
from fanclub.content.models import Post
from fanclub.content.tests.conftest import matrix  # noqa: F401 (the fixture)
from fanclub.content.tests.test_lists_sql import _strip_urls, _walk
from fanclub.core.pagination import paginate
from fanclub.search import presenters as search_presenters
from fanclub.search import selectors
from fanclub.search.selectors import posts as post_selectors
from fanclub.search.selectors import query as query_selectors

pytestmark = pytest.mark.django_db


# --- The oracles: the ORM versions these lists replaced --------------------------------------------
def orm_tag_list(*, viewer: Any, country: str, tag: str) -> QuerySet[Post]:
    return selectors.post_qs_searchable_by(viewer=viewer, country=country).filter(tags__contains=[tag])


def orm_category_list(*, viewer: Any, country: str, category: str) -> QuerySet[Post]:
    return selectors.post_qs_searchable_by(viewer=viewer, country=country).filter(category=category)


def orm_posts_for_viewer(*, user: Any, country: str, post_ids: list[int]) -> list[Post]:
    queryset = policy.post_qs_visible_to(user=user, country=country).filter(pk__in=post_ids)
    queryset = queryset.annotate(
        vote_up=Subquery(PostVoteTally.objects.filter(pk=OuterRef("pk")).values("up_count")[:1]),
        vote_down=Subquery(PostVoteTally.objects.filter(pk=OuterRef("pk")).values("down_count")[:1]),
    )
    if getattr(user, "is_authenticated", False):
        queryset = queryset.annotate(
            viewer_vote=Subquery(
                PostVote.objects.filter(user_id=user.pk, post_id=OuterRef("pk")).values("value")[:1]
            )
        )
    by_id = {post.pk: post for post in queryset}
    return [by_id[pk] for pk in post_ids if pk in by_id]


@pytest.fixture
def labelled(matrix):  # noqa: F811
    """The matrix with every post tagged ``matrix`` and in the photo category; half of them also
    ``odd`` and in art; two posts share a publication date (the id breaks the tie)."""
    posts, viewers = matrix
    Post.objects.update(tags=["matrix"], category="photo")
    odd = [post.pk for index, post in enumerate(posts.values()) if index % 2]
    Post.objects.filter(pk__in=odd).update(tags=["matrix", "odd"], category="art")
    same = posts["subscribers"].published_at
    Post.objects.filter(pk__in=[posts["tiers"].pk, posts["public"].pk]).update(published_at=same)
    return posts, viewers


LISTS = [
    ("tag", "matrix", selectors.post_list_for_tag, orm_tag_list),
    ("tag", "odd", selectors.post_list_for_tag, orm_tag_list),
    ("tag", "none", selectors.post_list_for_tag, orm_tag_list),
    ("category", "photo", selectors.post_list_for_category, orm_category_list),
    ("category", "art", selectors.post_list_for_category, orm_category_list),
]


@pytest.mark.parametrize(("kind", "value", "new", "old"), LISTS)
def test_tag_and_category_lists_match_the_orm_policy_page_by_page(labelled, kind, value, new, old):
    _posts, viewers = labelled
    sizes = set()
    for viewer_name, (viewer, country) in viewers.items():
        for limit in (1, 2, 100):
            got = _walk(
                lambda cursor, limit, v=viewer, c=country: new(
                    viewer=v, country=c, **{kind: value}, cursor=cursor, limit=limit
                ),
                limit=limit,
            )
            expected = _walk(
                lambda cursor, limit, v=viewer, c=country: paginate(
                    old(viewer=v, country=c, **{kind: value}),
                    ordering=selectors.LISTING_ORDER,
                    cursor=cursor,
                    limit=limit,
                ),
                limit=limit,
            )
            assert got == expected, (viewer_name, value, limit)
            sizes.add(sum(len(ids) for ids, _ in got))
    if value == "matrix":
        assert sizes == {0, 5}  # live posts only, the owner's drafts too never; the blocked see none
    if value == "none":
        assert sizes == {0}


def test_tag_list_order_and_access(labelled):
    # So that the comparison above is not between two equally wrong answers.
    posts, viewers = labelled
    name_of = {post.pk: name for name, post in posts.items()}

    def names(viewer_name: str) -> list[tuple[str, bool]]:
        viewer, country = viewers[viewer_name]
        page = selectors.post_list_for_tag(viewer=viewer, country=country, tag="matrix", limit=100)
        return [(name_of[post.pk], post.has_access) for post in page.items]  # type: ignore[attr-defined]

    # Newest first; tiers and public share subscribers' date (the newer id first).
    assert names("follower") == [
        ("ppv", False),
        ("tiers", False),
        ("subscribers", False),
        ("public", True),
        ("followers", True),
    ]
    assert names("tier member") == [
        ("ppv", True),
        ("tiers", True),
        ("subscribers", True),
        ("public", True),
        ("followers", True),
    ]
    assert names("anonymous") == [(name, name == "public") for name, _ in names("follower")]
    assert [name for name, _ in names("owner")] == [name for name, _ in names("follower")]
    assert names("blocked by the creator") == names("blocking the creator") == []
    assert names("geo-blocked follower") == []


def _search(viewer: Any, country: str, text: str, cursor: str | None, limit: int) -> Any:
    return selectors.post_search(
        viewer=viewer,
        country=country,
        query=selectors.search_query_parse(raw=text),
        cursor=cursor,
        limit=limit,
    )


def _orm_search(viewer: Any, country: str, text: str, cursor: str | None, limit: int) -> Any:
    """The ranking as before, with ``has_access`` from the ORM policy on the same rows."""
    query = selectors.search_query_parse(raw=text)
    rows, next_cursor = query_selectors._ranked_page(
        query_selectors._sliced(
            lambda fuzzy: post_selectors._post_search_qs(
                viewer=viewer,
                country=country,
                query=query,
                fuzzy=fuzzy,
                correction=selectors.search_correction(query=query) if fuzzy else None,
            ).values_list("pk", "has_access", "snippet")
        ),
        query=query,
        cursor=cursor,
        limit=limit,
    )
    return rows, next_cursor


def test_post_search_matches_the_orm_policy_page_by_page(labelled):
    _posts, viewers = labelled
    found = set()
    for viewer_name, (viewer, country) in viewers.items():
        for text in ("matrix", "odd", "public", "followers", "draft", "matrx"):
            for limit in (2, 50):
                got, cursor = [], None
                while True:
                    page = _search(viewer, country, text, cursor, limit)
                    expected, expected_cursor = _orm_search(viewer, country, text, cursor, limit)
                    rows = [(post.pk, post.has_access, post.snippet) for post in page.items]  # type: ignore[attr-defined]
                    assert rows == [tuple(row) for row in expected], (viewer_name, text, limit)
                    assert page.next_cursor == expected_cursor
                    got.extend(rows)
                    if not page.next_cursor:
                        break
                    cursor = page.next_cursor
                found.add((viewer_name, text, len(got)))
    # Anchors: labels find every live post the viewer may know exists, text only with access.
    counts = {(viewer, text): size for viewer, text, size in found}
    assert counts["follower", "matrix"] == 5
    assert counts["follower", "public"] == 1 and counts["anonymous", "followers"] == 0
    assert counts["follower", "followers"] == 1
    assert counts["owner", "draft"] == 0
    assert counts["blocked by the creator", "matrix"] == 0


def test_community_posts_match_the_orm_policy(labelled, make_user):
    posts, viewers = labelled
    ids = [post.pk for post in posts.values()]
    follower, _ = viewers["follower"]
    PostVoteTally.objects.create(post=posts["public"], up_count=3, down_count=1)
    PostVote.objects.create(user=follower, post=posts["public"], value=1)
    PostVote.objects.create(user=follower, post=posts["followers"], value=-1)
    checked = 0
    for viewer_name, (viewer, country) in viewers.items():
        got = community_selectors.posts_for_viewer(user=viewer, country=country, post_ids=ids)
        expected = orm_posts_for_viewer(user=viewer, country=country, post_ids=ids)

        def rows(found: list[Post]) -> list[tuple[Any, ...]]:
            return [
                (p.pk, p.has_access, p.vote_up, p.vote_down, getattr(p, "viewer_vote", None))  # type: ignore[attr-defined]
                for p in found
            ]

        assert rows(got) == rows(expected), viewer_name
        checked += len(got)
    assert checked > 0
    mine = {
        p.pk: (p.vote_up, p.vote_down, p.viewer_vote)  # type: ignore[attr-defined]
        for p in community_selectors.posts_for_viewer(user=follower, country="", post_ids=ids)
    }
    assert mine[posts["public"].pk] == (3, 1, 1)
    assert mine[posts["followers"].pk] == (None, None, -1)


def _request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_cards_are_the_ones_the_orm_path_rendered(labelled):
    posts, viewers = labelled
    lena = viewers["owner"][0]
    posts_ids = [post.pk for post in posts.values()]
    offered = content_selectors.creator_tiers(creator_ids={lena.pk})
    checked = 0
    for viewer_name in ("anonymous", "follower", "tier member", "unlocked", "owner"):
        viewer, country = viewers[viewer_name]
        request = _request(viewer)
        new = selectors.post_list_for_tag(viewer=viewer, country=country, tag="matrix", limit=100)
        old = paginate(
            content_selectors._for_display(
                orm_tag_list(viewer=viewer, country=country, tag="matrix"), viewer=viewer
            ),
            ordering=selectors.LISTING_ORDER,
            cursor=None,
            limit=100,
        )
        got = [_strip_urls(card) for card in search_presenters.post_hits(request, new.items)]
        expected = [
            _strip_urls(
                {
                    **presenters.post_card(request, p, offered=offered[lena.pk]),
                    "snippet": None,
                    "snippet_parts": [],
                }
            )
            for p in old.items
        ]
        assert got == expected, viewer_name
        ranked = community_selectors.posts_for_viewer(user=viewer, country=country, post_ids=posts_ids)
        old_ranked = content_selectors._for_display(
            policy.post_qs_visible_to(user=viewer, country=country).filter(pk__in=posts_ids), viewer=viewer
        )
        old_by_id = {post.pk: post for post in old_ranked}
        got = [_strip_urls(card) for card in community_presenters.ranked_cards(request, ranked, meta={})]
        expected = [
            _strip_urls(
                {
                    **presenters.post_card(request, old_by_id[p.pk], offered=offered[lena.pk]),
                    "rank": None,
                    "score": None,
                    "up_count": 0,
                    "down_count": 0,
                    "viewer_vote": 0,
                }
            )
            for p in ranked
        ]
        assert got == expected, viewer_name
        checked += sum(1 for card in got if card["media"] or card["preview"])
    assert checked > 0


@pytest.mark.parametrize("limit", [2, 50])
def test_statements_do_not_grow_with_the_page(labelled, django_assert_num_queries, limit):
    posts, viewers = labelled
    fan, _ = viewers["tier member"]
    for viewer in (fan, viewers["anonymous"][0]):
        with django_assert_num_queries(2):
            page = selectors.post_list_for_tag(viewer=viewer, tag="matrix", limit=limit)
            search_presenters.post_hits(_request(viewer), page.items)
        assert len(page.items) == min(limit, 5)
        with django_assert_num_queries(2):
            page = selectors.post_list_for_category(viewer=viewer, category="photo", cursor=None, limit=limit)
            search_presenters.post_hits(_request(viewer), page.items)
        with django_assert_num_queries(2):  # the ranking, then the cards
            found = _search(viewer, "", "matrix", None, limit)
            search_presenters.post_hits(_request(viewer), found.items)
        assert len(found.items) == min(limit, 5)
        with django_assert_num_queries(1):
            ranked = community_selectors.posts_for_viewer(
                user=viewer, country="", post_ids=[post.pk for post in posts.values()][:limit]
            )
            community_presenters.ranked_cards(_request(viewer), ranked, meta={})


def _cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor({"dt": "2026-01-01T00:00:00+00:00"}, "7"),
        _cursor({"dt": "2026-01-01T00:00:00+00:00"}, 2**63),
        _cursor({"dt": "2026-01-01T00:00:00+00:00"}, True),
        _cursor({"dt": "2026-01-01T00:00:00"}, 7),
        _cursor("2026-01-01", 7),
        _cursor({"dt": "2026-01-01T00:00:00+00:00"}),
        "not a cursor",
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/tags/matrix/posts", "/api/v1/categories/photo/posts"])
def test_a_forged_cursor_is_a_400(labelled, url, cursor):
    response = Client().get(url, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_cursors_handed_out_by_the_orm_path_still_work(labelled):
    _posts, viewers = labelled
    fan, _ = viewers["tier member"]
    client = Client()
    client.force_login(fan)
    for url, queryset in (
        ("/api/v1/tags/matrix/posts", orm_tag_list(viewer=fan, country="", tag="matrix")),
        ("/api/v1/categories/photo/posts", orm_category_list(viewer=fan, country="", category="photo")),
    ):
        old_first = paginate(queryset, ordering=selectors.LISTING_ORDER, cursor=None, limit=1)
        response = client.get(url, {"limit": 1})
        assert response.json()["nextCursor"] == old_first.next_cursor
        old_second = paginate(
            queryset, ordering=selectors.LISTING_ORDER, cursor=old_first.next_cursor, limit=1
        )
        response = client.get(url, {"limit": 1, "cursor": old_first.next_cursor})
        assert [item["id"] for item in response.json()["items"]] == [post.pk for post in old_second.items]
        assert response.json()["nextCursor"] == old_second.next_cursor
        assert old_second.items
