"""Reads of the content app, always scoped by the access policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS
from django.db.models import BooleanField as _Bool
from django.db.models import Exists, F, Model, OuterRef, Prefetch, QuerySet, Value
from django.db.models.base import ModelState

from fanclub.accounts.models import User
from fanclub.content import policy
from fanclub.content.constants import PostState
from fanclub.content.models import Bookmark, Comment, Post, PostLike, PostMedia
from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.core.sql import fetch_prepared
from fanclub.creators.models import CreatorProfile, Tier
from fanclub.media.models import MediaItem
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


# --- Cards in one precompiled statement ------------------------------------------------------------
# What ``presenters.post_card`` reads, for a list of posts, in ONE statement written once: the
# policy's SQL twin (``policy.VISIBLE_SQL`` / ``HAS_ACCESS_SQL``), the viewer's like and bookmark,
# the creator's handle and display name, and as JSON arrays the attachments with their media, the
# post's tiers and the creator's offered tiers. Building the same thing through the ORM (policy
# expression, select_related, two prefetches and the offered tiers) was most of a 20-card feed
# page's ~20 ms of CPU, largely compiling SQL; this is a string, prepared once per connection.
_POST_CARD_FIELDS = (
    "id", "creator_id", "text", "access", "price_minor", "currency", "state", "publish_at",
    "published_at", "expires_at", "is_pinned", "category", "tags", "face_warning", "likes_count",
    "comments_count", "created_at", "edited_at", "deleted_at",
)  # fmt: skip
# The statement's first columns, in the model's field order.
_POST_FIELDS = [f.attname for f in Post._meta.concrete_fields if f.attname in _POST_CARD_FIELDS]
_USER_FIELDS = ["id", "handle", "display_name", "is_active"]
_PROFILE_FIELDS = ["user_id", "display_name"]
_ATTACHMENT_FIELDS = ["id", "post_id", "media_id", "position", "face_count"]
# The JSON array below after (attachment id, position, face count): the media's fields in this order.
_MEDIA_FIELDS = [
    "id",
    "owner_id",
    "kind",
    "state",
    "width",
    "height",
    "duration_seconds",
    "variants",
    "deleted_at",
]
_TIER_FIELDS = ["id", "creator_id", "name", "price_minor", "currency", "position", "is_archived"]
_TIER_JSON = (
    "json_build_array(t.id, t.creator_id, t.name, t.price_minor, t.currency, t.position, t.is_archived)"
)
_CARD_COLUMNS_SQL = (
    ", ".join(f"p.{name}" for name in _POST_FIELDS)  # noqa: S608 (constants only, values are parameters)
    + """, u.handle AS creator_handle, u.display_name AS creator_display_name,
  u.is_active AS creator_is_active, cp.display_name AS profile_display_name,
  """
    + policy.HAS_ACCESS_SQL
    + f""" AS has_access,
  EXISTS (SELECT 1 FROM content_postlike pl WHERE pl.post_id = p.id AND pl.user_id = %(reader)s)
    AS viewer_liked,
  EXISTS (SELECT 1 FROM content_bookmark bm WHERE bm.post_id = p.id AND bm.user_id = %(reader)s)
    AS viewer_bookmarked,
  (SELECT json_agg(json_build_array(pm.id, pm.position, pm.face_count, mi.id, mi.owner_id, mi.kind, mi.state,
     mi.width, mi.height, mi.duration_seconds, mi.variants, mi.deleted_at) ORDER BY pm.position)
   FROM content_postmedia pm JOIN media_mediaitem mi ON mi.id = pm.media_id WHERE pm.post_id = p.id)
    AS attachments,
  (SELECT json_agg({_TIER_JSON} ORDER BY t.position, t.id)
   FROM content_post_tiers pt JOIN creators_tier t ON t.id = pt.tier_id WHERE pt.post_id = p.id) AS tiers,
  (SELECT json_agg({_TIER_JSON} ORDER BY t.position, t.id)
   FROM creators_tier t WHERE t.creator_id = p.creator_id AND NOT t.is_archived) AS offered_tiers"""  # noqa: S608
)
_CARD_FROM_SQL = (
    "content_post p JOIN accounts_user u ON u.id = p.creator_id"
    " LEFT JOIN creators_creatorprofile cp ON cp.user_id = p.creator_id"
)
_CARD_WIDTH = len(_POST_FIELDS) + 10  # columns of _CARD_COLUMNS_SQL
_CARDS_BY_IDS_SQL = (
    f"SELECT {_CARD_COLUMNS_SQL} FROM {_CARD_FROM_SQL} WHERE p.id = ANY(%(ids)s) AND {policy.VISIBLE_SQL}"  # noqa: S608
)


def _card_params(*, viewer: Any, country: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Parameters of the card statement: the policy's, plus the reader (likes, bookmarks)."""
    reader = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    return {**policy.sql_params(user=viewer, country=country, now=now), "reader": reader}


_M = TypeVar("_M", bound=Model)


def _loaded(model: type[_M], names: list[str], values: Sequence[Any]) -> _M:
    """``model.from_db`` without ``__init__`` (0.75 -> 0.2 ms of CPU for a 20-card page): the
    values go where ``__init__`` puts them, ``instance.__dict__``; fields left out stay deferred."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    instance.__dict__.update(zip(names, values, strict=True))
    return instance


def posts_from_card_rows(rows: Iterable[Sequence[Any]]) -> list[Post]:
    """``Post`` objects (only the card's fields loaded) from rows of the card statement, each with
    ``creator`` (and its ``creator_profile``), ``has_access``, ``viewer_liked``,
    ``viewer_bookmarked``, ``attachment_list``, ``tier_list`` and ``offered_tier_list`` set: what
    ``presenters.post_card`` reads, without a query."""
    width = len(_POST_FIELDS)
    tiers_by_id: dict[int, Tier] = {}

    def tier(values: list[Any]) -> Tier:
        found = tiers_by_id.get(values[0])
        if found is None:
            found = tiers_by_id[values[0]] = _loaded(Tier, _TIER_FIELDS, values)
        return found

    posts = []
    for row in rows:
        post = _loaded(Post, _POST_FIELDS, row[:width])
        handle, user_name, is_active, profile_name, has_access, liked, bookmarked, media, tiers, offered = (
            row[width:_CARD_WIDTH]
        )
        creator = _loaded(User, _USER_FIELDS, [post.creator_id, handle, user_name, is_active])
        profile = (
            _loaded(CreatorProfile, _PROFILE_FIELDS, [post.creator_id, profile_name])
            if profile_name is not None
            else None
        )
        User.creator_profile.related.set_cached_value(creator, profile)  # type: ignore[attr-defined]
        Post.creator.field.set_cached_value(post, creator)
        post.has_access = has_access  # type: ignore[attr-defined]
        post.viewer_liked = liked  # type: ignore[attr-defined]
        post.viewer_bookmarked = bookmarked  # type: ignore[attr-defined]
        attachments = []
        for item_id, position, face_count, media_id, *media_values, deleted_at in media or ():
            item = _loaded(
                PostMedia, _ATTACHMENT_FIELDS, [item_id, post.pk, uuid.UUID(media_id), position, face_count]
            )
            deleted = datetime.fromisoformat(deleted_at) if deleted_at else None
            PostMedia.media.field.set_cached_value(
                item, _loaded(MediaItem, _MEDIA_FIELDS, [item.media_id, *media_values, deleted])
            )
            attachments.append(item)
        post.attachment_list = attachments  # type: ignore[attr-defined]
        post.tier_list = [tier(values) for values in tiers or ()]  # type: ignore[attr-defined]
        post.offered_tier_list = [tier(values) for values in offered or ()]  # type: ignore[attr-defined]
        posts.append(post)
    return posts


def post_list_by_ids_for_viewer(
    *, viewer: Any, post_ids: list[int], country: str = "", now: datetime | None = None
) -> list[Post]:
    """The posts among ``post_ids`` that ``viewer`` may see, through the access policy (each with
    ``has_access``) and ready for cards (see :func:`posts_from_card_rows`), in the order of
    ``post_ids``: one prepared statement (its plan is the same for every viewer: lookups by id)."""
    if not post_ids:
        return []
    rows = fetch_prepared(
        _CARDS_BY_IDS_SQL, {**_card_params(viewer=viewer, country=country, now=now), "ids": post_ids}
    )
    by_id = {post.pk: post for post in posts_from_card_rows(rows)}
    return [by_id[post_id] for post_id in post_ids if post_id in by_id]


def creator_tiers(*, creator_ids: set[int]) -> dict[int, list[Tier]]:
    """Offered tiers per creator (one query), for the "subscribe from X" action."""
    tiers: dict[int, list[Tier]] = {creator_id: [] for creator_id in creator_ids}
    for tier in Tier.objects.filter(creator_id__in=creator_ids, is_archived=False).order_by("position", "id"):
        tiers[tier.creator_id].append(tier)
    return tiers
