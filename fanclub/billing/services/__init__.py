"""Billing services: every write of money. Each service owns its transaction (see docs/billing.md)."""

from fanclub.billing.services.idempotency import idempotent
from fanclub.billing.services.payments import (
    charge_chargeback,
    charge_refund,
    holds_release_due,
    post_unlock_buy,
    tip_send,
    wallet_top_up,
)
from fanclub.billing.services.payouts import payout_request, payout_send, payout_settle
from fanclub.billing.services.subscriptions import (
    subscription_cancel,
    subscription_create,
    subscription_resume,
    subscriptions_renew_due,
)
from fanclub.billing.services.webhooks import webhook_event_process, webhook_receive

__all__ = [
    "charge_chargeback",
    "charge_refund",
    "holds_release_due",
    "idempotent",
    "payout_request",
    "payout_send",
    "payout_settle",
    "post_unlock_buy",
    "subscription_cancel",
    "subscription_create",
    "subscription_resume",
    "subscriptions_renew_due",
    "tip_send",
    "wallet_top_up",
    "webhook_event_process",
    "webhook_receive",
]
