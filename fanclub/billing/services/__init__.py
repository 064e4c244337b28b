"""Billing services: every write of money. Each service owns its transaction (see docs/billing.md)."""

from fanclub.billing.services.idempotency import idempotent
from fanclub.billing.services.payments import (
    charge_chargeback,
    charge_refund,
    charge_refund_request,
    holds_release_due,
    post_unlock_buy,
    tip_send,
    wallet_top_up,
)
from fanclub.billing.services.payouts import (
    payout_request,
    payout_schedule_set,
    payout_send,
    payout_settle,
    payouts_schedule_run,
)
from fanclub.billing.services.promotions import promotion_create, promotion_disable
from fanclub.billing.services.subscriptions import (
    subscription_cancel,
    subscription_change_tier,
    subscription_create,
    subscription_gift,
    subscription_resume,
    subscriptions_renew_due,
)
from fanclub.billing.services.webhooks import webhook_event_process, webhook_receive

__all__ = [
    "charge_chargeback",
    "charge_refund",
    "charge_refund_request",
    "holds_release_due",
    "idempotent",
    "payout_request",
    "payout_schedule_set",
    "payout_send",
    "payout_settle",
    "payouts_schedule_run",
    "post_unlock_buy",
    "promotion_create",
    "promotion_disable",
    "subscription_cancel",
    "subscription_change_tier",
    "subscription_create",
    "subscription_gift",
    "subscription_resume",
    "subscriptions_renew_due",
    "tip_send",
    "wallet_top_up",
    "webhook_event_process",
    "webhook_receive",
]
