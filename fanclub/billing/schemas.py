from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from fanclub.core.schemas import ApiSchema


class PaymentIn(ApiSchema):
    funding: Literal["card", "wallet"]
    card_token: str = Field(default="", max_length=100)


class TipIn(ApiSchema):
    creator_handle: str = Field(max_length=150)
    amount_minor: int
    currency: str = Field(default="USD", max_length=3)
    post_id: int | None = None
    note: str = Field(default="", max_length=500)
    payment: PaymentIn


class UnlockIn(ApiSchema):
    post_id: int
    payment: PaymentIn


class TopUpIn(ApiSchema):
    amount_minor: int
    currency: str = Field(default="USD", max_length=3)
    card_token: str = Field(max_length=100)


class SubscribeIn(ApiSchema):
    tier_id: int
    payment: PaymentIn


class PayoutIn(ApiSchema):
    currency: str = Field(default="USD", max_length=3)
    amount_minor: int | None = None


class ChargeOut(ApiSchema):
    id: UUID
    kind: str
    funding: str
    status: str
    amount_minor: int
    fee_minor: int
    refunded_minor: int
    currency: str
    creator_id: int | None
    post_id: int | None
    note: str
    created_at: datetime


class WalletOut(ApiSchema):
    currency: str
    balance_minor: int


class SubscriptionOut(ApiSchema):
    id: int
    creator_id: int
    tier_id: int
    status: str
    price_minor: int
    currency: str
    current_period_end: datetime
    cancel_at_period_end: bool


class PayoutOut(ApiSchema):
    id: UUID
    amount_minor: int
    currency: str
    status: str
    created_at: datetime
