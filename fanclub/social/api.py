"""Social API: follow and unfollow a creator (free, separate from paid memberships)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.creators import selectors as creator_selectors
from fanclub.social import selectors, services

router = api_router(tags=["social"])
E = ErrorOut
ERRORS: dict[int, Any] = {401: E, 403: E, 404: E, 409: E, 429: E, 451: E}


class FollowOut(ApiSchema):
    following: bool
    follower_count: int


@router.post("/creators/{handle}/follow", response={200: FollowOut, **ERRORS})
def follow_creator(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Follow a creator for free (idempotent)."""
    profile = creator_selectors.creator_profile_get_public(
        handle=handle, viewer=request.user, country=geo.country_for_request(request)
    )
    services.follow_create(follower=request.user, creator=profile.user)
    return {"following": True, "follower_count": selectors.follower_count(creator_id=profile.pk)}


@router.delete("/creators/{handle}/follow", response={200: FollowOut, **ERRORS})
def unfollow_creator(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Stop following (idempotent)."""
    profile = creator_selectors.creator_profile_get_public(handle=handle, viewer=request.user)
    services.follow_delete(follower=request.user, creator=profile.user)
    return {"following": False, "follower_count": selectors.follower_count(creator_id=profile.pk)}
