from __future__ import annotations

from django.db.models import QuerySet

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.pagination import Page, paginate

CREATOR_ORDERING = ("-date_joined", "-id")


def creator_qs_public() -> QuerySet[User]:
    """Creators whose public persona may be listed to anyone."""
    return User.objects.filter(role=Role.CREATOR, is_active=True).only(
        "id", "handle", "display_name", "avatar", "date_joined"
    )


def creator_list(*, cursor: str | None, limit: int) -> Page[User]:
    return paginate(creator_qs_public(), ordering=CREATOR_ORDERING, cursor=cursor, limit=limit)


def creator_featured(*, limit: int = 8) -> list[User]:
    return list(creator_qs_public().order_by(*CREATOR_ORDERING)[:limit])
