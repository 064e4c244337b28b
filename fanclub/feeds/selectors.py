"""The home feed: newest posts of the creators a fan follows or subscribes to.

Strategy (docs/architecture.md, "Home feed"): fan-out on read, in the database.

1. *Audience*: the creators this fan's feed draws from (follows and active memberships, minus
   mutes, blocks either way, inactive creators and creators blocking the fan's country), kept as a
   subquery, never materialized in Python.
2. *Ids*: the page's post ids, newest first, from the partial index ``content_post_feed_idx``
   ``(published_at desc, id desc) include (creator_id, expires_at) where published and not
   deleted``, semi-joined with the audience: PostgreSQL walks the index from the cursor and stops
   after ``limit + 1`` hits. Keyset cursor on ``(published_at, id)``.
3. *Cards*: the posts by id through the access policy (``post_qs_visible_to``: ``has_access``,
   geo, blocks, dates again) with everything a card needs, in a constant number of queries.

The first page's ids (never the rendered cards) are cached per user; an entry is used only while
the audience is the same set (an md5 of it, computed in the database, is stored), no creator in it
has published since the entry was computed, and the country matches; every use re-runs step 3, so
access is always decided now: a cache can never show a locked post unlocked or a blocked creator's
post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.db.models import CharField, Func, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from fanclub.content import selectors as content_selectors
from fanclub.content.constants import PostState
from fanclub.content.models import Post
from fanclub.content.policy import membership_active_q
from fanclub.core.errors import ApiError
from fanclub.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from fanclub.core.pagination import _decode as decode_cursor
from fanclub.core.pagination import _encode as encode_cursor
from fanclub.creators.models import Membership
from fanclub.social.models import Block, Follow, Mute

DEFAULT_CACHE_SECONDS = 60


def cache_key(*, user_id: int) -> str:
    return f"feeds:home:{user_id}"


def cache_seconds() -> int:
    return int(getattr(settings, "FEEDS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def _audience(*, user: Any, country: str) -> QuerySet[Any]:
    """The feed's audience as a subquery of user ids (never materialized in Python: the page's id
    scan joins it in the database, whatever its size)."""
    from fanclub.accounts.models import User

    now = timezone.now()
    followed = Follow.objects.filter(follower_id=user.pk).values("creator_id")
    subscribed = Membership.objects.filter(membership_active_q(now), fan_id=user.pk).values("creator_id")
    queryset = (
        User.objects.filter(Q(pk__in=followed) | Q(pk__in=subscribed), is_active=True)
        .exclude(pk__in=Mute.objects.filter(muter_id=user.pk).values("muted_id"))
        .exclude(pk__in=Block.objects.filter(blocker_id=user.pk).values("blocked_id"))
        .exclude(pk__in=Block.objects.filter(blocked_id=user.pk).values("blocker_id"))
    )
    if country:
        queryset = queryset.exclude(creator_profile__blocked_countries__contains=[country.upper()])
    return queryset.values("pk")


def feed_creator_ids(*, user: Any, country: str = "") -> list[int]:
    """The feed's audience for ``user``, sorted (one query)."""
    return sorted(row["pk"] for row in _audience(user=user, country=country))


def _audience_digest(*, user: Any, country: str) -> str | None:
    """A digest of the audience (None when empty), computed in the database: one short row."""
    digest = _audience(user=user, country=country).aggregate(
        digest=Func(StringAgg(Cast("pk", CharField()), ",", order_by=("pk",)), function="md5")
    )["digest"]
    return str(digest) if digest else None


def _live_posts(*, creator_ids: list[int] | QuerySet[Any], now: datetime) -> QuerySet[Post]:
    return Post.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        state=PostState.PUBLISHED,
        deleted_at__isnull=True,
        published_at__lte=now,
        creator_id__in=creator_ids,
    )


def feed_page_ids(
    *, creator_ids: list[int] | QuerySet[Any], cursor: str | None, limit: int, now: datetime | None = None
) -> tuple[list[int], str | None]:
    """Step 2: one page of post ids (newest first) and the cursor of the next page. ``creator_ids``
    is a list or a subquery of user ids (the audience)."""
    if isinstance(creator_ids, list) and not creator_ids:
        return [], None
    now = now or timezone.now()
    queryset = _live_posts(creator_ids=creator_ids, now=now)
    if cursor:
        published_at, post_id = decode_cursor(cursor, 2)
        if not isinstance(published_at, datetime) or not isinstance(post_id, int):
            raise InvalidCursor("The cursor is malformed or does not belong to this list.")
        # (published_at, id) < (cursor): the first term bounds the index range scan.
        queryset = queryset.filter(
            Q(published_at__lt=published_at) | Q(id__lt=post_id), published_at__lte=published_at
        )
    rows = list(queryset.order_by("-published_at", "-id").values_list("id", "published_at")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1][1], rows[limit - 1][0]]) if len(rows) > limit else None
    return [post_id for post_id, _ in rows[:limit]], next_cursor


@dataclass(frozen=True)
class _Cached:
    ids: list[int]
    next_cursor: str | None


def _cached_first_page(
    *, user_id: int, country: str, digest: str, limit: int, audience: QuerySet[Any], now: datetime
) -> _Cached | None:
    entry = cache.get(cache_key(user_id=user_id))
    if not isinstance(entry, dict):
        return None
    if (entry.get("country"), entry.get("digest"), entry.get("limit")) != (country, digest, limit):
        return None
    computed_at = datetime.fromtimestamp(entry["computed_at"], tz=timezone.get_current_timezone())
    # Something new from this audience since the entry was computed: recompute (a tiny range scan
    # at the top of content_post_feed_idx, whatever the audience size).
    if _live_posts(creator_ids=audience, now=now).filter(published_at__gt=computed_at).exists():
        return None
    return _Cached(ids=list(entry["ids"]), next_cursor=entry["next_cursor"])


def feed_list_for_user(
    *, user: Any, country: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Post]:
    """The home feed of ``user``: live posts of followed and subscribed creators, newest first,
    each annotated by the access policy (``has_access``) and ready for ``presenters.post_card``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(f"limit must be between 1 and {MAX_LIMIT}.", code="validation_error", status=422)
    now = timezone.now()
    audience = _audience(user=user, country=country)
    first_page = not cursor and cache_seconds() > 0
    if first_page:
        digest = _audience_digest(user=user, country=country)
        if digest is None:
            return Page(items=[], next_cursor=None)
        cached = _cached_first_page(
            user_id=user.pk, country=country, digest=digest, limit=limit, audience=audience, now=now
        )
        if cached is not None:
            posts = content_selectors.post_list_by_ids_for_viewer(
                viewer=user, post_ids=cached.ids, country=country
            )
            if len(posts) == len(cached.ids):
                return Page(items=posts, next_cursor=cached.next_cursor)
            # A post left (deleted, expired, access rule, geo): the entry is stale, recompute.
    ids, next_cursor = feed_page_ids(creator_ids=audience, cursor=cursor, limit=limit, now=now)
    if first_page:
        cache.set(
            cache_key(user_id=user.pk),
            {
                "country": country,
                "digest": digest,
                "limit": limit,
                "computed_at": now.timestamp(),
                "ids": ids,
                "next_cursor": next_cursor,
            },
            cache_seconds(),
        )
    posts = content_selectors.post_list_by_ids_for_viewer(viewer=user, post_ids=ids, country=country)
    return Page(items=posts, next_cursor=next_cursor)
