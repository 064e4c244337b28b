"""Social API: follows (free, separate from paid memberships), blocks, mutes and creators' fan lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status
from pydantic import Field

from fanclub.core.errors import PermissionDenied
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.creators import selectors as creator_selectors
from fanclub.creators.permissions import is_creator
from fanclub.social import selectors, services
from fanclub.social.models import FanList, FanListMember

router = api_router(tags=["social"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 404: E, 409: E, 422: E, 429: E, 451: E}


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


# --- Blocks and mutes -----------------------------------------------------------------------------
class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


class BlockOut(ApiSchema):
    handle: str
    blocked: bool


class MuteOut(ApiSchema):
    handle: str
    muted: bool


class UserRefOut(ApiSchema):
    handle: str
    name: str
    since: datetime


class UserRefPageOut(ApiSchema):
    items: list[UserRefOut]
    next_cursor: str | None


@router.post("/users/{handle}/block", response={200: BlockOut, **ERRORS})
def block_user(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Block a user: both of you stop seeing each other's profile, posts and comments, follows
    between you end, and they cannot follow you again (idempotent)."""
    other = selectors.user_get_by_handle(handle=handle)
    services.block_create(blocker=request.user, blocked=other)
    return {"handle": other.handle, "blocked": True}


@router.delete("/users/{handle}/block", response={200: BlockOut, **ERRORS})
def unblock_user(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Lift your block (idempotent; follows are not restored)."""
    other = selectors.user_get_by_handle(handle=handle)
    services.block_delete(blocker=request.user, blocked=other)
    return {"handle": other.handle, "blocked": False}


@router.post("/users/{handle}/mute", response={200: MuteOut, **ERRORS})
def mute_user(request: HttpRequest, handle: str) -> dict[str, Any]:
    """Mute a user: their posts leave your feeds; they are not told (idempotent)."""
    other = selectors.user_get_by_handle(handle=handle)
    services.mute_create(muter=request.user, muted=other)
    return {"handle": other.handle, "muted": True}


@router.delete("/users/{handle}/mute", response={200: MuteOut, **ERRORS})
def unmute_user(request: HttpRequest, handle: str) -> dict[str, Any]:
    other = selectors.user_get_by_handle(handle=handle)
    services.mute_delete(muter=request.user, muted=other)
    return {"handle": other.handle, "muted": False}


@router.get("/me/blocks", response={200: UserRefPageOut, **ERRORS})
def list_my_blocks(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.block_list_for_user(user=request.user, cursor=params.cursor, limit=params.limit)
    items = [{"handle": b.blocked.handle, "name": b.blocked.name, "since": b.created_at} for b in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/me/mutes", response={200: UserRefPageOut, **ERRORS})
def list_my_mutes(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.mute_list_for_user(user=request.user, cursor=params.cursor, limit=params.limit)
    items = [{"handle": m.muted.handle, "name": m.muted.name, "since": m.created_at} for m in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


# --- Fan lists (creators) -------------------------------------------------------------------------
class FanListIn(ApiSchema):
    name: str = Field(min_length=1, max_length=80)


class FanListOut(ApiSchema):
    id: int
    name: str
    member_count: int
    created_at: datetime


class FanListPageOut(ApiSchema):
    items: list[FanListOut]
    next_cursor: str | None


class FanListMemberIn(ApiSchema):
    fan_handle: str = Field(min_length=1, max_length=40)
    note: str = Field("", max_length=500)


class FanListMemberUpdateIn(ApiSchema):
    note: str = Field(max_length=500)


class FanListMemberOut(ApiSchema):
    handle: str
    name: str
    note: str
    added_at: datetime
    updated_at: datetime


class FanListMemberPageOut(ApiSchema):
    items: list[FanListMemberOut]
    next_cursor: str | None


def _creator(request: HttpRequest) -> Any:
    user = request.user
    if not is_creator(user) or creator_selectors.creator_profile_for_user(user=user) is None:
        raise PermissionDenied("Only creators have fan lists.", code="not_a_creator")
    return user


def _list_out(fan_list: FanList) -> dict[str, Any]:
    return {
        "id": fan_list.pk,
        "name": fan_list.name,
        "member_count": getattr(fan_list, "member_count", 0),
        "created_at": fan_list.created_at,
    }


def _member_out(member: FanListMember) -> dict[str, Any]:
    return {
        "handle": member.fan.handle,
        "name": member.fan.name,
        "note": member.note,
        "added_at": member.added_at,
        "updated_at": member.updated_at,
    }


@router.get("/me/fan-lists", response={200: FanListPageOut, **ERRORS})
def list_fan_lists(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    creator = _creator(request)
    page = selectors.fan_list_list_for_creator(
        creator_id=creator.pk, cursor=params.cursor, limit=params.limit
    )
    return {"items": [_list_out(item) for item in page.items], "next_cursor": page.next_cursor}


@router.post("/me/fan-lists", response={201: FanListOut, **ERRORS})
def create_fan_list(request: HttpRequest, payload: FanListIn) -> Status:
    creator = _creator(request)
    fan_list = services.fan_list_create(creator=creator, name=payload.name)
    return Status(201, _list_out(selectors.fan_list_get(creator_id=creator.pk, list_id=fan_list.pk)))  # type: ignore[arg-type]


@router.get("/me/fan-lists/{list_id}", response={200: FanListOut, **ERRORS})
def get_fan_list(request: HttpRequest, list_id: int) -> dict[str, Any]:
    creator = _creator(request)
    return _list_out(selectors.fan_list_get(creator_id=creator.pk, list_id=list_id))


@router.patch("/me/fan-lists/{list_id}", response={200: FanListOut, **ERRORS})
def rename_fan_list(request: HttpRequest, list_id: int, payload: FanListIn) -> dict[str, Any]:
    creator = _creator(request)
    services.fan_list_rename(creator=creator, list_id=list_id, name=payload.name)
    return _list_out(selectors.fan_list_get(creator_id=creator.pk, list_id=list_id))


@router.delete("/me/fan-lists/{list_id}", response={204: None, **ERRORS})
def delete_fan_list(request: HttpRequest, list_id: int) -> Status:
    creator = _creator(request)
    services.fan_list_delete(creator=creator, list_id=list_id)
    return Status(204, None)


@router.get("/me/fan-lists/{list_id}/members", response={200: FanListMemberPageOut, **ERRORS})
def list_fan_list_members(request: HttpRequest, list_id: int, params: Query[ListParams]) -> dict[str, Any]:
    creator = _creator(request)
    page = selectors.fan_list_member_list(
        creator_id=creator.pk, list_id=list_id, cursor=params.cursor, limit=params.limit
    )
    return {"items": [_member_out(item) for item in page.items], "next_cursor": page.next_cursor}


@router.post("/me/fan-lists/{list_id}/members", response={200: FanListMemberOut, **ERRORS})
def add_fan_list_member(request: HttpRequest, list_id: int, payload: FanListMemberIn) -> dict[str, Any]:
    """Add a follower or subscriber by handle (or update their note if already on the list)."""
    creator = _creator(request)
    member = services.fan_list_member_add(
        creator=creator, list_id=list_id, fan_handle=payload.fan_handle, note=payload.note
    )
    return _member_out(
        selectors.fan_list_member_get(creator_id=creator.pk, list_id=list_id, fan_handle=member.fan.handle)
    )


@router.patch("/me/fan-lists/{list_id}/members/{handle}", response={200: FanListMemberOut, **ERRORS})
def update_fan_list_member(
    request: HttpRequest, list_id: int, handle: str, payload: FanListMemberUpdateIn
) -> dict[str, Any]:
    creator = _creator(request)
    return _member_out(
        services.fan_list_member_update(
            creator=creator, list_id=list_id, fan_handle=handle, note=payload.note
        )
    )


@router.delete("/me/fan-lists/{list_id}/members/{handle}", response={204: None, **ERRORS})
def remove_fan_list_member(request: HttpRequest, list_id: int, handle: str) -> Status:
    creator = _creator(request)
    services.fan_list_member_remove(creator=creator, list_id=list_id, fan_handle=handle)
    return Status(204, None)
