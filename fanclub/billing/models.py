"""The ledger (accounts, journal entries, postings) and the records money moves through.

Postings are append-only: the database refuses UPDATE and DELETE on postings and journal entries,
and refuses to commit an entry whose postings do not sum to zero per currency (migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanclub.billing.constants import (
    AccountKind,
    ChargeKind,
    ChargeStatus,
    EntryKind,
    Funding,
    PayoutSchedule,
    PayoutStatus,
    PromotionKind,
    SubscriptionStatus,
)

_NON_NEGATIVE = ["fan_wallet", "creator_pending", "creator_available", "payouts_in_transit"]


class LedgerAccount(models.Model):
    """One account of the ledger: (kind, owner, currency). Platform accounts have no owner.

    ``balance_minor`` is a cache kept by a database trigger on posting insert, for owner accounts
    only (platform accounts are hot rows, their balance is always the SUM). The CHECK constraints
    make "wallet / pending / available / in transit never below zero" a database rule; the audit
    job proves cache = sum of postings.
    """

    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3)
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "owner", "currency"], name="billing_account_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=_NON_NEGATIVE) | Q(balance_minor__gte=0),
                name="billing_account_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="creator_debt") | Q(balance_minor__lte=0), name="billing_debt_non_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.owner_id or 'platform'}:{self.currency}"


class JournalEntry(models.Model):
    """One balanced money movement: the postings that belong to it sum to zero per currency."""

    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    memo = models.CharField(max_length=200, blank=True)
    charge = models.ForeignKey("Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"entry {self.pk} {self.kind}"


class Posting(models.Model):
    """One line of an entry: ``amount_minor`` added to (or, negative, taken from) an account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="billing_posting_nonzero")]
        indexes = [models.Index(fields=["account", "id"])]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} -> {self.account_id}"


class Charge(models.Model):
    """A payment by a fan (card through the processor, or wallet credit): the receipt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charges")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    funding = models.CharField(max_length=8, choices=Funding.choices)
    status = models.CharField(max_length=20, choices=ChargeStatus.choices, default=ChargeStatus.SUCCEEDED)
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    fee_bps = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    refunded_minor = models.BigIntegerField(default=0)
    fee_refunded_minor = models.BigIntegerField(default=0)
    processor = models.CharField(max_length=16, blank=True)
    processor_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001  (unique when set)
    post = models.ForeignKey(
        "content.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    note = models.CharField(max_length=500, blank=True)
    # A gift: the user who receives what ``fan`` paid for (shown in both histories).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promotion = models.ForeignKey(
        "Promotion", null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "processor_ref"], name="billing_charge_processor_ref"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="billing_charge_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="billing_charge_refund_bounds",
            ),
        ]
        indexes = [
            models.Index(fields=["fan", "-created_at"]),
            models.Index(fields=["creator", "-created_at"]),
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(recipient__isnull=False),
                name="billing_charge_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk} {self.amount_minor} {self.currency}"


class Hold(models.Model):
    """Creator earnings of one charge on hold until ``release_at`` (released at most once, L7)."""

    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="hold")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    remaining_minor = models.BigIntegerField()
    release_at = models.DateTimeField()
    released_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(remaining_minor__gte=0), name="billing_hold_bounds")
        ]
        indexes = [
            models.Index(
                fields=["release_at"], condition=Q(released_entry__isnull=True), name="billing_hold_due"
            )
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} {self.remaining_minor}"


class IdempotencyRecord(models.Model):
    """The first result of a money-moving request, returned again for a repeated key (L5)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=60)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="billing_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class WebhookEvent(models.Model):
    """A verified processor event, stored once (unique id) and applied once by a job."""

    processor = models.CharField(max_length=16)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=60)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["processor", "event_id"], name="billing_webhook_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.processor}:{self.event_id}"


class Subscription(models.Model):
    """A fan's paid subscription to a creator's tier; access itself is the creators.Membership."""

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tier = models.ForeignKey("creators.Tier", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    funding = models.CharField(max_length=8, choices=Funding.choices)
    payment_token = models.CharField(max_length=100, blank=True)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # What the current period cost (0 in a free trial): the base of proration on a tier change.
    period_paid_minor = models.BigIntegerField(default=0)
    # A discount for the first months: renewals charge promo_price_minor while periods are left.
    promotion = models.ForeignKey(
        "Promotion", null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions"
    )
    promo_price_minor = models.BigIntegerField(null=True, blank=True)
    promo_periods_left = models.PositiveSmallIntegerField(default=0)
    # A gift: paid by this user for ``fan``; it never renews.
    gifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fan", "creator"],
                condition=Q(status__in=["active", "past_due"]),
                name="billing_one_live_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk} {self.status}"


class Payout(models.Model):
    """Money leaving to a creator: requested -> sent -> paid | failed (returned to available)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED)
    processor = models.CharField(max_length=16, blank=True)
    processor_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001  (unique when set)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="billing_payout_positive")
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.status}"


class SandboxRecord(models.Model):
    """The sandbox processor's own books (what a real processor keeps on its side): reconciliation
    compares them with the ledger. ``attempts`` counts calls per idempotency key."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10)  # charge, refund, payout
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.reference


class PayoutAccount(models.Model):
    """A creator's payout settings. ``is_identity_verified`` is set by compliance (KYC) later;
    payouts need it and a second factor."""

    creator = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_identity_verified = models.BooleanField(default=False)
    payout_schedule = models.CharField(
        max_length=8, choices=PayoutSchedule.choices, default=PayoutSchedule.OFF
    )
    last_scheduled_payout_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"payout account {self.creator_id}"


class ChargebackFlag(models.Model):
    """A fan whose payment was charged back: visible to moderators, counted for risk decisions."""

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"chargeback flag {self.fan_id}"


class Promotion(models.Model):
    """A creator's offer, applied at checkout by its code: a free trial, a discount for the first
    months, or a multi-month bundle. ``redemption_count`` never exceeds ``max_redemptions`` (a
    CHECK: the conditional increment is the lock); a fan redeems a promotion once (unique)."""

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(
        "creators.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(max_length=32)
    kind = models.CharField(max_length=12, choices=PromotionKind.choices)
    trial_days = models.PositiveSmallIntegerField(default=0)
    discount_bps = models.PositiveIntegerField(default=0)
    discount_minor = models.BigIntegerField(default=0)
    discount_months = models.PositiveSmallIntegerField(default=0)
    bundle_months = models.PositiveSmallIntegerField(default=0)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    redemption_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_public = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "code"], condition=Q(is_active=True), name="billing_promotion_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redemption_count__lte=models.F("max_redemptions")),
                name="billing_promotion_redemption_limit",
            ),
            models.CheckConstraint(condition=Q(discount_bps__lte=10_000), name="billing_promotion_bps"),
        ]

    def __str__(self) -> str:
        return f"promotion {self.code}"


class PromotionRedemption(models.Model):
    """A fan used a promotion (once per fan: the unique constraint)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subscription = models.OneToOneField(Subscription, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "fan"], name="billing_promotion_once_per_fan")
        ]

    def __str__(self) -> str:
        return f"redemption {self.promotion_id}:{self.fan_id}"
