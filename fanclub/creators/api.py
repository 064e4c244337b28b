"""Creators API: becoming a creator, the persona, the private legal identity, tiers, memberships."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status

from fanclub.accounts.auth import API_AUTH
from fanclub.accounts.models import User
from fanclub.core.errors import NotFound, PermissionDenied
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo, permissions, presenters, selectors, services
from fanclub.creators.schemas import (
    CreatorBecomeIn,
    CreatorOut,
    CreatorUpdateIn,
    LegalIdentityIn,
    LegalIdentityOut,
    MembershipGrantIn,
    MembershipOut,
    MembershipPageOut,
    MyCreatorOut,
    MyTierOut,
    TierIn,
    TierOut,
    TierUpdateIn,
)
from fanclub.social import selectors as social_selectors

router = api_router(tags=["creators"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 404: E, 409: E, 422: E, 429: E, 451: E}


def _anonymous(request: HttpRequest) -> bool:
    return True


# Public reads: credentials are used when sent (the viewer matters), anonymous visitors pass too.
PUBLIC_AUTH = [*API_AUTH, _anonymous]


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _creator(request: HttpRequest) -> User:
    user = request.user
    if not permissions.is_creator(user) or selectors.creator_profile_for_user(user=user) is None:
        raise PermissionDenied("Only creators can do this.", code="not_a_creator")
    return user  # type: ignore[return-value]


def _my_creator_out(request: HttpRequest, user: User) -> dict[str, Any]:
    profile = selectors.creator_profile_get_public(handle=user.handle, viewer=user)
    return presenters.creator_out(
        request,
        profile,
        tiers=selectors.tier_list_offered(creator_id=user.pk),
        is_following=False,
        membership=None,
        owner=True,
    )


@router.post("/me/creator", response={201: MyCreatorOut, **ERRORS})
def become_creator(request: HttpRequest, payload: CreatorBecomeIn) -> Status:
    """Turn the signed-in fan account into a creator with a public persona."""
    user = request.user
    if not permissions.can_become_creator(user) and not permissions.is_creator(user):
        raise PermissionDenied("This account cannot become a creator.")
    services.creator_become(
        user=user, display_name=payload.display_name, archetype=payload.archetype, bio=payload.bio
    )
    return Status(201, _my_creator_out(request, user))  # type: ignore[arg-type]


@router.get("/me/creator", response={200: MyCreatorOut, **ERRORS})
def get_my_creator(request: HttpRequest) -> dict[str, Any]:
    """The creator's own profile, with the private settings (blocked countries, masked mode)."""
    return _my_creator_out(request, _creator(request))


@router.patch("/me/creator", response={200: MyCreatorOut, **ERRORS})
def update_my_creator(request: HttpRequest, payload: CreatorUpdateIn) -> dict[str, Any]:
    user = _creator(request)
    fields = payload.model_dump(exclude_unset=True, by_alias=False)
    services.creator_profile_update(user=user, **fields)
    return _my_creator_out(request, user)


@router.get("/me/creator/legal", response={200: LegalIdentityOut, **ERRORS})
def get_my_legal_identity(request: HttpRequest) -> Any:
    """The private legal identity: only its owner ever receives it."""
    identity = selectors.legal_identity_for_owner(user=_creator(request))
    if identity is None:
        raise NotFound("No legal identity stored yet.")
    return identity


@router.put("/me/creator/legal", response={200: LegalIdentityOut, **ERRORS})
def set_my_legal_identity(request: HttpRequest, payload: LegalIdentityIn) -> Any:
    return services.legal_identity_set(user=_creator(request), **payload.model_dump(by_alias=False))


@router.post("/me/creator/tiers", response={201: MyTierOut, **ERRORS})
def create_tier(request: HttpRequest, payload: TierIn) -> Status:
    tier = services.tier_create(user=_creator(request), **payload.model_dump(by_alias=False))
    return Status(201, presenters.tier_out(tier, owner=True))  # type: ignore[arg-type]


@router.patch("/me/creator/tiers/{tier_id}", response={200: MyTierOut, **ERRORS})
def update_tier(request: HttpRequest, tier_id: int, payload: TierUpdateIn) -> dict[str, Any]:
    tier = services.tier_update(
        user=_creator(request), tier_id=tier_id, **payload.model_dump(exclude_unset=True, by_alias=False)
    )
    return presenters.tier_out(tier, owner=True)


@router.delete("/me/creator/tiers/{tier_id}", response={204: None, **ERRORS})
def delete_tier(request: HttpRequest, tier_id: int) -> Status:
    """Archive the tier: no longer offered; current members keep access until their period ends."""
    services.tier_archive(user=_creator(request), tier_id=tier_id)
    return Status(204, None)


@router.get("/me/creator/members", response={200: MembershipPageOut, **ERRORS})
def list_my_members(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.membership_list_for_creator(
        creator=_creator(request), cursor=params.cursor, limit=params.limit
    )
    return {"items": [presenters.membership_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post("/me/creator/members", response={201: MembershipOut, **ERRORS})
def grant_membership(request: HttpRequest, payload: MembershipGrantIn) -> Status:
    """Give a fan complimentary access at a tier (until a date, or open-ended)."""
    creator = _creator(request)
    fan = User.objects.filter(handle__iexact=payload.fan_handle, is_active=True).first()
    if fan is None:
        raise NotFound("No such account.")
    membership = services.membership_grant(
        creator=creator, fan=fan, tier_id=payload.tier_id, current_period_end=payload.current_period_end
    )
    membership.fan, membership.creator = fan, creator
    return Status(201, presenters.membership_out(membership, welcome=True))  # type: ignore[arg-type]


@router.delete("/me/creator/members/{handle}", response={204: None, **ERRORS})
def end_membership(request: HttpRequest, handle: str) -> Status:
    creator = _creator(request)
    fan = User.objects.filter(handle__iexact=handle).first()
    if fan is None or services.membership_end(creator=creator, fan=fan) is None:
        raise NotFound("No active membership for this account.")
    return Status(204, None)


@router.get("/me/memberships", response={200: MembershipPageOut, **ERRORS})
def list_my_memberships(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.membership_list_for_fan(fan=request.user, cursor=params.cursor, limit=params.limit)
    return {
        "items": [presenters.membership_out(m, welcome=True) for m in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/creators/{handle}", auth=PUBLIC_AUTH, response={200: CreatorOut, **ERRORS})
def get_creator(request: HttpRequest, handle: str) -> dict[str, Any]:
    """A creator's public persona and tiers (451 where the creator blocks the viewer's country)."""
    profile = selectors.creator_profile_get_public(
        handle=handle, viewer=request.user, country=geo.country_for_request(request)
    )
    return presenters.creator_out(
        request,
        profile,
        tiers=selectors.tier_list_offered(creator_id=profile.pk),
        is_following=social_selectors.is_following(user=request.user, creator_id=profile.pk),
        membership=selectors.membership_active_for(fan=request.user, creator_id=profile.pk),
    )


@router.get("/creators/{handle}/tiers", auth=PUBLIC_AUTH, response={200: list[TierOut], **ERRORS})
def list_tiers(request: HttpRequest, handle: str) -> list[dict[str, Any]]:
    profile = selectors.creator_profile_get_public(
        handle=handle, viewer=request.user, country=geo.country_for_request(request)
    )
    return [presenters.tier_out(tier) for tier in selectors.tier_list_offered(creator_id=profile.pk)]
