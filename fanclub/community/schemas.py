from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fanclub.content.schemas import ActionOut, PostOut, PresentedOut, VariantOut
from fanclub.core.schemas import ApiSchema


class VoteIn(ApiSchema):
    value: Literal[1, -1]


class VoteOut(ApiSchema):
    post_id: int
    media_id: uuid.UUID | None
    value: int
    up_count: int
    down_count: int
    score: int


class SwipeIn(ApiSchema):
    action: Literal["like", "pass"]
    post_id: int | None = None


class SwipeOut(ApiSchema):
    media_id: uuid.UUID
    post_id: int
    action: str
    upvoted: bool


class DeckCardOut(PresentedOut):
    media_id: uuid.UUID
    post_id: int
    creator_handle: str
    creator_name: str
    category: str | None
    has_access: bool
    text: str | None
    width: int | None
    height: int | None
    variants: list[VariantOut]
    action: ActionOut | None
    up_count: int
    down_count: int
    viewer_vote: int


class DeckOut(PresentedOut):
    items: list[DeckCardOut]


class RankedPostOut(PostOut):
    rank: int | None
    score: float | None
    up_count: int
    down_count: int
    viewer_vote: int


class RankedPageOut(PresentedOut):
    items: list[RankedPostOut]
    next_cursor: str | None


class SnapshotOut(PresentedOut):
    window: str
    category: str
    period_start: datetime
    period_end: datetime
    computed_at: datetime
    is_final: bool


class RankingOut(PresentedOut):
    snapshot: SnapshotOut | None
    items: list[RankedPostOut]
    next_cursor: str | None


class NewCreatorOut(ApiSchema):
    handle: str
    display_name: str
    avatar_url: str | None
    became_creator_at: datetime


class BadgeOut(ApiSchema):
    kind: str
    category: str | None
    name: str
    description: str
    period: str | None
    rank: int | None
    awarded_at: datetime
