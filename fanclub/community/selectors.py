"""Reads of the community: the swipe deck, trending, new creators, rankings and badges.

Every list of posts goes through the access policy for the viewer *after* any cached id list is
read: the cache (cache.py) holds ids and scores only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from fanclub.community import cache
from fanclub.community.constants import (
    DECK_MAX_LIMIT,
    NEW_CREATOR_DAYS,
    TRENDING_SIZE,
    Sort,
    Window,
)
from fanclub.community.models import (
    BadgeAward,
    ImageVote,
    ImageVoteTally,
    PostScore,
    RankingEntry,
    RankingSnapshot,
    Swipe,
)
from fanclub.community.rankings import period_bounds
from fanclub.content import policy
from fanclub.content import selectors as content_selectors
from fanclub.content.constants import Access
from fanclub.content.models import Post, PostMedia
from fanclub.core.errors import ApiError
from fanclub.creators.models import CreatorProfile
from fanclub.media.constants import MediaKind, MediaState
from fanclub.social import selectors as social_selectors


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# --- Deck -------------------------------------------------------------------------------------------
def deck_list_for_user(*, user: Any, country: str = "", limit: int = 10) -> list[PostMedia]:
    """Image cards the fan has not swiped: images of posts they may know exist (not their own, not
    of creators they mute), every image of a post they may see in full, only the first item of a
    locked one (shown as its blurred preview). Newest posts first. Each item carries
    ``has_access`` and ``post_obj`` (the post, display-ready); three queries whatever the limit.
    """
    limit = max(1, min(limit, DECK_MAX_LIMIT))
    visible = policy.post_qs_visible_to(user=user, country=country).exclude(creator_id=user.pk)
    muted = social_selectors.muted_user_ids(user_id=user.pk)
    if muted:
        visible = visible.exclude(creator_id__in=muted)
    first_position = Subquery(
        PostMedia.objects.filter(post_id=OuterRef("post_id")).order_by("position").values("position")[:1]
    )
    access = Subquery(visible.filter(pk=OuterRef("post_id")).values("has_access")[:1])  # type: ignore[misc]
    queryset = (
        PostMedia.objects.filter(
            post__in=visible.values("pk"),
            media__kind=MediaKind.IMAGE,
            media__state=MediaState.READY,
            media__deleted_at__isnull=True,
        )
        .exclude(Exists(Swipe.objects.filter(user_id=user.pk, media_id=OuterRef("media_id"))))
        .annotate(has_access=access, first_position=first_position)
        .filter(Q(**{"has_access": True}) | Q(position=F("first_position")))
        .select_related("media")
        .order_by("-post__published_at", "-post_id", "position")
    )
    items: list[Any] = []
    seen: set[Any] = set()
    for item in queryset[: limit * 2]:  # a vault item reused in two posts is one card
        if item.media_id not in seen:
            seen.add(item.media_id)
            items.append(item)
        if len(items) == limit:
            break
    posts = {
        post.pk: post
        for post in posts_for_viewer(user=user, country=country, post_ids={i.post_id for i in items})
    }
    result: list[PostMedia] = []
    for item in items:
        post = posts.get(item.post_id)
        if post is not None:
            item.post_obj = post  # type: ignore[attr-defined]
            result.append(item)
    return result


def image_tallies(*, attachment_ids: list[int]) -> dict[int, ImageVoteTally]:
    return {tally.pk: tally for tally in ImageVoteTally.objects.filter(pk__in=attachment_ids)}


# --- Posts for a viewer, in a given order ---------------------------------------------------------------
# The card statement plus the post's vote tally and the viewer's vote (NULL when anonymous).
_RANKED_CARDS = content_selectors.card_statement(
    vote_up="(SELECT vt.up_count FROM community_postvotetally vt WHERE vt.post_id = p.id)",
    vote_down="(SELECT vt.down_count FROM community_postvotetally vt WHERE vt.post_id = p.id)",
    viewer_vote="(SELECT v.value FROM community_postvote v WHERE v.post_id = p.id"
    " AND v.user_id = %(reader)s)",
)


def posts_for_viewer(*, user: Any, country: str, post_ids: set[int] | list[int]) -> list[Post]:
    """The posts among ``post_ids`` the viewer may know exist, as cards (with the creators' offered
    tiers, ``content.selectors.posts_from_card_rows``), each with the viewer's vote
    (``viewer_vote``) and its tally (``vote_up``/``vote_down``): one prepared statement."""
    return content_selectors.post_list_by_ids_for_viewer(
        viewer=user, post_ids=list(post_ids), country=country, statement=_RANKED_CARDS
    )


@dataclass
class RankedPage:
    posts: list[Post]
    next_cursor: str | None
    meta: dict[int, dict[str, Any]] = field(default_factory=dict)  # post id -> rank, score, counts


class InvalidCursor(ApiError):
    status = 400
    code = "invalid_cursor"


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise InvalidCursor("The cursor is malformed or does not belong to this list.")
    return int(cursor)


def _page(
    *, user: Any, country: str, rows: list[dict[str, Any]], cursor: str | None, limit: int
) -> RankedPage:
    """A page of a cached ranked list: the slice, then the policy (hidden posts are skipped)."""
    limit = max(1, min(limit, 100))
    start = _offset(cursor)
    chunk = rows[start : start + limit]
    ids = [row["post_id"] for row in chunk]
    posts = posts_for_viewer(user=user, country=country, post_ids=ids)  # in the order of ids
    more = start + limit < len(rows)
    return RankedPage(
        posts=posts,
        next_cursor=str(start + limit) if more else None,
        meta={row["post_id"]: row for row in chunk},
    )


# --- Trending -------------------------------------------------------------------------------------------
def _trending_rows(category: str) -> list[dict[str, Any]]:
    queryset = PostScore.objects.order_by("-hot", "-post_id")
    if category:
        queryset = queryset.filter(category=category)
    return [
        {"post_id": post_id, "rank": position, "score": hot}
        for position, (post_id, hot) in enumerate(queryset.values_list("post_id", "hot")[:TRENDING_SIZE], 1)
    ]


def trending_page(
    *, user: Any, country: str = "", category: str = "", cursor: str | None = None, limit: int = 20
) -> RankedPage:
    """Trending posts by hot score (the job's rolling window), as this viewer may see them."""
    rows = cache.cached(f"trending:{category}", lambda: _trending_rows(category))
    return _page(user=user, country=country, rows=rows, cursor=cursor, limit=limit)


# --- New creators --------------------------------------------------------------------------------------
def new_creator_list(
    *, viewer: Any, country: str = "", limit: int = 12, now: datetime | None = None
) -> list[CreatorProfile]:
    """Creators who became creators in the last 30 days and have a public live post, newest first
    (not geo-blocking the viewer, no block either way)."""
    now = now or timezone.now()
    public_post = Post.objects.filter(policy.live_q(now), creator_id=OuterRef("pk"), access=Access.PUBLIC)
    queryset = (
        CreatorProfile.objects.select_related("user", "avatar_media")
        .filter(
            created_at__gte=now - timedelta(days=NEW_CREATOR_DAYS), user__is_active=True, user__role="creator"
        )
        .filter(Exists(public_post))
    )
    if country:
        queryset = queryset.exclude(blocked_countries__contains=[country.upper()])
    if _signed_in(viewer):
        queryset = queryset.exclude(social_selectors.block_between_q(user_id=viewer.pk, other_field="pk"))
    return list(queryset.order_by("-created_at", "-pk")[:limit])


# --- Rankings -------------------------------------------------------------------------------------------
def snapshot_for(*, window: str, category: str, period: datetime | None = None) -> RankingSnapshot | None:
    """The snapshot of the period containing ``period``, else the latest one."""
    queryset = RankingSnapshot.objects.filter(window=window, category=category)
    if period is not None:
        start, _ = period_bounds(window=window, at=period)
        return queryset.filter(period_start=start).first()
    return queryset.order_by("-period_start").first()


def snapshot_periods(*, window: str, category: str, limit: int = 12) -> list[RankingSnapshot]:
    """Past and current periods with a snapshot, newest first (the period picker)."""
    if window == Window.ALL:
        return []
    return list(
        RankingSnapshot.objects.filter(window=window, category=category).order_by("-period_start")[:limit]
    )


def _ranking_rows(*, window: str, category: str, sort: str, period: datetime | None) -> dict[str, Any]:
    snapshot = snapshot_for(window=window, category=category, period=period)
    if snapshot is None:
        return {"snapshot": None, "rows": []}
    rows = list(
        RankingEntry.objects.filter(snapshot_id=snapshot.pk, sort=sort)
        .order_by("rank")
        .values(
            "post_id",
            "rank",
            "score",
            "up_count",
            "down_count",
            "likes_count",
            "comments_count",
            "tips_count",
        )
    )
    meta = {
        "window": snapshot.window,
        "category": snapshot.category,
        "period_start": snapshot.period_start,
        "period_end": snapshot.period_end,
        "computed_at": snapshot.computed_at,
        "is_final": snapshot.is_final,
    }
    return {"snapshot": meta, "rows": rows}


def ranking_page(
    *,
    user: Any,
    country: str = "",
    window: str = Window.WEEK,
    category: str = "",
    sort: str = Sort.HOT,
    period: datetime | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[dict[str, Any] | None, RankedPage]:
    """A snapshot's ranked posts as this viewer may see them, and the snapshot's description."""
    period_key = period.isoformat() if period else "latest"
    data = cache.cached(
        f"ranking:{window}:{category}:{sort}:{period_key}",
        lambda: _ranking_rows(window=window, category=category, sort=sort, period=period),
    )
    return data["snapshot"], _page(user=user, country=country, rows=data["rows"], cursor=cursor, limit=limit)


# --- Badges ---------------------------------------------------------------------------------------------
def badge_list_for_creator(*, handle: str, viewer: Any, country: str = "") -> list[BadgeAward]:
    from fanclub.creators import selectors as creator_selectors

    profile = creator_selectors.creator_profile_get_public(handle=handle, viewer=viewer, country=country)
    return badge_list_for_user(user_id=profile.pk)


def badge_list_for_user(*, user_id: int) -> list[BadgeAward]:
    """Awards, newest first; one query."""
    return list(
        BadgeAward.objects.filter(user_id=user_id).select_related("badge").order_by("-awarded_at", "-pk")[:50]
    )


def viewer_image_votes(*, user: Any, attachment_ids: list[int]) -> dict[int, int]:
    if not _signed_in(user) or not attachment_ids:
        return {}
    return dict(
        ImageVote.objects.filter(user_id=user.pk, attachment_id__in=attachment_ids).values_list(
            "attachment_id", "value"
        )
    )
