"""Subscriptions: first charge with immediate access, renewals with dunning, cancel and resume.

Access itself is the creators.Membership, written only through creators.services.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.billing.constants import (
    BILLING_PERIOD_DAYS,
    DUNNING_RETRY_HOURS,
    ChargeKind,
    Funding,
    SubscriptionStatus,
)
from fanclub.billing.models import Subscription
from fanclub.billing.processors import PaymentFailed
from fanclub.billing.services.payments import InsufficientCredit, Payment, charge_create
from fanclub.core.errors import ApiError, Conflict, NotFound
from fanclub.creators import services as creator_services
from fanclub.creators.constants import MembershipSource, MembershipStatus
from fanclub.creators.models import Tier

LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def subscription_create(*, fan: User, tier_id: int, payment: Payment, idempotency_key: str) -> Subscription:
    """Subscribe to a tier: charge the first period and grant access at once."""
    with transaction.atomic():
        tier = Tier.objects.select_related("creator").filter(pk=tier_id).first()
        if tier is None or tier.is_archived:
            raise NotFound("No such tier.", code="tier_unavailable")
        creator = tier.creator
        # Serialize subscriptions per fan (the unique constraint is the backstop).
        User.objects.select_for_update().filter(pk=fan.pk).first()
        if Subscription.objects.filter(fan_id=fan.pk, creator_id=creator.pk, status__in=LIVE).exists():
            raise Conflict("You already subscribe to this creator.", code="already_subscribed")
        now = timezone.now()
        subscription = Subscription.objects.create(
            fan=fan,
            creator=creator,
            tier=tier,
            price_minor=tier.price_minor,
            currency=tier.currency,
            funding=payment.funding,
            payment_token=payment.token if payment.funding == Funding.CARD else "",
            current_period_start=now,
            current_period_end=now + timedelta(days=BILLING_PERIOD_DAYS),
        )
        charge_create(
            fan=fan,
            creator=creator,
            kind=ChargeKind.SUBSCRIPTION,
            amount_minor=tier.price_minor,
            currency=tier.currency,
            payment=payment,
            idempotency_key=idempotency_key,
            subscription_id=subscription.pk,
        )
        creator_services.membership_grant(
            creator=creator,
            fan=fan,
            tier_id=tier.pk,
            current_period_end=subscription.current_period_end,
            source=MembershipSource.BILLING,
        )
        return subscription


def _own(fan: User, subscription_id: int) -> Subscription:
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id, fan_id=fan.pk).first()
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


def subscription_cancel(*, fan: User, subscription_id: int) -> Subscription:
    """Stop renewing: access lasts until the end of the period already paid."""
    with transaction.atomic():
        subscription = _own(fan, subscription_id)
        if subscription.status not in LIVE:
            raise Conflict("This subscription has ended.", code="subscription_ended")
        subscription.cancel_at_period_end = True
        subscription.save(update_fields=["cancel_at_period_end"])
        return subscription


def subscription_resume(*, fan: User, subscription_id: int) -> Subscription:
    with transaction.atomic():
        subscription = _own(fan, subscription_id)
        if subscription.status != SubscriptionStatus.ACTIVE:
            raise Conflict(
                "Only an active subscription can be resumed; subscribe again.", code="subscription_ended"
            )
        subscription.cancel_at_period_end = False
        subscription.save(update_fields=["cancel_at_period_end"])
        return subscription


def subscriptions_renew_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Renew (or end) every subscription whose period ended or whose dunning retry is due."""
    now = now or timezone.now()
    ids = list(
        Subscription.objects.filter(status__in=LIVE, current_period_end__lte=now)
        .exclude(next_attempt_at__gt=now)
        .order_by("current_period_end", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for subscription_id in ids:
        subscription_renew(subscription_id=subscription_id, now=now)
    return len(ids)


def subscription_renew(*, subscription_id: int, now: datetime) -> None:
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(skip_locked=True)
            .select_related("fan", "creator", "tier")
            .filter(pk=subscription_id, status__in=LIVE, current_period_end__lte=now)
            .first()
        )
        if subscription is None or (subscription.next_attempt_at and subscription.next_attempt_at > now):
            return
        if subscription.cancel_at_period_end or subscription.tier.is_archived:
            _end(subscription, SubscriptionStatus.CANCELLED, MembershipStatus.CANCELLED)
            return
        # One key per period (and attempt): a crashed renewal retried later never charges twice.
        key = f"renewal:{subscription.pk}:{subscription.current_period_end.isoformat()}"
        payment = Payment(funding=subscription.funding, token=subscription.payment_token)
        try:
            with transaction.atomic():
                charge_create(
                    fan=subscription.fan,
                    creator=subscription.creator,
                    kind=ChargeKind.RENEWAL,
                    amount_minor=subscription.price_minor,
                    currency=subscription.currency,
                    payment=payment,
                    idempotency_key=f"{key}:{subscription.failed_attempts}",
                    subscription_id=subscription.pk,
                )
        except (PaymentFailed, InsufficientCredit):
            _dunning(subscription, now)
            return
        except ApiError:
            _dunning(subscription, now)
            return
        period = timedelta(days=BILLING_PERIOD_DAYS)
        start = max(subscription.current_period_end, now - period + timedelta(seconds=1))
        subscription.current_period_start = start
        subscription.current_period_end = start + period
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.failed_attempts = 0
        subscription.next_attempt_at = None
        subscription.save()
        creator_services.membership_grant(
            creator=subscription.creator,
            fan=subscription.fan,
            tier_id=subscription.tier_id,
            current_period_end=subscription.current_period_end,
            source=MembershipSource.BILLING,
        )


def _dunning(subscription: Subscription, now: datetime) -> None:
    """A failed renewal: past due (no access) and retried later; expired after the last retry."""
    if subscription.failed_attempts >= len(DUNNING_RETRY_HOURS):
        _end(subscription, SubscriptionStatus.EXPIRED, MembershipStatus.EXPIRED)
        return
    subscription.next_attempt_at = now + timedelta(hours=DUNNING_RETRY_HOURS[subscription.failed_attempts])
    subscription.failed_attempts += 1
    subscription.status = SubscriptionStatus.PAST_DUE
    subscription.save(update_fields=["next_attempt_at", "failed_attempts", "status"])
    creator_services.membership_end(
        creator=subscription.creator, fan=subscription.fan, status=MembershipStatus.EXPIRED
    )


def _end(subscription: Subscription, status: str, membership_status: str) -> None:
    subscription.status = status
    subscription.next_attempt_at = None
    subscription.save(update_fields=["status", "next_attempt_at"])
    creator_services.membership_end(
        creator=subscription.creator, fan=subscription.fan, status=membership_status
    )


def subscription_end_for_reversal(*, subscription_id: int) -> None:
    """A refunded or charged-back subscription payment ends the subscription and its access now."""
    subscription = (
        Subscription.objects.select_for_update().select_related("fan", "creator").get(pk=subscription_id)
    )
    if subscription.status in LIVE:
        _end(subscription, SubscriptionStatus.CANCELLED, MembershipStatus.CANCELLED)
