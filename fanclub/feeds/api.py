"""Feeds API: the signed-in fan's home feed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query

from fanclub.content.presenters import post_card
from fanclub.content.schemas import PostPageOut
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.feeds import selectors

router = api_router(tags=["feeds"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 422: E, 429: E}


class FeedParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def feed_cards(
    request: HttpRequest, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the viewer's feed as cards (the page view uses it too)."""
    page = selectors.feed_list_for_user(
        user=request.user, country=geo.country_for_request(request), cursor=cursor, limit=limit
    )
    # The feed's statement brings each creator's offered tiers along (``offered_tier_list``).
    cards = [post_card(request, post, offered=post.offered_tier_list) for post in page.items]  # type: ignore[attr-defined]
    return cards, page.next_cursor


@router.get("/feed", response={200: PostPageOut, **ERRORS})
def get_feed(request: HttpRequest, params: Query[FeedParams]) -> dict[str, Any]:
    """Newest posts of the creators you follow or subscribe to (minus muted and blocked), each as
    the access policy allows: locked ones carry a blurred preview, the price and one action."""
    cards, next_cursor = feed_cards(request, cursor=params.cursor, limit=params.limit)
    return {"items": cards, "next_cursor": next_cursor}
