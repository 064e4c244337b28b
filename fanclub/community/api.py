"""Community API: votes, the swipe deck, trending, new creators, rankings and badges."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query

from fanclub.community import presenters, selectors, services
from fanclub.community.schemas import (
    BadgeOut,
    DeckOut,
    NewCreatorOut,
    RankedPageOut,
    RankingOut,
    SwipeIn,
    SwipeOut,
    VoteIn,
    VoteOut,
)
from fanclub.content.constants import Category
from fanclub.core.errors import ApiError
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.creators.api import PUBLIC_AUTH
from fanclub.creators.presenters import avatar_url

router = api_router(tags=["community"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 404: E, 409: E, 422: E, 429: E, 451: E}


def _vote_out(state: services.VoteState) -> dict[str, Any]:
    return {
        "post_id": state.post_id,
        "media_id": state.media_id,
        "value": state.value,
        "up_count": state.up_count,
        "down_count": state.down_count,
        "score": state.score,
    }


def category_checked(category: str) -> str:
    if category and category not in Category.values:
        raise ApiError(
            "Unknown category.", code="invalid_category", status=422, details={"field": "category"}
        )
    return category


# --- Votes ----------------------------------------------------------------------------------------
@router.post("/posts/{post_id}/vote", response={200: VoteOut, **ERRORS})
def vote_post(request: HttpRequest, post_id: int, payload: VoteIn) -> dict[str, Any]:
    """Vote a post up (1) or down (-1), or change the vote (needs full access to the post)."""
    state = services.post_vote_set(
        user=request.user, post_id=post_id, value=payload.value, country=geo.country_for_request(request)
    )
    return _vote_out(state)


@router.delete("/posts/{post_id}/vote", response={200: VoteOut, **ERRORS})
def unvote_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    state = services.post_vote_delete(
        user=request.user, post_id=post_id, country=geo.country_for_request(request)
    )
    return _vote_out(state)


@router.post("/posts/{post_id}/media/{media_id}/vote", response={200: VoteOut, **ERRORS})
def vote_image(request: HttpRequest, post_id: int, media_id: uuid.UUID, payload: VoteIn) -> dict[str, Any]:
    """Vote one image of a post up or down."""
    state = services.image_vote_set(
        user=request.user,
        post_id=post_id,
        media_id=media_id,
        value=payload.value,
        country=geo.country_for_request(request),
    )
    return _vote_out(state)


@router.delete("/posts/{post_id}/media/{media_id}/vote", response={200: VoteOut, **ERRORS})
def unvote_image(request: HttpRequest, post_id: int, media_id: uuid.UUID) -> dict[str, Any]:
    state = services.image_vote_delete(
        user=request.user, post_id=post_id, media_id=media_id, country=geo.country_for_request(request)
    )
    return _vote_out(state)


# --- Deck -----------------------------------------------------------------------------------------
class DeckParams(ApiSchema):
    limit: int = 10


def deck_cards(request: HttpRequest, *, limit: int) -> list[dict[str, Any]]:
    items: list[Any] = selectors.deck_list_for_user(
        user=request.user, country=geo.country_for_request(request), limit=limit
    )
    ids = [item.pk for item in items]
    tallies = selectors.image_tallies(attachment_ids=ids)
    votes = selectors.viewer_image_votes(user=request.user, attachment_ids=ids)
    return [
        presenters.deck_card(
            request,
            item,
            offered=item.post_obj.offered_tier_list,  # type: ignore[attr-defined]
            tally=tallies.get(item.pk),
            viewer_vote=votes.get(item.pk, 0),
        )
        for item in items
    ]


@router.get("/deck", response={200: DeckOut, **ERRORS})
def list_deck(request: HttpRequest, params: Query[DeckParams]) -> dict[str, Any]:
    """The next image cards the fan has not swiped (locked ones as blurred previews)."""
    return {"items": deck_cards(request, limit=params.limit)}


@router.post("/deck/{media_id}/swipe", response={200: SwipeOut, **ERRORS})
def swipe_card(request: HttpRequest, media_id: uuid.UUID, payload: SwipeIn) -> dict[str, Any]:
    """Like or pass a card; a like on an image the fan may see in full is also an upvote."""
    result = services.swipe_create(
        user=request.user,
        media_id=media_id,
        action=payload.action,
        post_id=payload.post_id,
        country=geo.country_for_request(request),
    )
    return {
        "media_id": result.media_id,
        "post_id": result.post_id,
        "action": result.action,
        "upvoted": result.upvoted,
    }


# --- Explore and rankings -------------------------------------------------------------------------
class TrendingParams(ApiSchema):
    category: str = ""
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/explore/trending", auth=PUBLIC_AUTH, response={200: RankedPageOut, **ERRORS})
def list_trending(request: HttpRequest, params: Query[TrendingParams]) -> dict[str, Any]:
    """Trending posts by hot score, as the viewer may see them (locked: preview and price)."""
    page = selectors.trending_page(
        user=request.user,
        country=geo.country_for_request(request),
        category=category_checked(params.category),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "items": presenters.ranked_cards(request, page.posts, meta=page.meta),
        "next_cursor": page.next_cursor,
    }


@router.get("/explore/creators", auth=PUBLIC_AUTH, response={200: list[NewCreatorOut], **ERRORS})
def list_new_creators(request: HttpRequest) -> list[dict[str, Any]]:
    """Creators of the last 30 days with public posts, newest first."""
    profiles = selectors.new_creator_list(viewer=request.user, country=geo.country_for_request(request))
    return [
        {
            "handle": profile.user.handle,
            "display_name": profile.display_name,
            "avatar_url": avatar_url(request, profile),
            "became_creator_at": profile.created_at,
        }
        for profile in profiles
    ]


class RankingParams(ApiSchema):
    window: Literal["day", "week", "month", "all"] = "week"
    category: str = ""
    sort: Literal["hot", "top", "controversial"] = "hot"
    period: date | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def period_datetime(period: date | None) -> datetime | None:
    return datetime(period.year, period.month, period.day, tzinfo=UTC) if period else None


@router.get("/rankings", auth=PUBLIC_AUTH, response={200: RankingOut, **ERRORS})
def get_rankings(request: HttpRequest, params: Query[RankingParams]) -> dict[str, Any]:
    """A ranking snapshot (``period``: any date inside a past period; default the latest)."""
    snapshot, page = selectors.ranking_page(
        user=request.user,
        country=geo.country_for_request(request),
        window=params.window,
        category=category_checked(params.category),
        sort=params.sort,
        period=period_datetime(params.period),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "snapshot": snapshot,
        "items": presenters.ranked_cards(request, page.posts, meta=page.meta),
        "next_cursor": page.next_cursor,
    }


@router.get("/creators/{handle}/badges", auth=PUBLIC_AUTH, response={200: list[BadgeOut], **ERRORS})
def list_creator_badges(request: HttpRequest, handle: str) -> list[dict[str, Any]]:
    awards = selectors.badge_list_for_creator(
        handle=handle, viewer=request.user, country=geo.country_for_request(request)
    )
    return [presenters.badge_out(award) for award in awards]
