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
    promo_code: str = Field(default="", max_length=32)


class GiftIn(ApiSchema):
    tier_id: int
    recipient_handle: str = Field(max_length=150)
    months: int
    payment: PaymentIn


class GiftOut(ApiSchema):
    subscription_id: int
    charge_id: UUID
    recipient_handle: str
    creator_id: int
    tier_id: int
    months: int
    amount_minor: int
    currency: str
    current_period_end: datetime


class ChangeTierIn(ApiSchema):
    tier_id: int


class RefundIn(ApiSchema):
    amount_minor: int | None = None


class PromotionIn(ApiSchema):
    kind: Literal["trial", "percent_off", "amount_off", "bundle"]
    code: str = Field(max_length=32)
    tier_id: int | None = None
    trial_days: int = 0
    discount_bps: int = 0
    discount_minor: int = 0
    discount_months: int = 0
    bundle_months: int = 0
    max_redemptions: int | None = None
    expires_at: datetime | None = None
    is_public: bool = False


class PromotionOut(ApiSchema):
    id: int
    kind: str
    code: str
    tier_id: int | None
    trial_days: int
    discount_bps: int
    discount_minor: int
    discount_months: int
    bundle_months: int
    max_redemptions: int | None
    redemption_count: int
    expires_at: datetime | None
    is_public: bool
    is_active: bool
    created_at: datetime


class PayoutScheduleIn(ApiSchema):
    schedule: Literal["off", "weekly", "monthly"]


class PayoutScheduleOut(ApiSchema):
    schedule: str
    last_scheduled_payout_at: datetime | None


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
    recipient_id: int | None = None
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
    period_paid_minor: int = 0
    promo_periods_left: int = 0


class PayoutOut(ApiSchema):
    id: UUID
    amount_minor: int
    currency: str
    status: str
    created_at: datetime
