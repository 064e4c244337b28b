from __future__ import annotations

from datetime import datetime

from ninja import Field

from fanclub.core.schemas import ApiSchema


class CreatorOut(ApiSchema):
    handle: str
    display_name: str
    avatar_url: str | None
    joined_at: datetime


class CreatorPageOut(ApiSchema):
    items: list[CreatorOut]
    next_cursor: str | None


class MeOut(ApiSchema):
    id: int
    email: str
    handle: str
    display_name: str
    role: str


class MeIn(ApiSchema):
    display_name: str = Field(min_length=1, max_length=80)
