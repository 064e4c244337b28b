"""The creator's posts list, the bookmarks and the studio list (one hand-written id statement each,
then the cards through ``post_list_by_ids_for_viewer``) return, page by page, exactly the posts,
``has_access``, cards and cursors of the ORM policy (``post_qs_visible_to`` + ``paginate``, their
previous implementation, kept here as the oracle) for every access rule x post state x viewer
relation (the ``matrix`` fixture, ``conftest.py``)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, QuerySet
from django.test import Client, RequestFactory
from django.utils import timezone

from fanclub.content import policy, presenters, selectors, services
from fanclub.content.constants import PostState
from fanclub.content.models import Bookmark, Post
from fanclub.core.pagination import Page, paginate

pytestmark = pytest.mark.django_db

CREATOR_ORDER = ("-is_pinned", "-published_at", "-id")
STUDIO_ORDER = ("-created_at", "-id")
BOOKMARK_ORDER = ("-bookmarked_at", "-id")


# --- The oracle: the ORM versions these lists replaced -------------------------------------------
def orm_creator_list(*, viewer: Any, creator_id: int, country: str = "") -> QuerySet[Post]:
    return policy.post_qs_visible_to(user=viewer, country=country).filter(
        creator_id=creator_id, state=PostState.PUBLISHED
    )


def orm_studio_list(*, creator: Any) -> QuerySet[Post]:
    return policy.post_qs_visible_to(user=creator).filter(creator_id=creator.pk)


def orm_bookmark_list(*, user: Any, country: str = "") -> QuerySet[Post]:
    return (
        policy.post_qs_visible_to(user=user, country=country)
        .filter(bookmarks__user_id=user.pk)
        .annotate(bookmarked_at=F("bookmarks__created_at"))
    )


def _walk(fetch: Any, *, limit: int) -> list[tuple[list[tuple[int, bool]], str | None]]:
    """Every page of a list: [(the page's (id, has_access), its next cursor)]."""
    pages, cursor = [], None
    while True:
        page: Page[Post] = fetch(cursor=cursor, limit=limit)
        pages.append(([(post.pk, post.has_access) for post in page.items], page.next_cursor))  # type: ignore[attr-defined]
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 50


@pytest.fixture
def lists(matrix):
    """The matrix, plus pinned posts, equal publication and bookmark times (the id breaks the tie),
    and every viewer's bookmark on every post (also those they may not or no longer see)."""
    posts, viewers = matrix
    lena = viewers["owner"][0]
    services.post_pin(user=lena, post_id=posts["ppv"].pk, pinned=True)
    services.post_pin(user=lena, post_id=posts["followers"].pk, pinned=True)
    same = posts["subscribers"].published_at
    Post.objects.filter(pk__in=[posts["tiers"].pk, posts["public"].pk]).update(published_at=same)
    Post.objects.filter(pk=posts["public"].pk).update(created_at=posts["tiers"].created_at)
    saved_at = timezone.now() - timedelta(days=1)
    users = {viewer.pk: viewer for viewer, _ in viewers.values() if viewer.is_authenticated}
    Bookmark.objects.bulk_create(
        Bookmark(user_id=user_id, post=post, created_at=saved_at + timedelta(minutes=index % 7))
        for user_id in users
        for index, post in enumerate(posts.values())
    )
    return posts, viewers


def test_creator_list_matches_the_orm_policy_page_by_page(lists):
    posts, viewers = lists
    lena = viewers["owner"][0]
    gone = posts["inactive-creator"].creator
    seen_pages = set()
    for viewer_name, (viewer, country) in viewers.items():
        for creator in (lena, gone):
            for limit in (2, 3, 100):
                got = _walk(
                    lambda cursor, limit, v=viewer, c=country, cr=creator: selectors.post_list_for_creator(
                        viewer=v, creator_id=cr.pk, country=c, cursor=cursor, limit=limit
                    ),
                    limit=limit,
                )
                expected = _walk(
                    lambda cursor, limit, v=viewer, c=country, cr=creator: paginate(
                        orm_creator_list(viewer=v, creator_id=cr.pk, country=c),
                        ordering=CREATOR_ORDER,
                        cursor=cursor,
                        limit=limit,
                    ),
                    limit=limit,
                )
                assert got == expected, (viewer_name, creator.handle, limit)
                seen_pages.add(len(got))
    assert seen_pages >= {1, 2, 3}  # empty lists, one page and several pages were compared


def test_creator_list_anchors(lists):
    # So that the comparison above is not between two equally wrong answers.
    posts, viewers = lists
    name_of = {post.pk: name for name, post in posts.items()}

    def names(viewer_name: str) -> list[tuple[str, bool]]:
        viewer, country = viewers[viewer_name]
        page = selectors.post_list_for_creator(
            viewer=viewer, creator_id=viewers["owner"][0].pk, country=country, limit=100
        )
        return [(name_of[post.pk], post.has_access) for post in page.items]  # type: ignore[attr-defined]

    # Pinned first (newest first among them), then newest first; tiers, subscribers and public
    # share a date (the newest id first).
    assert names("follower") == [
        ("ppv", False),
        ("followers", True),
        ("tiers", False),
        ("subscribers", False),
        ("public", True),
    ]
    assert names("anonymous") == [(name, name == "public") for name, _ in names("follower")]
    assert [name for name, _ in names("owner")] == [
        "ppv",
        "followers",
        "ppv-expired",
        "tiers-expired",
        "subscribers-expired",
        "tiers",
        "subscribers",
        "public",
        "followers-expired",
        "public-expired",
    ]
    assert names("blocked by the creator") == names("geo-blocked follower") == []


def test_studio_list_matches_the_orm_policy_page_by_page(lists):
    posts, viewers = lists
    creators = {viewer.pk: viewer for viewer, _ in viewers.values()}
    creators[posts["inactive-creator"].creator_id] = posts["inactive-creator"].creator
    for creator in creators.values():
        for limit in (3, 100):
            got = _walk(
                lambda cursor, limit, c=creator: selectors.post_list_for_studio(
                    creator=c, cursor=cursor, limit=limit
                ),
                limit=limit,
            )
            expected = _walk(
                lambda cursor, limit, c=creator: paginate(
                    orm_studio_list(creator=c), ordering=STUDIO_ORDER, cursor=cursor, limit=limit
                ),
                limit=limit,
            )
            assert got == expected, (getattr(creator, "handle", creator), limit)
    lena_posts = [
        ids
        for ids, _ in _walk(
            lambda **kw: selectors.post_list_for_studio(creator=viewers["owner"][0], **kw), limit=100
        )
    ]
    # Drafts, scheduled and expired posts too; deleted ones never.
    assert {post_id for post_id, _ in lena_posts[0]} == {
        post.pk
        for name, post in posts.items()
        if not name.endswith("-deleted") and name != "inactive-creator"
    }


def test_bookmark_list_matches_the_orm_policy_page_by_page(lists):
    _posts, viewers = lists
    sizes = set()
    for viewer_name, (viewer, country) in viewers.items():
        if not viewer.is_authenticated:
            continue
        for limit in (2, 5, 100):
            got = _walk(
                lambda cursor, limit, v=viewer, c=country: selectors.bookmark_list_for_user(
                    user=v, country=c, cursor=cursor, limit=limit
                ),
                limit=limit,
            )
            expected = _walk(
                lambda cursor, limit, v=viewer, c=country: paginate(
                    orm_bookmark_list(user=v, country=c), ordering=BOOKMARK_ORDER, cursor=cursor, limit=limit
                ),
                limit=limit,
            )
            assert got == expected, (viewer_name, limit)
            sizes.add(sum(len(ids) for ids, _ in got))
    # Every viewer saved all 26 posts: the follower sees the 5 live ones, the owner 20 (not the
    # deleted ones nor the inactive creator's), the blocked none.
    assert {0, 5, 20} <= sizes


def _strip_urls(card: dict[str, Any]) -> dict[str, Any]:
    # Signed URLs carry an expiry in whole seconds: the two renderings may straddle a second.
    def media(item: dict[str, Any] | None) -> dict[str, Any] | None:
        if item is None:
            return None
        return {
            **item,
            "variants": [
                {k: v for k, v in variant.items() if k not in ("url", "expiresAt")}
                for variant in item["variants"]
            ],
        }

    return {**card, "media": [media(item) for item in card["media"]], "preview": media(card["preview"])}


def test_cards_are_the_ones_the_orm_path_rendered(lists):
    _posts, viewers = lists
    lena = viewers["owner"][0]
    checked = 0
    for viewer_name in ("anonymous", "follower", "tier member", "unlocked", "owner"):
        viewer, country = viewers[viewer_name]
        request = RequestFactory().get("/")
        request.user = viewer
        new = selectors.post_list_for_creator(viewer=viewer, creator_id=lena.pk, country=country, limit=100)
        old = paginate(
            selectors._for_display(orm_creator_list(viewer=viewer, creator_id=lena.pk), viewer=viewer),
            ordering=CREATOR_ORDER,
            cursor=None,
            limit=100,
        )
        offered = selectors.creator_tiers(creator_ids={lena.pk})[lena.pk]
        got = [_strip_urls(presenters.post_card(request, p, offered=p.offered_tier_list)) for p in new.items]  # type: ignore[attr-defined]
        expected = [_strip_urls(presenters.post_card(request, p, offered=offered)) for p in old.items]
        assert got == expected, viewer_name
        checked += sum(1 for card in got if card["media"] or card["preview"])
    assert checked > 0


@pytest.mark.parametrize("limit", [2, 100])
def test_each_list_is_two_statements_whatever_the_page_size(lists, django_assert_num_queries, limit):
    _posts, viewers = lists
    lena = viewers["owner"][0]
    fan, _ = viewers["tier member"]
    with django_assert_num_queries(2):
        page = selectors.post_list_for_creator(viewer=fan, creator_id=lena.pk, limit=limit)
        cards = [
            presenters.post_card(_request(fan), post, offered=post.offered_tier_list) for post in page.items
        ]  # type: ignore[attr-defined]
    assert len(cards) == min(limit, 5)
    with django_assert_num_queries(2):
        page = selectors.post_list_for_creator(viewer=AnonymousUser(), creator_id=lena.pk, limit=limit)
        assert len(page.items) == min(limit, 5)
    with django_assert_num_queries(2):
        page = selectors.bookmark_list_for_user(user=fan, cursor=None, limit=limit)
        assert len(page.items) == min(limit, 5)
    with django_assert_num_queries(2):
        page = selectors.post_list_for_studio(creator=lena, limit=limit)
        cards = [presenters.post_card(_request(lena), post) for post in page.items]
        assert len(cards) == min(limit, 20)
    with django_assert_num_queries(2):
        selectors.post_list_for_studio(creator=lena, cursor=page.next_cursor or None, limit=limit)


def _request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def _cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("url", "cursor"),
    [
        ("/api/v1/creators/lena/posts", _cursor(True, {"dt": "2026-01-01T00:00:00+00:00"}, "7")),
        ("/api/v1/creators/lena/posts", _cursor("yes", {"dt": "2026-01-01T00:00:00+00:00"}, 7)),
        ("/api/v1/creators/lena/posts", _cursor(True, "2026-01-01", 7)),
        ("/api/v1/creators/lena/posts", _cursor(True, {"dt": "2026-01-01T00:00:00+00:00"}, 2**63)),
        ("/api/v1/creators/lena/posts", _cursor({"dt": "2026-01-01T00:00:00+00:00"}, 7)),
        ("/api/v1/me/bookmarks", _cursor(7, {"dt": "2026-01-01T00:00:00+00:00"})),
        ("/api/v1/me/bookmarks", _cursor({"dt": "2026-01-01T00:00:00"}, 7)),
        ("/api/v1/me/posts", _cursor({"dt": "2026-01-01T00:00:00+00:00"}, True)),
        ("/api/v1/me/posts", "not a cursor"),
    ],
)
def test_a_forged_cursor_is_a_400(lists, url, cursor):
    _posts, viewers = lists
    client = Client()
    client.force_login(viewers["owner"][0])
    response = client.get(url, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_the_api_pages_through_every_list_with_cursors_handed_out_by_the_orm_path(lists):
    _posts, viewers = lists
    lena = viewers["owner"][0]
    fan, _ = viewers["tier member"]
    client = Client()
    client.force_login(fan)
    for url, queryset, ordering in (
        ("/api/v1/creators/lena/posts", orm_creator_list(viewer=fan, creator_id=lena.pk), CREATOR_ORDER),
        ("/api/v1/me/bookmarks", orm_bookmark_list(user=fan), BOOKMARK_ORDER),
    ):
        old_first = paginate(queryset, ordering=ordering, cursor=None, limit=2)
        response = client.get(url, {"limit": 2})
        assert response.json()["nextCursor"] == old_first.next_cursor
        old_second = paginate(queryset, ordering=ordering, cursor=old_first.next_cursor, limit=2)
        response = client.get(url, {"limit": 2, "cursor": old_first.next_cursor})
        assert [item["id"] for item in response.json()["items"]] == [post.pk for post in old_second.items]
        assert response.json()["nextCursor"] == old_second.next_cursor
    client.force_login(lena)
    old_first = paginate(orm_studio_list(creator=lena), ordering=STUDIO_ORDER, cursor=None, limit=7)
    response = client.get("/api/v1/me/posts", {"limit": 7, "cursor": old_first.next_cursor})
    old_second = paginate(
        orm_studio_list(creator=lena), ordering=STUDIO_ORDER, cursor=old_first.next_cursor, limit=7
    )
    assert [item["id"] for item in response.json()["items"]] == [post.pk for post in old_second.items]
    assert len(old_second.items) == 7
