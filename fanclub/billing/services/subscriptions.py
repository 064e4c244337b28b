"""Subscriptions: first charge with immediate access, renewals with dunning, cancel and resume.

Access itself is the creators.Membership, written only through creators.services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.billing import ledger
from fanclub.billing.constants import (
    BILLING_PERIOD_DAYS,
    DUNNING_RETRY_HOURS,
    GIFT_MONTHS,
    ChargeKind,
    Funding,
    SubscriptionStatus,
)
from fanclub.billing.models import Subscription
from fanclub.billing.processors import PaymentFailed
from fanclub.billing.services import promotions
from fanclub.billing.services.payments import InsufficientCredit, Payment, charge_create
from fanclub.core.errors import ApiError, Conflict, NotFound
from fanclub.creators import services as creator_services
from fanclub.creators.constants import MembershipSource, MembershipStatus
from fanclub.creators.models import Tier
from fanclub.notifications import hooks as notification_hooks

LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def subscription_create(
    *, fan: User, tier_id: int, payment: Payment, idempotency_key: str, promo_code: str = ""
) -> Subscription:
    """Subscribe to a tier: charge the first period (or start a free trial) and grant access at once.

    ``promo_code`` applies one of the creator's promotions (see services.promotions); a bad code
    refuses the whole checkout before anything is charged.
    """
    with transaction.atomic():
        tier = _offered_tier(tier_id)
        creator = tier.creator
        _check_not_blocked(fan.pk, creator.pk)
        # Serialize subscriptions per fan (the unique constraint is the backstop).
        User.objects.select_for_update().filter(pk=fan.pk).first()
        if Subscription.objects.filter(fan_id=fan.pk, creator_id=creator.pk, status__in=LIVE).exists():
            raise Conflict("You already subscribe to this creator.", code="already_subscribed")
        promotion = (
            promotions.promotion_for_checkout(tier=tier, code=promo_code, fan=fan)
            if promo_code.strip()
            else None
        )
        offer = promotions.quote(tier=tier, promotion=promotion)
        if offer.amount_minor == 0 and (
            payment.funding not in Funding.values or (payment.funding == Funding.CARD and not payment.token)
        ):
            # A trial charges nothing now, but its renewal needs a way to pay.
            raise ApiError(
                "A free trial needs a card (or wallet credit) for the renewal.",
                status=422,
                code="validation_error",
                details={"field": "cardToken"},
            )
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
            current_period_end=now + offer.period,
            period_paid_minor=offer.amount_minor,
            promotion=promotion,
            promo_price_minor=offer.promo_price_minor,
            promo_periods_left=offer.promo_periods_left,
        )
        if promotion is not None:
            promotions.promotion_redeem(promotion=promotion, fan=fan, subscription=subscription)
        if offer.amount_minor:
            charge_create(
                fan=fan,
                creator=creator,
                kind=ChargeKind.SUBSCRIPTION,
                amount_minor=offer.amount_minor,
                currency=tier.currency,
                payment=payment,
                idempotency_key=idempotency_key,
                subscription_id=subscription.pk,
                promotion_id=promotion.pk if promotion is not None else None,
            )
        from fanclub.messaging.services import welcome_message_schedule  # the tier's welcome DM (a job)

        welcome_message_schedule(fan_id=fan.pk, tier_id=tier.pk)
        creator_services.membership_grant(
            creator=creator,
            fan=fan,
            tier_id=tier.pk,
            current_period_end=subscription.current_period_end,
            source=MembershipSource.BILLING,
        )
        notification_hooks.subscription_started(subscription=subscription)
        return subscription


def _offered_tier(tier_id: int) -> Tier:
    tier = Tier.objects.select_related("creator").filter(pk=tier_id).first()
    # A banned (deactivated) creator's tiers are gone, as their profile and posts are.
    if tier is None or tier.is_archived or not tier.creator.is_active:
        raise NotFound("No such tier.", code="tier_unavailable")
    return tier


def _check_not_blocked(user_id: int, creator_id: int) -> None:
    from fanclub.social.selectors import is_blocked_either_way

    if is_blocked_either_way(user_id=user_id, other_id=creator_id):
        raise NotFound("No such tier.", code="tier_unavailable")


def subscription_gift(
    *,
    payer: User,
    tier_id: int,
    recipient_handle: str,
    months: int,
    payment: Payment,
    idempotency_key: str,
) -> Subscription:
    """Pay ``months`` x the tier's price for another user's subscription (found by handle).

    The recipient gets access at once for ``months`` x 30 days; a gift never renews (the
    recipient may subscribe themselves afterwards). The charge is the payer's; it names the
    recipient, so it shows in both histories. Refunding it ends the gift.
    """
    if months not in GIFT_MONTHS:
        raise ApiError(
            "A gift covers 1, 3, 6 or 12 months.",
            status=422,
            code="validation_error",
            details={"field": "months"},
        )
    with transaction.atomic():
        tier = _offered_tier(tier_id)
        creator = tier.creator
        recipient = User.objects.filter(
            handle__iexact=recipient_handle.strip().lstrip("@"), is_active=True
        ).first()
        if recipient is None:
            raise ApiError(
                "No user has this handle.",
                status=422,
                code="recipient_unknown",
                details={"field": "recipientHandle"},
            )
        if recipient.pk == payer.pk:
            raise ApiError(
                "To subscribe yourself, use Subscribe.",
                status=422,
                code="recipient_invalid",
                details={"field": "recipientHandle"},
            )
        if recipient.pk == creator.pk:
            raise ApiError(
                "Creators cannot be gifted their own tier.",
                status=422,
                code="recipient_invalid",
                details={"field": "recipientHandle"},
            )
        _check_not_blocked(payer.pk, creator.pk)
        from fanclub.social.selectors import is_blocked_either_way

        if is_blocked_either_way(user_id=recipient.pk, other_id=creator.pk):
            raise Conflict("This gift cannot be delivered to this user.", code="recipient_unavailable")
        # Lock the recipient: their subscriptions are serialized like their own checkouts.
        User.objects.select_for_update().filter(pk=recipient.pk).first()
        if Subscription.objects.filter(fan_id=recipient.pk, creator_id=creator.pk, status__in=LIVE).exists():
            raise Conflict("This user already subscribes to this creator.", code="already_subscribed")
        now = timezone.now()
        amount = tier.price_minor * months
        subscription = Subscription.objects.create(
            fan=recipient,
            creator=creator,
            tier=tier,
            price_minor=tier.price_minor,
            currency=tier.currency,
            funding=payment.funding,
            payment_token="",
            current_period_start=now,
            current_period_end=now + timedelta(days=BILLING_PERIOD_DAYS * months),
            cancel_at_period_end=True,
            period_paid_minor=amount,
            gifted_by=payer,
        )
        charge_create(
            fan=payer,
            creator=creator,
            kind=ChargeKind.GIFT,
            amount_minor=amount,
            currency=tier.currency,
            payment=payment,
            idempotency_key=idempotency_key,
            subscription_id=subscription.pk,
            recipient_id=recipient.pk,
        )
        creator_services.membership_grant(
            creator=creator,
            fan=recipient,
            tier_id=tier.pk,
            current_period_end=subscription.current_period_end,
            source=MembershipSource.BILLING,
        )
        return subscription


@dataclass(frozen=True)
class Proration:
    """A tier change priced by the documented rule (docs/billing.md, "Upgrade and downgrade")."""

    credit_minor: int  # the unused part of what the current period cost
    due_minor: int  # charged now (0: the credit buys time on the new tier instead)
    period: timedelta  # the new period, starting now


def proration_quote(
    *,
    paid_minor: int,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
    new_price_minor: int,
    min_charge_minor: int,
) -> Proration:
    """credit = paid x unused seconds / period seconds (half up); due = new price - credit.

    If due is at least the minimum charge, it is charged now and the new period is 30 days.
    Otherwise nothing is charged and the credit buys time on the new tier: the new period lasts
    30 days x credit / new price (whole seconds, rounded down), so no money ever flows back.
    """
    whole = max(1, int((period_end - period_start).total_seconds()))
    unused = min(whole, max(0, int((period_end - now).total_seconds())))
    credit = ledger.proportion(amount_minor=paid_minor, part=unused, whole=whole)
    month = timedelta(days=BILLING_PERIOD_DAYS)
    due = new_price_minor - credit
    if due >= min_charge_minor:
        return Proration(credit_minor=credit, due_minor=due, period=month)
    seconds = int(month.total_seconds()) * credit // new_price_minor
    return Proration(credit_minor=credit, due_minor=0, period=timedelta(seconds=seconds))


def subscription_change_tier(
    *, fan: User, subscription_id: int, tier_id: int, idempotency_key: str, now: datetime | None = None
) -> Subscription:
    """Move a live subscription to another tier of the same creator now, prorated (see
    ``proration_quote``), paid with the subscription's own payment method. A promotion's
    remaining discounted months end with the change."""
    with transaction.atomic():
        subscription = _own(fan, subscription_id)
        if subscription.status != SubscriptionStatus.ACTIVE:
            raise Conflict("Only an active subscription can change tiers.", code="subscription_not_active")
        if subscription.gifted_by_id is not None:
            raise Conflict(
                "A gift subscription cannot change tiers; subscribe yourself.", code="gift_subscription"
            )
        tier = Tier.objects.filter(pk=tier_id, creator_id=subscription.creator_id, is_archived=False).first()
        if tier is None:
            raise NotFound("No such tier.", code="tier_unavailable")
        if tier.pk == subscription.tier_id:
            raise Conflict("You are already on this tier.", code="same_tier")
        if tier.currency != subscription.currency:
            raise Conflict("The new tier is priced in another currency.", code="currency_mismatch")
        now = now or timezone.now()
        plan = proration_quote(
            paid_minor=subscription.period_paid_minor,
            period_start=subscription.current_period_start,
            period_end=subscription.current_period_end,
            now=now,
            new_price_minor=tier.price_minor,
            min_charge_minor=settings.BILLING_MIN_CHARGE_MINOR,
        )
        if plan.due_minor:
            charge_create(
                fan=fan,
                creator=subscription.creator,
                kind=ChargeKind.UPGRADE,
                amount_minor=plan.due_minor,
                currency=subscription.currency,
                payment=Payment(funding=subscription.funding, token=subscription.payment_token),
                idempotency_key=idempotency_key,
                subscription_id=subscription.pk,
                note=f"credit {plan.credit_minor} from the previous tier",
            )
        subscription.tier = tier
        subscription.price_minor = tier.price_minor
        subscription.current_period_start = now
        subscription.current_period_end = now + plan.period
        subscription.period_paid_minor = plan.due_minor + plan.credit_minor
        subscription.promo_price_minor = None
        subscription.promo_periods_left = 0
        subscription.save()
        creator_services.membership_grant(
            creator=subscription.creator,
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
        if subscription.gifted_by_id is not None:
            raise Conflict(
                "A gift does not renew; subscribe yourself when it ends.", code="gift_subscription"
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
        # Nothing more is charged for a tier withdrawn, once either account is banned (or otherwise
        # deactivated: a banned creator's posts are hidden, a banned fan cannot sign in), or while
        # either owner has asked for the account's deletion.
        if (
            subscription.cancel_at_period_end
            or subscription.tier.is_archived
            or not (subscription.creator.is_active and subscription.fan.is_active)
            or subscription.creator.deletion_requested_at is not None
            or subscription.fan.deletion_requested_at is not None
        ):
            _end(subscription, SubscriptionStatus.CANCELLED, MembershipStatus.CANCELLED)
            return
        # One key per period (and attempt): a crashed renewal retried later never charges twice.
        key = f"renewal:{subscription.pk}:{subscription.current_period_end.isoformat()}"
        payment = Payment(funding=subscription.funding, token=subscription.payment_token)
        discounted = subscription.promo_periods_left > 0 and subscription.promo_price_minor is not None
        amount = subscription.promo_price_minor if discounted else subscription.price_minor
        assert amount is not None
        try:
            with transaction.atomic():
                charge_create(
                    fan=subscription.fan,
                    creator=subscription.creator,
                    kind=ChargeKind.RENEWAL,
                    amount_minor=amount,
                    currency=subscription.currency,
                    payment=payment,
                    idempotency_key=f"{key}:{subscription.failed_attempts}",
                    subscription_id=subscription.pk,
                    promotion_id=subscription.promotion_id if discounted else None,
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
        subscription.period_paid_minor = amount
        if discounted:
            subscription.promo_periods_left -= 1
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
    notification_hooks.renewal_failed(subscription=subscription)
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
