from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query

from fanclub.accounts import selectors, services
from fanclub.accounts.models import User
from fanclub.accounts.schemas import CreatorOut, CreatorPageOut, MeIn, MeOut
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router

router = api_router(tags=["accounts"])


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _creator_out(user: User) -> CreatorOut:
    return CreatorOut(
        handle=user.handle,
        display_name=user.name,
        avatar_url=reverse("accounts:avatar", args=[user.handle]) if user.avatar else None,
        joined_at=user.date_joined,
    )


@router.get("/creators", auth=None, response={200: CreatorPageOut, 400: ErrorOut, 422: ErrorOut})
def list_creators(request: HttpRequest, params: Query[ListParams]) -> CreatorPageOut:
    """Public personas of creators, newest first."""
    page = selectors.creator_list(cursor=params.cursor, limit=params.limit)
    return CreatorPageOut(items=[_creator_out(user) for user in page.items], next_cursor=page.next_cursor)


@router.get("/me", response={200: MeOut, 401: ErrorOut})
def get_me(request: HttpRequest) -> MeOut:
    user: User = request.user  # type: ignore[assignment]
    return MeOut(id=user.pk, email=user.email, handle=user.handle, display_name=user.name, role=user.role)


@router.patch("/me", response={200: MeOut, 401: ErrorOut, 422: ErrorOut})
def update_me(request: HttpRequest, payload: MeIn) -> MeOut:
    user = services.user_update_profile(user=request.user, display_name=payload.display_name)  # type: ignore[arg-type]
    return MeOut(id=user.pk, email=user.email, handle=user.handle, display_name=user.name, role=user.role)
