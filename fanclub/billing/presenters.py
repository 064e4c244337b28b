"""JSON bodies stored with idempotency records (camelCase, as the API sends them)."""

from __future__ import annotations

from typing import Any

from fanclub.billing.models import Charge, Payout, Subscription


def charge(charge: Charge) -> dict[str, Any]:
    return {
        "id": str(charge.pk),
        "kind": charge.kind,
        "funding": charge.funding,
        "status": charge.status,
        "amountMinor": charge.amount_minor,
        "feeMinor": charge.fee_minor,
        "refundedMinor": charge.refunded_minor,
        "currency": charge.currency,
        "creatorId": charge.creator_id,
        "postId": charge.post_id,
        "recipientId": charge.recipient_id,
        "note": charge.note,
        "createdAt": charge.created_at.isoformat(),
    }


def subscription(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "creatorId": subscription.creator_id,
        "tierId": subscription.tier_id,
        "status": subscription.status,
        "priceMinor": subscription.price_minor,
        "currency": subscription.currency,
        "currentPeriodEnd": subscription.current_period_end.isoformat(),
        "cancelAtPeriodEnd": subscription.cancel_at_period_end,
        "periodPaidMinor": subscription.period_paid_minor,
        "promoPeriodsLeft": subscription.promo_periods_left,
    }


def gift(subscription: Subscription) -> dict[str, Any]:
    """The payer's view of a gift: what they paid, for whom, until when."""
    charge = subscription.charges.order_by("created_at").first()
    assert charge is not None
    return {
        "subscriptionId": subscription.pk,
        "chargeId": str(charge.pk),
        "recipientHandle": subscription.fan.handle,
        "creatorId": subscription.creator_id,
        "tierId": subscription.tier_id,
        "months": round((subscription.current_period_end - subscription.current_period_start).days / 30),
        "amountMinor": charge.amount_minor,
        "currency": charge.currency,
        "currentPeriodEnd": subscription.current_period_end.isoformat(),
    }


def payout(payout: Payout) -> dict[str, Any]:
    return {
        "id": str(payout.pk),
        "amountMinor": payout.amount_minor,
        "currency": payout.currency,
        "status": payout.status,
        "createdAt": payout.created_at.isoformat(),
    }
