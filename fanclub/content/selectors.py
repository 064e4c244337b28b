"""Reads of the content app, always scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField as _Bool
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Value

from fanclub.content import policy
from fanclub.content.constants import PostState
from fanclub.content.models import Bookmark, Comment, Post, PostLike, PostMedia
from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.creators.models import Tier
from fanclub.social.selectors import block_between_q

PROFILE_ORDER = ("-is_pinned", "-published_at", "-id")


def _for_display(queryset: QuerySet[Post], *, viewer: Any) -> QuerySet[Post]:
    """Everything a card needs, in a constant number of queries (post rows, media, tiers).

    The prefetches land in plain lists (``attachment_list``, ``tier_list``; read them through
    ``presenters.attachments_of`` / ``tiers_of``): Django builds a filtered queryset per row for a
    prefetch kept in the related manager, a measurable share of a 50-post page's CPU.
    """
    queryset = queryset.select_related("creator", "creator__creator_profile").prefetch_related(
        Prefetch(
            "attachments",
            queryset=PostMedia.objects.select_related("media").order_by("position"),
            to_attr="attachment_list",
        ),
        Prefetch("tiers", queryset=Tier.objects.order_by("position", "id"), to_attr="tier_list"),
    )
    if getattr(viewer, "is_authenticated", False):
        return queryset.annotate(
            viewer_liked=Exists(PostLike.objects.filter(user_id=viewer.pk, post_id=OuterRef("pk"))),
            viewer_bookmarked=Exists(Bookmark.objects.filter(user_id=viewer.pk, post_id=OuterRef("pk"))),
        )
    return queryset.annotate(viewer_liked=Value(False, _Bool()), viewer_bookmarked=Value(False, _Bool()))


def post_list_for_creator(
    *, viewer: Any, creator_id: int, country: str = "", cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """A creator's published posts as ``viewer`` sees them (pinned first, newest first)."""
    queryset = policy.post_qs_visible_to(user=viewer, country=country).filter(
        creator_id=creator_id, state=PostState.PUBLISHED
    )
    return paginate(_for_display(queryset, viewer=viewer), ordering=PROFILE_ORDER, cursor=cursor, limit=limit)


def post_list_for_studio(*, creator: Any, cursor: str | None = None, limit: int = 20) -> Page[Post]:
    """The creator's own posts, drafts and scheduled included, newest first."""
    queryset = policy.post_qs_visible_to(user=creator).filter(creator_id=creator.pk)
    return paginate(
        _for_display(queryset, viewer=creator), ordering=("-created_at", "-id"), cursor=cursor, limit=limit
    )


def post_get_for_viewer(*, viewer: Any, post_id: int, country: str = "") -> Post:
    post = (
        _for_display(policy.post_qs_visible_to(user=viewer, country=country), viewer=viewer)
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFound("No such post.")
    return post


def bookmark_list_for_user(
    *, user: Any, country: str = "", cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Saved posts still visible to the user, most recently saved first."""
    queryset = (
        policy.post_qs_visible_to(user=user, country=country)
        .filter(bookmarks__user_id=user.pk)
        .annotate(bookmarked_at=F("bookmarks__created_at"))
    )
    return paginate(
        _for_display(queryset, viewer=user), ordering=("-bookmarked_at", "-id"), cursor=cursor, limit=limit
    )


def comment_list_for_post(
    *, post: Post, viewer: Any = None, cursor: str | None = None, limit: int = 20
) -> Page[Comment]:
    """Top-level comments, oldest first, each with its replies (two queries per page).

    A block hides both ways: comments (and replies) by users on the other side of a block with
    ``viewer`` are left out, in the same two queries.
    """
    replies = Comment.objects.select_related("author").order_by("created_at", "id")
    queryset = Comment.objects.filter(post_id=post.pk, parent__isnull=True).select_related("author")
    if getattr(viewer, "is_authenticated", False):
        hidden = block_between_q(user_id=viewer.pk, other_field="author_id")
        queryset = queryset.exclude(hidden)
        replies = replies.exclude(hidden)
    queryset = queryset.prefetch_related(Prefetch("replies", queryset=replies))
    return paginate(queryset, ordering=("created_at", "id"), cursor=cursor, limit=limit)


def post_list_by_ids_for_viewer(*, viewer: Any, post_ids: list[int], country: str = "") -> list[Post]:
    """The posts among ``post_ids`` that ``viewer`` may see, through the access policy (each with
    ``has_access``) and ready for cards, in the order of ``post_ids`` (feeds pick ids, this renders)."""
    if not post_ids:
        return []
    queryset = policy.post_qs_visible_to(user=viewer, country=country).filter(pk__in=post_ids)
    by_id = {post.pk: post for post in _for_display(queryset, viewer=viewer)}
    return [by_id[post_id] for post_id in post_ids if post_id in by_id]


def creator_tiers(*, creator_ids: set[int]) -> dict[int, list[Tier]]:
    """Offered tiers per creator (one query), for the "subscribe from X" action."""
    tiers: dict[int, list[Tier]] = {creator_id: [] for creator_id in creator_ids}
    for tier in Tier.objects.filter(creator_id__in=creator_ids, is_archived=False).order_by("position", "id"):
        tiers[tier.creator_id].append(tier)
    return tiers
