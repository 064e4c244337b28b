"""Reads of the content app, always scoped by the access policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import BooleanField as _Bool
from django.db.models import Exists, Model, OuterRef, Prefetch, QuerySet, Value
from django.db.models.base import ModelState
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.content import policy
from fanclub.content.constants import PostState
from fanclub.content.models import Bookmark, Comment, Post, PostLike, PostMedia
from fanclub.core.errors import ApiError, NotFound
from fanclub.core.pagination import MAX_LIMIT, InvalidCursor, Page, paginate
from fanclub.core.pagination import _decode as decode_cursor
from fanclub.core.pagination import _encode as encode_cursor
from fanclub.core.sql import fetch_prepared
from fanclub.creators.models import CreatorProfile, Tier
from fanclub.media.models import MediaItem
from fanclub.social.selectors import block_between_q


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


def post_get_for_viewer(*, viewer: Any, post_id: int, country: str = "") -> Post:
    post = (
        _for_display(policy.post_qs_visible_to(user=viewer, country=country), viewer=viewer)
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFound("No such post.")
    return post


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


def card_params(*, viewer: Any, country: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Parameters of the card statement: the policy's, plus the reader (likes, bookmarks)."""
    reader = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    return {**policy.sql_params(user=viewer, country=country, now=now), "reader": reader}


_M = TypeVar("_M", bound=Model)


def model_from_values(model: type[_M], names: list[str], values: Sequence[Any]) -> _M:
    """``model.from_db`` without ``__init__`` (0.75 -> 0.2 ms of CPU for a 20-card page): the
    values go where ``__init__`` puts them, ``instance.__dict__``; fields left out stay deferred."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    instance.__dict__.update(zip(names, values, strict=True))
    return instance


def posts_from_card_rows(rows: Iterable[Sequence[Any]], *, extra: Sequence[str] = ()) -> list[Post]:
    """``Post`` objects (only the card's fields loaded) from rows of the card statement, each with
    ``creator`` (and its ``creator_profile``), ``has_access``, ``viewer_liked``,
    ``viewer_bookmarked``, ``attachment_list``, ``tier_list`` and ``offered_tier_list`` set: what
    ``presenters.post_card`` reads, without a query. ``extra``: attribute names for the columns a
    statement of :func:`card_statement` adds after the card's own."""
    width = len(_POST_FIELDS)
    tiers_by_id: dict[int, Tier] = {}

    def tier(values: list[Any]) -> Tier:
        found = tiers_by_id.get(values[0])
        if found is None:
            found = tiers_by_id[values[0]] = model_from_values(Tier, _TIER_FIELDS, values)
        return found

    posts = []
    for row in rows:
        post = model_from_values(Post, _POST_FIELDS, row[:width])
        handle, user_name, is_active, profile_name, has_access, liked, bookmarked, media, tiers, offered = (
            row[width:_CARD_WIDTH]
        )
        creator = model_from_values(User, _USER_FIELDS, [post.creator_id, handle, user_name, is_active])
        profile = (
            model_from_values(CreatorProfile, _PROFILE_FIELDS, [post.creator_id, profile_name])
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
            item = model_from_values(
                PostMedia, _ATTACHMENT_FIELDS, [item_id, post.pk, uuid.UUID(media_id), position, face_count]
            )
            deleted = datetime.fromisoformat(deleted_at) if deleted_at else None
            PostMedia.media.field.set_cached_value(
                item, model_from_values(MediaItem, _MEDIA_FIELDS, [item.media_id, *media_values, deleted])
            )
            attachments.append(item)
        post.attachment_list = attachments  # type: ignore[attr-defined]
        post.tier_list = [tier(values) for values in tiers or ()]  # type: ignore[attr-defined]
        post.offered_tier_list = [tier(values) for values in offered or ()]  # type: ignore[attr-defined]
        for name, value in zip(extra, row[_CARD_WIDTH:], strict=True):
            setattr(post, name, value)
        posts.append(post)
    return posts


class CardStatement(NamedTuple):
    """The card statement by ids with more columns, each set on its post as an attribute."""

    sql: str
    names: tuple[str, ...]


def card_statement(*, with_sql: str = "", ids_sql: str = "%(ids)s", **columns: str) -> CardStatement:
    """The card statement by ids plus ``columns`` (attribute name -> SQL over ``content_post p``, with
    the card's parameters: ``%(reader)s`` is the signed-in viewer's id or NULL). Build it once, at
    import: each text is prepared once per connection. ``with_sql``: common table expressions the
    columns or ``ids_sql`` may read (``WITH`` left out); ``ids_sql``: the posts' ids, an array."""
    extra = "".join(f",\n  {expression} AS {name}" for name, expression in columns.items())
    prefix = f"WITH {with_sql}\n" if with_sql else ""
    return CardStatement(
        f"{prefix}SELECT {_CARD_COLUMNS_SQL}{extra} FROM {_CARD_FROM_SQL}"  # noqa: S608 (constants only)
        f" WHERE p.id = ANY({ids_sql}) AND {policy.VISIBLE_SQL}",
        tuple(columns),
    )


_CARDS_BY_IDS = CardStatement(_CARDS_BY_IDS_SQL, ())


def post_list_by_ids_for_viewer(
    *,
    viewer: Any,
    post_ids: list[int],
    country: str = "",
    now: datetime | None = None,
    statement: CardStatement = _CARDS_BY_IDS,
    params: dict[str, Any] | None = None,
) -> list[Post]:
    """The posts among ``post_ids`` that ``viewer`` may see, through the access policy (each with
    ``has_access``) and ready for cards (see :func:`posts_from_card_rows`), in the order of
    ``post_ids``: one prepared statement (its plan is the same for every viewer: lookups by id).
    ``statement``: one of :func:`card_statement`, for lists that show more than the card, with its
    own ``params``."""
    if not post_ids:
        return []
    rows = fetch_prepared(
        statement.sql,
        {**card_params(viewer=viewer, country=country, now=now), **(params or {}), "ids": post_ids},
    )
    by_id = {post.pk: post for post in posts_from_card_rows(rows, extra=statement.names)}
    return [by_id[post_id] for post_id in post_ids if post_id in by_id]


# --- Lists: the page's ids in one statement, then the cards -----------------------------------------
# A creator's profile, a fan's bookmarks and the creator's studio, as the home feed does it: one
# hand-written statement picks the page's ids (keyset, through ``policy.VISIBLE_SQL``), then
# ``post_list_by_ids_for_viewer`` loads their cards. Building the ORM policy, the prefetches and the
# offered tiers cost 11-17 ms of CPU per 20-card request (docs/benchmarks.md); these are strings
# written once. Both are prepared (``core.sql.fetch_prepared``): each list walks one creator's or
# one fan's index from the cursor, the best plan whoever asks. A list has two texts, first page and
# after a cursor, so that the cursor is an index bound in the prepared plan rather than an OR the
# plan must keep. Cursors are ``core.pagination``'s (same values and encoding as ``paginate`` over
# the same ordering), so a cursor handed out before still works. ``content/tests/test_lists_sql.py``
# compares every list, page by page, with the ORM policy (``post_qs_visible_to`` + ``paginate``) for
# each access rule x post state x viewer relation. The search app's tag and category lists are built
# the same way (``search/tests/test_lists_sql.py``).
class ListSql(NamedTuple):
    first: str
    after: str
    kinds: tuple[type, ...]  # the cursor's values (the ordering's columns; the post's id last)
    prepared: bool = True


def list_sql(*, source: str, where: str, order: dict[str, type], prepared: bool = True) -> ListSql:
    """``order``: the columns, all descending, with the type of each one's cursor value.
    ``prepared=False`` for a list whose best plan depends on its parameters' values (planned for
    each page then, as Django's own statements are)."""
    columns = ", ".join(order)
    base = f"SELECT {columns} FROM {source} WHERE {where} AND {policy.VISIBLE_SQL}"  # noqa: S608
    after = ", ".join(f"%(after_{position})s" for position in range(len(order)))
    tail = f" ORDER BY {', '.join(f'{column} DESC' for column in order)} LIMIT %(limit)s"
    return ListSql(base + tail, f"{base} AND ({columns}) < ({after}){tail}", tuple(order.values()), prepared)


POSTS_FROM_SQL = "content_post p JOIN accounts_user u ON u.id = p.creator_id"
# ``p.deleted_at IS NULL`` is implied by VISIBLE_SQL; spelled out, it matches the partial index
# ``content_post_profile_idx``.
_CREATOR_LIST = list_sql(
    source=POSTS_FROM_SQL,
    where=f"p.creator_id = %(creator)s AND p.state = '{PostState.PUBLISHED.value}' AND p.deleted_at IS NULL",
    order={"p.is_pinned": bool, "p.published_at": datetime, "p.id": int},
)
_STUDIO_LIST = list_sql(
    source=POSTS_FROM_SQL, where="p.creator_id = %(creator)s", order={"p.created_at": datetime, "p.id": int}
)
_BOOKMARK_LIST = list_sql(
    source="content_bookmark bk JOIN content_post p ON p.id = bk.post_id"
    " JOIN accounts_user u ON u.id = p.creator_id",
    where="bk.user_id = %(fan)s",
    order={"bk.created_at": datetime, "p.id": int},
)
_BIGINT = range(-(2**63), 2**63)


def _cursor_values(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The cursor's values, each of its column's type (a cursor is client input)."""
    values = decode_cursor(cursor, len(kinds))
    for value, kind in zip(values, kinds, strict=True):
        valid = type(value) is int and value in _BIGINT if kind is int else isinstance(value, kind)
        if not valid:
            raise InvalidCursor("The cursor is malformed or does not belong to this list.")
    return values


def list_page(
    statements: ListSql,
    *,
    viewer: Any,
    params: dict[str, Any],
    country: str,
    cursor: str | None,
    limit: int,
) -> Page[Post]:
    """One page of a list: its ids (one statement), then their cards (one statement)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(f"limit must be between 1 and {MAX_LIMIT}.", code="validation_error", status=422)
    now = timezone.now()
    params = {**policy.sql_params(user=viewer, country=country, now=now), **params, "limit": limit + 1}
    sql = statements.first
    if cursor:
        values = _cursor_values(cursor, statements.kinds)
        params.update({f"after_{position}": value for position, value in enumerate(values)})
        sql = statements.after
    if statements.prepared:
        rows = fetch_prepared(sql, params)
    else:
        with connection.cursor() as db:
            db.execute(sql, params)
            rows = db.fetchall()
    next_cursor = encode_cursor(list(rows[limit - 1])) if len(rows) > limit else None
    posts = post_list_by_ids_for_viewer(
        viewer=viewer, post_ids=[row[-1] for row in rows[:limit]], country=country, now=now
    )
    return Page(items=posts, next_cursor=next_cursor)


def post_list_for_creator(
    *, viewer: Any, creator_id: int, country: str = "", cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """A creator's published posts as ``viewer`` (anonymous too) sees them, pinned first, newest
    first, as cards (see :func:`posts_from_card_rows`). Two statements."""
    return list_page(
        _CREATOR_LIST,
        viewer=viewer,
        params={"creator": creator_id},
        country=country,
        cursor=cursor,
        limit=limit,
    )


def post_list_for_studio(*, creator: Any, cursor: str | None = None, limit: int = 20) -> Page[Post]:
    """The creator's own posts, drafts and scheduled included, newest first, as cards. Two statements."""
    return list_page(
        _STUDIO_LIST, viewer=creator, params={"creator": creator.pk}, country="", cursor=cursor, limit=limit
    )


def bookmark_list_for_user(
    *, user: Any, country: str = "", cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Saved posts still visible to the user, most recently saved first, as cards. Two statements."""
    return list_page(
        _BOOKMARK_LIST, viewer=user, params={"fan": user.pk}, country=country, cursor=cursor, limit=limit
    )


def creator_tiers(*, creator_ids: set[int]) -> dict[int, list[Tier]]:
    """Offered tiers per creator (one query), for the "subscribe from X" action."""
    tiers: dict[int, list[Tier]] = {creator_id: [] for creator_id in creator_ids}
    for tier in Tier.objects.filter(creator_id__in=creator_ids, is_archived=False).order_by("position", "id"):
        tiers[tier.creator_id].append(tier)
    return tiers
