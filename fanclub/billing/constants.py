"""Ledger account kinds, entry kinds, states and bounds of fanclub.billing (see docs/billing.md)."""

from __future__ import annotations

from django.db import models


class AccountKind(models.TextChoices):
    """Every account of the ledger. Owner accounts belong to one user; the others to the platform.

    Sign convention: a posting's amount is what the account *gains* (+) or *loses* (-); the
    postings of one entry sum to zero per currency. An owner account's balance is what the platform
    owes its owner; a negative creator_debt balance is what the creator owes the platform.
    """

    FAN_WALLET = "fan_wallet", "Fan wallet credit"
    CREATOR_PENDING = "creator_pending", "Creator earnings on hold"
    CREATOR_AVAILABLE = "creator_available", "Creator earnings available"
    CREATOR_DEBT = "creator_debt", "Creator debt (chargebacks)"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"
    PLATFORM_FEES = "platform_fees", "Platform fees"
    PROCESSOR_CLEARING = "processor_clearing", "Processor clearing"
    CHARGEBACKS = "chargebacks", "Chargebacks lost"


OWNER_KINDS = frozenset(
    {
        AccountKind.FAN_WALLET,
        AccountKind.CREATOR_PENDING,
        AccountKind.CREATOR_AVAILABLE,
        AccountKind.CREATOR_DEBT,
        AccountKind.PAYOUTS_IN_TRANSIT,
    }
)
# Accounts whose balance may never go below zero (the database CHECK enforces it too).
NON_NEGATIVE_KINDS = frozenset(OWNER_KINDS - {AccountKind.CREATOR_DEBT})


class EntryKind(models.TextChoices):
    TIP = "tip", "Tip"
    UNLOCK = "unlock", "Pay-per-view unlock"
    SUBSCRIPTION = "subscription", "Subscription"
    RENEWAL = "renewal", "Subscription renewal"
    TOP_UP = "top_up", "Wallet top-up"
    MESSAGE = "message", "Paid message"
    GIFT = "gift", "Gift subscription"
    UPGRADE = "upgrade", "Tier change (prorated)"
    HOLD_RELEASE = "hold_release", "Earnings released"
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"
    PAYOUT_REQUEST = "payout_request", "Payout requested"
    PAYOUT_PAID = "payout_paid", "Payout paid"
    PAYOUT_FAILED = "payout_failed", "Payout failed"


class ChargeKind(models.TextChoices):
    TIP = "tip", "Tip"
    UNLOCK = "unlock", "Unlock"
    SUBSCRIPTION = "subscription", "Subscription"
    RENEWAL = "renewal", "Renewal"
    TOP_UP = "top_up", "Wallet top-up"
    GIFT = "gift", "Gift subscription"
    UPGRADE = "upgrade", "Tier change"


class Funding(models.TextChoices):
    CARD = "card", "Card"
    WALLET = "wallet", "Wallet credit"


class ChargeStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    CHARGED_BACK = "charged_back", "Charged back"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SENT = "sent", "Sent"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN")
MAX_CHARGE_MINOR = 1_000_000  # 10,000.00: above this a charge is refused (fraud bound, not business)
MAX_NOTE_LENGTH = 500
BILLING_PERIOD_DAYS = 30
# Dunning: retry a failed renewal after these delays, then the subscription expires.
DUNNING_RETRY_HOURS = (24, 72, 120)


class PromotionKind(models.TextChoices):
    """What a promotion gives (docs/billing.md, "Promotions")."""

    TRIAL = "trial", "Free trial"
    PERCENT_OFF = "percent_off", "Percentage off the first months"
    AMOUNT_OFF = "amount_off", "Fixed amount off the first months"
    BUNDLE = "bundle", "Multi-month bundle"


class PayoutSchedule(models.TextChoices):
    OFF = "off", "Only when I ask"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


BUNDLE_MONTHS = (3, 6, 12)
GIFT_MONTHS = (1, 3, 6, 12)
MAX_TRIAL_DAYS = 90
MAX_DISCOUNT_MONTHS = 12
PROMO_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{2,31}$"
