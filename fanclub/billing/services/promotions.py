"""Promotions: creators create and disable offers; checkout quotes and redeems them by code.

The rules (docs/billing.md, "Promotions"):
- trial: the first ``trial_days`` are free (no charge, access at once); then the tier's price.
- percent_off / amount_off: the first ``discount_months`` charges (the first payment and the next
  renewals) cost the discounted price; later renewals cost the full price. Percentages are rounded
  half up by ``ledger.proportion``; a discounted price never goes below BILLING_MIN_CHARGE_MINOR.
- bundle: one charge of ``bundle_months`` x price minus ``discount_bps``, covering
  ``bundle_months`` x 30 days; afterwards it renews monthly at the full price.
A promotion is for one tier or every tier of its creator, has an optional usage limit and expiry,
and each fan redeems it once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.billing import ledger
from fanclub.billing.constants import (
    BILLING_PERIOD_DAYS,
    BUNDLE_MONTHS,
    MAX_CHARGE_MINOR,
    MAX_DISCOUNT_MONTHS,
    MAX_TRIAL_DAYS,
    PROMO_CODE_PATTERN,
    PromotionKind,
)
from fanclub.billing.models import Promotion, PromotionRedemption, Subscription
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.creators.models import Tier
from fanclub.creators.permissions import is_creator


def _invalid(message: str, field: str, code: str = "validation_error") -> ApiError:
    return ApiError(message, status=422, code=code, details={"field": field})


def promo_code_normalize(code: str) -> str:
    return code.strip().upper()


def promotion_create(
    *,
    creator: User,
    kind: str,
    code: str,
    tier_id: int | None = None,
    trial_days: int = 0,
    discount_bps: int = 0,
    discount_minor: int = 0,
    discount_months: int = 0,
    bundle_months: int = 0,
    max_redemptions: int | None = None,
    expires_at: datetime | None = None,
    is_public: bool = False,
) -> Promotion:
    """Create an offer; every field that does not belong to ``kind`` must stay at its default."""
    if not is_creator(creator):
        raise PermissionDenied("Only creators create promotions.", code="not_a_creator")
    code = promo_code_normalize(code)
    if not re.match(PROMO_CODE_PATTERN, code):
        raise _invalid("A code has 3 to 32 letters, digits, '-' or '_'.", "code")
    if kind not in PromotionKind.values:
        raise _invalid("Unknown promotion kind.", "kind")
    if max_redemptions is not None and max_redemptions < 1:
        raise _invalid("The usage limit must be at least 1.", "maxRedemptions")
    if expires_at is not None and expires_at <= timezone.now():
        raise _invalid("The expiry must be in the future.", "expiresAt")
    given = {
        "trialDays": trial_days,
        "discountBps": discount_bps,
        "discountMinor": discount_minor,
        "discountMonths": discount_months,
        "bundleMonths": bundle_months,
    }
    needed = {
        PromotionKind.TRIAL: {"trialDays"},
        PromotionKind.PERCENT_OFF: {"discountBps", "discountMonths"},
        PromotionKind.AMOUNT_OFF: {"discountMinor", "discountMonths"},
        PromotionKind.BUNDLE: {"bundleMonths", "discountBps"},
    }[PromotionKind(kind)]
    for field, value in given.items():
        if field not in needed and value:
            raise _invalid(f"{field} does not apply to a {kind} promotion.", field)
    if kind == PromotionKind.TRIAL and not 1 <= trial_days <= MAX_TRIAL_DAYS:
        raise _invalid(f"A trial lasts 1 to {MAX_TRIAL_DAYS} days.", "trialDays")
    if kind == PromotionKind.PERCENT_OFF and not 1 <= discount_bps <= 9_900:
        raise _invalid("A percentage discount is 0.01% to 99% (1 to 9900 basis points).", "discountBps")
    if kind == PromotionKind.BUNDLE:
        if bundle_months not in BUNDLE_MONTHS:
            raise _invalid("A bundle lasts 3, 6 or 12 months.", "bundleMonths")
        if not 0 <= discount_bps <= 9_900:
            raise _invalid("A bundle discount is 0 to 9900 basis points.", "discountBps")
    if kind == PromotionKind.AMOUNT_OFF and not 1 <= discount_minor <= MAX_CHARGE_MINOR:
        raise _invalid("The discount must be a positive amount.", "discountMinor")
    if kind in (PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF) and not (
        1 <= discount_months <= MAX_DISCOUNT_MONTHS
    ):
        raise _invalid(f"A discount lasts 1 to {MAX_DISCOUNT_MONTHS} months.", "discountMonths")
    with transaction.atomic():
        tier = None
        if tier_id is not None:
            tier = Tier.objects.filter(pk=tier_id, creator_id=creator.pk, is_archived=False).first()
            if tier is None:
                raise NotFound("No such tier.", code="tier_unavailable")
            if kind == PromotionKind.AMOUNT_OFF and discount_minor >= tier.price_minor:
                raise _invalid("The discount must be smaller than the tier's price.", "discountMinor")
        if Promotion.objects.filter(creator_id=creator.pk, code=code, is_active=True).exists():
            raise Conflict("You already have an active promotion with this code.", code="promo_code_taken")
        return Promotion.objects.create(
            creator=creator,
            tier=tier,
            code=code,
            kind=kind,
            trial_days=trial_days,
            discount_bps=discount_bps,
            discount_minor=discount_minor,
            discount_months=discount_months,
            bundle_months=bundle_months,
            max_redemptions=max_redemptions,
            expires_at=expires_at,
            is_public=is_public,
        )


def promotion_disable(*, creator: User, promotion_id: int) -> Promotion:
    """Stop offering a promotion (subscriptions that already redeemed it keep their terms)."""
    with transaction.atomic():
        promotion = (
            Promotion.objects.select_for_update().filter(pk=promotion_id, creator_id=creator.pk).first()
        )
        if promotion is None:
            raise NotFound("No such promotion.")
        if promotion.is_active:
            promotion.is_active = False
            promotion.save(update_fields=["is_active"])
        return promotion


@dataclass(frozen=True)
class Quote:
    """What checkout charges for a tier, with or without a promotion."""

    promotion: Promotion | None
    amount_minor: int  # charged now (0: a free trial)
    period: timedelta  # the first period
    promo_price_minor: int | None = None  # renewals at this price while promo_periods_left > 0
    promo_periods_left: int = 0


def discounted_price(*, price_minor: int, promotion: Promotion) -> int:
    """One month of ``price_minor`` under a percent_off or amount_off promotion."""
    if promotion.kind == PromotionKind.PERCENT_OFF:
        off = ledger.proportion(amount_minor=price_minor, part=promotion.discount_bps, whole=10_000)
    else:
        off = promotion.discount_minor
    return max(price_minor - off, min(settings.BILLING_MIN_CHARGE_MINOR, price_minor))


def quote(*, tier: Tier, promotion: Promotion | None) -> Quote:
    month = timedelta(days=BILLING_PERIOD_DAYS)
    if promotion is None:
        return Quote(promotion=None, amount_minor=tier.price_minor, period=month)
    if promotion.kind == PromotionKind.TRIAL:
        return Quote(promotion=promotion, amount_minor=0, period=timedelta(days=promotion.trial_days))
    if promotion.kind == PromotionKind.BUNDLE:
        gross = tier.price_minor * promotion.bundle_months
        off = ledger.proportion(amount_minor=gross, part=promotion.discount_bps, whole=10_000)
        return Quote(promotion=promotion, amount_minor=gross - off, period=month * promotion.bundle_months)
    price = discounted_price(price_minor=tier.price_minor, promotion=promotion)
    return Quote(
        promotion=promotion,
        amount_minor=price,
        period=month,
        promo_price_minor=price,
        promo_periods_left=promotion.discount_months - 1,
    )


def promotion_for_checkout(*, tier: Tier, code: str, fan: User | None = None) -> Promotion:
    """The active promotion ``code`` of the tier's creator that applies to ``tier`` (422 otherwise)."""
    code = promo_code_normalize(code)
    promotion = Promotion.objects.filter(creator_id=tier.creator_id, code=code, is_active=True).first()
    if promotion is None or (promotion.tier_id is not None and promotion.tier_id != tier.pk):
        raise _invalid("This promo code is not valid for this tier.", "promoCode", code="promo_code_invalid")
    if promotion.expires_at is not None and promotion.expires_at <= timezone.now():
        raise _invalid("This promo code has expired.", "promoCode", code="promo_code_expired")
    if promotion.max_redemptions is not None and promotion.redemption_count >= promotion.max_redemptions:
        raise _invalid("This promo code has been used up.", "promoCode", code="promo_code_exhausted")
    if fan is not None and PromotionRedemption.objects.filter(promotion=promotion, fan_id=fan.pk).exists():
        raise _invalid("You already used this promo code.", "promoCode", code="promo_code_used")
    return promotion


def promotion_redeem(*, promotion: Promotion, fan: User, subscription: Subscription) -> None:
    """Count one use (conditional increment: never past the limit, even concurrently) and record
    the fan's single use. Runs in the caller's transaction, which holds the fan's row lock."""
    limit_ok = Q(max_redemptions__isnull=True) | Q(redemption_count__lt=F("max_redemptions"))
    still_valid = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    updated = Promotion.objects.filter(limit_ok, still_valid, pk=promotion.pk, is_active=True).update(
        redemption_count=F("redemption_count") + 1
    )
    if not updated:
        raise _invalid("This promo code has been used up.", "promoCode", code="promo_code_exhausted")
    if PromotionRedemption.objects.filter(promotion=promotion, fan_id=fan.pk).exists():
        raise _invalid("You already used this promo code.", "promoCode", code="promo_code_used")
    PromotionRedemption.objects.create(promotion=promotion, fan=fan, subscription=subscription)
