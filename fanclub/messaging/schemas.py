from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from fanclub.billing.schemas import PaymentIn
from fanclub.core.schemas import ApiSchema


class VariantOut(ApiSchema):
    name: str
    url: str
    content_type: str
    width: int | None = None
    height: int | None = None
    expires_at: int


class MessageMediaOut(ApiSchema):
    id: str
    kind: str
    ready: bool
    width: int | None = None
    height: int | None = None
    variants: list[VariantOut]


class MessageOut(ApiSchema):
    id: int
    conversation_id: int
    sender_id: int
    kind: str
    text: str
    created_at: str
    price_minor: int | None = None
    currency: str | None = None
    tip_minor: int | None = None
    is_mine: bool
    is_locked: bool
    is_unlocked: bool
    already_purchased: bool
    is_read: bool
    is_removed: bool = False  # removed by a moderator: no text, no media
    media: list[MessageMediaOut]


class MessagePage(ApiSchema):
    items: list[MessageOut]
    next_cursor: str | None


class UserBrief(ApiSchema):
    id: int
    handle: str
    name: str
    is_creator: bool


class GateOut(ApiSchema):
    gate: str
    message: str
    amount_minor: int | None = None
    currency: str | None = None


class ConversationOut(ApiSchema):
    id: int
    other: UserBrief
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str
    last_read_message_id: int
    other_last_read_message_id: int | None = None
    gate: GateOut | None = None


class ConversationPage(ApiSchema):
    items: list[ConversationOut]
    next_cursor: str | None


class ConversationIn(ApiSchema):
    handle: str = Field(max_length=150)


class MessageIn(ApiSchema):
    text: str = Field(default="", max_length=20_000)
    media_ids: list[str] = Field(default_factory=list, max_length=50)
    price_minor: int | None = None
    currency: str = Field(default="USD", max_length=3)
    client_id: str = Field(default="", max_length=64)
    payment: PaymentIn | None = None


class ReadIn(ApiSchema):
    last_message_id: int | None = None


class ReadOut(ApiSchema):
    conversation_id: int
    last_read_message_id: int
    unread_count: int


class TipIn(ApiSchema):
    amount_minor: int
    currency: str = Field(default="USD", max_length=3)
    note: str = Field(default="", max_length=500)
    payment: PaymentIn


class UnlockIn(ApiSchema):
    payment: PaymentIn


class ReportIn(ApiSchema):
    reason: str = Field(max_length=2000)


class ReportOut(ApiSchema):
    id: int
    message_id: int
    status: str


class UnreadOut(ApiSchema):
    count: int


class SettingsIn(ApiSchema):
    gate: Literal["open", "subscribers", "min_tip", "price"]
    min_tip_minor: int | None = None
    message_price_minor: int | None = None
    currency: str = Field(default="USD", max_length=3)


class SettingsOut(ApiSchema):
    gate: str
    min_tip_minor: int | None
    message_price_minor: int | None
    currency: str


class SavedReplyIn(ApiSchema):
    title: str = Field(max_length=200)
    text: str = Field(max_length=20_000)


class SavedReplyOut(ApiSchema):
    id: int
    title: str
    text: str
    created_at: datetime


class AudienceIn(ApiSchema):
    audience: Literal["subscribers", "tier", "followers", "list"]
    tier_id: int | None = None
    list_id: int | None = None


class MassMessageIn(AudienceIn):
    text: str = Field(default="", max_length=20_000)
    media_ids: list[str] = Field(default_factory=list, max_length=50)
    price_minor: int | None = None
    currency: str = Field(default="USD", max_length=3)


class AudiencePreviewOut(ApiSchema):
    audience: str
    recipients: int


class MassStatsOut(ApiSchema):
    sent: int
    read: int
    unlocked: int
    revenue_minor: int
    currency: str


class MassMessageOut(ApiSchema):
    id: int
    text: str
    audience: str
    tier_id: int | None
    list_id: int | None
    price_minor: int | None
    currency: str
    media_ids: list[str]
    state: str
    sent_count: int
    created_at: datetime
    completed_at: datetime | None
    stats: MassStatsOut | None = None
