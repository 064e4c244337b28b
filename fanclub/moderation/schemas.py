"""Shapes of the moderators' API (camelCase on the wire)."""

from __future__ import annotations

from typing import Literal

from ninja import Field

from fanclub.core.schemas import ApiSchema


class UserRef(ApiSchema):
    id: int
    handle: str


class ReportedMessageOut(ApiSchema):
    id: int
    conversation_id: int
    sender: UserRef
    text: str
    media_count: int
    created_at: str
    is_removed: bool


class MessageReportOut(ApiSchema):
    id: int
    reason: str
    created_at: str
    reporter: UserRef
    message: ReportedMessageOut | None  # None: the message no longer exists


class MessageReportPageOut(ApiSchema):
    items: list[MessageReportOut]
    next_cursor: str | None


class ReportResolveIn(ApiSchema):
    outcome: Literal["actioned", "dismissed"]
    note: str = Field("", max_length=2000)  # required to remove: the sender is told why


class ReportResolutionOut(ApiSchema):
    id: int
    status: str
    outcome: str
    resolved_at: str


class PostRemoveIn(ApiSchema):
    reason: str = Field(max_length=2000)


class PostRemovalOut(ApiSchema):
    id: int
    removed_at: str
