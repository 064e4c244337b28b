"""The home feed: newest posts of the creators a fan follows or subscribes to.

Strategy (docs/architecture.md, "Home feed"): fan-out on read, in the database, one statement per page.

*Audience*: the creators this fan's feed draws from: follows and active memberships, minus mutes,
blocks either way, inactive accounts and creators blocking the fan's country, read from the fan's
own rows. *Ids*: the page's post ids, newest first, keyset cursor on ``(published_at, id)``; two ways
in one plan, chosen at run time by the audience's size (see "The request path" below). *Cards*: the
posts through the access policy again (``has_access``, geo, blocks, dates) with everything a card
needs (``content.selectors.card_statement``). All of it is one prepared statement written once:
building it through the ORM cost twenty times the database's work.

Each page's ids (never the rendered cards) are cached per user: the first page and up to
MAX_CACHED_PAGES pages after a cursor, in one entry. A page is used only while the audience is the
same set (a digest of it is stored), every cached post is still visible, and, for the first page, no
creator in it has published since the page was computed; the statement that loads the page's cards
checks all of it first. The cards are always decided now, so a cache can never show a locked post
unlocked or a blocked creator's post.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from fanclub.content import selectors as content_selectors
from fanclub.content.constants import PostState
from fanclub.content.models import Post
from fanclub.content.policy import ACTIVE_MEMBERSHIP_SQL, membership_active_q
from fanclub.core.errors import ApiError
from fanclub.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, Page
from fanclub.core.pagination import _decode as decode_cursor
from fanclub.core.pagination import _encode as encode_cursor
from fanclub.core.sql import fetch_prepared
from fanclub.creators.models import Membership
from fanclub.social.models import Block, Follow, Mute

DEFAULT_CACHE_SECONDS = 60
# Pages kept per user besides the first (a fan scrolling down); the oldest computed is dropped first.
MAX_CACHED_PAGES = 10


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


def _live_posts(*, creator_ids: list[int] | QuerySet[Any], now: datetime) -> QuerySet[Post]:
    return Post.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        state=PostState.PUBLISHED,
        deleted_at__isnull=True,
        published_at__lte=now,
        creator_id__in=creator_ids,
    )


def _cursor_position(cursor: str | None) -> tuple[datetime, int] | None:
    """A page cursor's ``(published_at, id)``; None for the first page. Client input: checked."""
    if not cursor:
        return None
    published_at, post_id = decode_cursor(cursor, 2)
    if not isinstance(published_at, datetime) or not isinstance(post_id, int):
        raise InvalidCursor("The cursor is malformed or does not belong to this list.")
    return published_at, post_id


def feed_page_ids(
    *, creator_ids: list[int] | QuerySet[Any], cursor: str | None, limit: int, now: datetime | None = None
) -> tuple[list[int], str | None]:
    """Step 2: one page of post ids (newest first) and the cursor of the next page. ``creator_ids``
    is a list or a subquery of user ids (the audience)."""
    if isinstance(creator_ids, list) and not creator_ids:
        return [], None
    now = now or timezone.now()
    queryset = _live_posts(creator_ids=creator_ids, now=now)
    position = _cursor_position(cursor)
    if position is not None:
        published_at, post_id = position
        # (published_at, id) < (cursor): the first term bounds the index range scan.
        queryset = queryset.filter(
            Q(published_at__lt=published_at) | Q(id__lt=post_id), published_at__lte=published_at
        )
    rows = list(queryset.order_by("-published_at", "-id").values_list("id", "published_at")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1][1], rows[limit - 1][0]]) if len(rows) > limit else None
    return [post_id for post_id, _ in rows[:limit]], next_cursor


# --- The request path: one statement per page ------------------------------------------------------
# The page's ids and their cards in ONE prepared statement, whatever the audience's size. Its two
# ways of finding the ids are both in the plan, and the audience's size, counted first from the
# fan's own rows, runs one of them (a gate on a one-row sub-select: PostgreSQL skips the other
# branch's whole subtree):
# - *large* (more than LARGE_AUDIENCE creators followed or subscribed): walk the partial index
#   ``content_post_feed_idx`` from the top (or the cursor: an index bound in the "after" text)
#   and keep the posts whose creator is in the audience (hashed sub-selects of the fan's follows
#   and memberships, minus mutes and blocks either way), the creator's account active and not
#   blocking the fan's country; stops after ``limit + 1`` hits;
# - *small*: each audience creator's newest posts from ``content_post_creator_new_idx``
#   ``(creator_id, published_at desc, id desc)``, ``limit + 1`` each, merged.
# A single plan cannot serve both: the walk reads about ``limit x creators / audience`` index
# entries (for a fan following 5 of 10,000 creators, 40,000: 19-22 ms a page), the per-creator
# reads cost one index probe per creator (for 500 creators, 9.8 ms a page). Then the cards of the first
# ``limit`` through the access policy again (``content.selectors.card_statement``). Every
# execution runs the one generic plan (``core.sql``). The ORM versions above stay for the
# benchmark's setup and as the readable specification; the feed tests pin that both agree.
LARGE_AUDIENCE = 30  # creators; measured crossover at 1,000,000 posts of 10,000 creators (docs/benchmarks.md)
_HIDDEN_SQL = """SELECT mu.muted_id FROM social_mute mu WHERE mu.muter_id = %(fan)s
    UNION ALL SELECT bl.blocked_id FROM social_block bl WHERE bl.blocker_id = %(fan)s
    UNION ALL SELECT bl.blocker_id FROM social_block bl WHERE bl.blocked_id = %(fan)s"""
_AUDIENCE_CTES = f"""followed AS MATERIALIZED (
  SELECT f.creator_id FROM social_follow f WHERE f.follower_id = %(fan)s),
subscribed AS MATERIALIZED (
  SELECT m.creator_id FROM creators_membership m WHERE m.fan_id = %(fan)s AND {ACTIVE_MEMBERSHIP_SQL})"""  # noqa: S608
# Who the page draws from, before the per-creator checks (account active, country): for the cache's
# digest and the small branch.
_AUDIENCE_SQL = (
    f"SELECT creator_id FROM followed UNION SELECT creator_id FROM subscribed EXCEPT ({_HIDDEN_SQL})"  # noqa: S608
)
_LIVE_POST_SQL = f"""fp.state = '{PostState.PUBLISHED.value}' AND fp.deleted_at IS NULL
    AND fp.published_at <= %(now)s AND (fp.expires_at IS NULL OR fp.expires_at > %(now)s)"""
_COUNTRY_OK_SQL = (
    "(%(country)s = '' OR gp.blocked_countries IS NULL"
    " OR NOT gp.blocked_countries @> ARRAY[%(country)s]::varchar[])"
)
_NEWEST = "ORDER BY fp.published_at DESC, fp.id DESC LIMIT %(limit)s + 1"


def _page_cte(*, after: bool) -> str:
    keyset = " AND (fp.published_at, fp.id) < (%(before_at)s, %(before_id)s)" if after else ""
    return f"""size AS MATERIALIZED (
  SELECT (SELECT count(*) FROM (SELECT FROM followed LIMIT %(large)s + 1) enough)
    + (SELECT count(*) FROM subscribed) AS creators),
page AS MATERIALIZED ((
  SELECT fp.id, fp.published_at FROM content_post fp
    JOIN accounts_user fu ON fu.id = fp.creator_id
    LEFT JOIN creators_creatorprofile gp ON gp.user_id = fp.creator_id
  WHERE (SELECT creators FROM size) > %(large)s AND {_LIVE_POST_SQL}{keyset}
    AND (fp.creator_id IN (SELECT creator_id FROM followed)
         OR fp.creator_id IN (SELECT creator_id FROM subscribed))
    AND fp.creator_id NOT IN ({_HIDDEN_SQL})
    AND fu.is_active AND {_COUNTRY_OK_SQL}
  {_NEWEST}
) UNION ALL (
  SELECT fp.id, fp.published_at FROM ({_AUDIENCE_SQL}) audience
    JOIN accounts_user fu ON fu.id = audience.creator_id AND fu.is_active
    LEFT JOIN creators_creatorprofile gp ON gp.user_id = audience.creator_id
    CROSS JOIN LATERAL (
      SELECT fp.id, fp.published_at FROM content_post fp
      WHERE fp.creator_id = audience.creator_id AND {_LIVE_POST_SQL}{keyset} {_NEWEST}) fp
  WHERE (SELECT creators FROM size) <= %(large)s AND {_COUNTRY_OK_SQL}
  {_NEWEST}
))"""  # noqa: S608 (constants only; values are bound parameters)


# The audience's digest, for the cache: an entry is used only while the audience is the same set.
# Count and sum of a hash of each part's ids (follows, active memberships, mutes and blocks): any
# change to them changes it, and it needs no sort (an md5 of the sorted audience cost 0.6 ms).
_DIGEST_SQL = "concat_ws(':', {})".format(
    ", ".join(
        f"(SELECT count(*) || '.' || coalesce(sum(hashint8(d.id)), 0) FROM ({source}) d(id))"  # noqa: S608 (constants only)
        for source in ("SELECT creator_id FROM followed", "SELECT creator_id FROM subscribed", _HIDDEN_SQL)
    )
)
_PAGE_IDS_SQL = "ARRAY(SELECT id FROM page ORDER BY published_at DESC, id DESC LIMIT %(limit)s)"
_PAGE_ROWS_SQL = "(SELECT count(*) FROM page)"


def _page_statement(*, after: bool, **columns: str) -> content_selectors.CardStatement:
    """A page's statement: the audience, the page's ids and their cards, with the page's row count
    (is there a next page) and ``columns``."""
    return content_selectors.card_statement(
        with_sql=f"{_AUDIENCE_CTES},\n{_page_cte(after=after)}",
        ids_sql=_PAGE_IDS_SQL,
        feed_page_rows=_PAGE_ROWS_SQL,
        **columns,
    )


# The first page and a page after a cursor, each with the digest a cache entry keeps, and without it
# when the cache is off (nothing would keep it).
_FIRST_PAGE = _page_statement(after=False, feed_digest=_DIGEST_SQL)
_FIRST_PAGE_UNCACHED = _page_statement(after=False)
_NEXT_PAGE = _page_statement(after=True, feed_digest=_DIGEST_SQL)
_NEXT_PAGE_UNCACHED = _page_statement(after=True)
# A cached page's cards, only while the entry holds: the audience has the same digest and, for a
# first page, no creator in it has published since the page was computed (a walk of the feed index's
# newest entries; ``since`` is NULL for a page after a cursor, which a newer post cannot change).
# Otherwise no row: the page is computed again.
_CACHED_PAGE = content_selectors.card_statement(
    with_sql=f"""{_AUDIENCE_CTES},
valid AS MATERIALIZED (SELECT {_DIGEST_SQL} = %(digest)s AND NOT EXISTS (
  SELECT 1 FROM content_post fp WHERE fp.published_at > %(since)s AND {_LIVE_POST_SQL}
    AND (fp.creator_id IN (SELECT creator_id FROM followed)
         OR fp.creator_id IN (SELECT creator_id FROM subscribed))) AS holds)""",  # noqa: S608
    ids_sql="CASE WHEN (SELECT holds FROM valid) THEN %(ids)s END",
)


def feed_list_for_user(
    *, user: Any, country: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Post]:
    """The home feed of ``user``: live posts of followed and subscribed creators, newest first,
    each annotated by the access policy (``has_access``) and ready for ``presenters.post_card``
    (with ``offered_tier_list``, see ``content.selectors.posts_from_card_rows``). One statement: the
    page's ids and cards; for a cached page, its cards while the entry holds."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(f"limit must be between 1 and {MAX_LIMIT}.", code="validation_error", status=422)
    now = timezone.now()
    position = _cursor_position(cursor)  # a malformed cursor is an error whoever asks
    params = {
        **content_selectors.card_params(viewer=user, country=country, now=now),
        "fan": user.pk,
        "limit": limit,
        "large": LARGE_AUDIENCE,
    }
    seconds = cache_seconds()
    caching = seconds > 0
    key = cache_key(user_id=user.pk)
    page_key = cursor or ""
    pages: dict[str, Any] = {}
    if caching:
        entry = cache.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("pages"), dict):
            # Pages older than the TTL are dropped: adding a page renews the whole entry's TTL.
            pages = {
                name: page
                for name, page in entry["pages"].items()
                if isinstance(page, dict) and now.timestamp() - page.get("computed_at", 0) < seconds
            }
        page = pages.get(page_key)
        if page is not None and (page.get("country"), page.get("limit")) == (country, limit):
            since = (
                datetime.fromtimestamp(page["computed_at"], tz=timezone.get_current_timezone())
                if position is None
                else None
            )
            posts = content_selectors.post_list_by_ids_for_viewer(
                viewer=user,
                post_ids=list(page["ids"]),
                country=country,
                now=now,
                statement=_CACHED_PAGE,
                params={**params, "digest": page["digest"], "since": since},
            )
            if len(posts) == len(page["ids"]):
                return Page(items=posts, next_cursor=page["next_cursor"])
            # Someone published, the audience changed, or a post left (deleted, expired, access
            # rule, geo, creator gone): compute the page again.
    if position is None:
        statement = _FIRST_PAGE if caching else _FIRST_PAGE_UNCACHED
        rows = fetch_prepared(statement.sql, params)
    else:
        before_at, before_id = position
        statement = _NEXT_PAGE if caching else _NEXT_PAGE_UNCACHED
        rows = fetch_prepared(statement.sql, {**params, "before_at": before_at, "before_id": before_id})
    posts = content_selectors.posts_from_card_rows(rows, extra=statement.names)
    posts.sort(key=lambda post: (post.published_at, post.pk), reverse=True)
    more = bool(posts) and posts[0].feed_page_rows > limit  # type: ignore[attr-defined]
    next_cursor = encode_cursor([posts[-1].published_at, posts[-1].pk]) if more else None
    if caching and posts:
        pages.pop(page_key, None)
        pages[page_key] = {
            "country": country,
            "digest": posts[0].feed_digest,  # type: ignore[attr-defined]
            "limit": limit,
            "computed_at": now.timestamp(),
            "ids": [post.pk for post in posts],
            "next_cursor": next_cursor,
        }
        later = [name for name in pages if name]
        for name in later[: max(0, len(later) - MAX_CACHED_PAGES)]:
            del pages[name]  # the oldest computed first (dicts keep insertion order)
        cache.set(key, {"pages": pages}, seconds)
    return Page(items=posts, next_cursor=next_cursor)
