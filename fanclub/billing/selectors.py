"""Billing reads: balances (sums of postings), history, earnings, audits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Sum

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.billing.constants import AccountKind, Funding
from fanclub.billing.models import Charge, Hold, LedgerAccount, Payout, Posting, SandboxRecord, Subscription


def balance(*, kind: str, currency: str, owner_id: int | None = None) -> int:
    """An account's balance as the sum of its postings (0 for an account never used)."""
    total = Posting.objects.filter(
        account__kind=kind, account__owner_id=owner_id, account__currency=currency
    ).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)


def balances_for_owner(*, owner_id: int) -> dict[tuple[str, str], int]:
    rows = (
        Posting.objects.filter(account__owner_id=owner_id)
        .values_list("account__kind", "account__currency")
        .annotate(total=Sum("amount_minor"))
    )
    return {(kind, currency): int(total) for kind, currency, total in rows}


def balance_drift() -> list[dict[str, Any]]:
    """Owner accounts whose cached balance differs from the sum of their postings (must be empty)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, a.balance_minor, coalesce(sum(p.amount_minor), 0) FROM billing_ledgeraccount a "
            "LEFT JOIN billing_posting p ON p.account_id = a.id WHERE a.owner_id IS NOT NULL "
            "GROUP BY a.id HAVING a.balance_minor <> coalesce(sum(p.amount_minor), 0)"
        )
        return [{"account": row[0], "cached": row[1], "sum": int(row[2])} for row in cursor.fetchall()]


def unbalanced_entries() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT entry_id FROM billing_posting GROUP BY entry_id, currency HAVING sum(amount_minor) <> 0"
        )
        return [row[0] for row in cursor.fetchall()]


def trial_balance() -> dict[str, int]:
    """Σ of every posting per currency: zero in every committed state (L2)."""
    rows = Posting.objects.values_list("currency").annotate(total=Sum("amount_minor"))
    return {currency: int(total) for currency, total in rows}


def reconciliation_mismatches() -> list[dict[str, Any]]:
    """Sandbox processor charges without a ledger charge, and card charges the processor lacks (L9)."""
    ours: set[str | None] = set(
        Charge.objects.filter(funding=Funding.CARD, processor="sandbox").values_list(
            "processor_ref", flat=True
        )
    )
    theirs: set[str | None] = set(
        SandboxRecord.objects.filter(kind="charge", status="succeeded").values_list("reference", flat=True)
    )
    return [{"reference": str(ref), "missing": "ledger"} for ref in sorted(map(str, theirs - ours))] + [
        {"reference": str(ref), "missing": "processor"} for ref in sorted(map(str, ours - theirs))
    ]


def charges_for_fan(*, fan_id: int) -> QuerySet[Charge]:
    return Charge.objects.filter(fan_id=fan_id).select_related("creator")


def charges_for_history(*, user_id: int) -> QuerySet[Charge]:
    """What a user paid, plus gifts paid for them by others (both histories show a gift)."""
    from django.db.models import Q

    return Charge.objects.filter(Q(fan_id=user_id) | Q(recipient_id=user_id)).select_related(
        "creator", "fan", "recipient"
    )


def charges_for_creator(*, creator_id: int) -> QuerySet[Charge]:
    return Charge.objects.filter(creator_id=creator_id).select_related("fan")


def subscriptions_for_fan(*, fan_id: int) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(fan_id=fan_id).select_related("creator", "tier").order_by("-created_at")
    )


def payouts_for_creator(*, creator_id: int) -> QuerySet[Payout]:
    return Payout.objects.filter(creator_id=creator_id).order_by("-created_at")


def earnings_summary(*, creator_id: int) -> dict[str, Any]:
    """Gross, fees and net by charge kind and currency; pending vs available; upcoming releases."""
    by_kind: list[dict[str, Any]] = []
    rows = (
        Charge.objects.filter(creator_id=creator_id)
        .values("kind", "currency")
        .annotate(gross=Sum("amount_minor"), fees=Sum("fee_minor"), refunded=Sum("refunded_minor"))
        .order_by("kind", "currency")
    )
    for row in rows:
        by_kind.append(
            {
                "kind": row["kind"],
                "currency": row["currency"],
                "gross_minor": int(row["gross"]),
                "fee_minor": int(row["fees"]),
                "net_minor": int(row["gross"]) - int(row["fees"]),
                "refunded_minor": int(row["refunded"]),
            }
        )
    balances = balances_for_owner(owner_id=creator_id)
    currencies = sorted({currency for _, currency in balances} | {row["currency"] for row in by_kind})
    upcoming = (
        Hold.objects.filter(creator_id=creator_id, released_entry__isnull=True, remaining_minor__gt=0)
        .order_by("release_at")
        .values_list("release_at", "remaining_minor", "currency")[:50]
    )
    return {
        "by_kind": by_kind,
        "balances": [
            {
                "currency": currency,
                "pending_minor": balances.get((AccountKind.CREATOR_PENDING, currency), 0),
                "available_minor": balances.get((AccountKind.CREATOR_AVAILABLE, currency), 0),
                "debt_minor": -balances.get((AccountKind.CREATOR_DEBT, currency), 0),
                "in_transit_minor": balances.get((AccountKind.PAYOUTS_IN_TRANSIT, currency), 0),
            }
            for currency in currencies
        ],
        "releases": [
            {"release_at": release_at, "amount_minor": amount, "currency": currency}
            for release_at, amount, currency in upcoming
        ],
    }


def earnings_daily(*, creator_id: int, since: datetime) -> list[dict[str, Any]]:
    from django.db.models.functions import TruncDate

    rows = (
        Charge.objects.filter(creator_id=creator_id, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "currency")
        .annotate(gross=Sum("amount_minor"), fees=Sum("fee_minor"))
        .order_by("day")
    )
    return [
        {"day": row["day"], "currency": row["currency"], "net_minor": int(row["gross"]) - int(row["fees"])}
        for row in rows
    ]


def account_ids_for(*, owner_id: int) -> list[int]:
    return list(LedgerAccount.objects.filter(owner_id=owner_id).values_list("pk", flat=True))


def charge_get_for_fan(*, fan_id: int, charge_id: Any) -> Charge | None:
    """One of the fan's own charges (a receipt); None for anyone else's."""
    return charges_for_history(user_id=fan_id).filter(pk=charge_id).first()


def tier_for_checkout(*, tier_id: int) -> Any:
    """An offered tier with its creator (None when archived or unknown)."""
    from fanclub.creators.models import Tier

    return Tier.objects.select_related("creator").filter(pk=tier_id, is_archived=False).first()


def payout_blocker(*, creator: Any) -> str | None:
    """Why this creator may not request a payout now (None: allowed). The service checks again."""
    from fanclub.accounts.permissions import can_request_payout
    from fanclub.billing.models import PayoutAccount

    if not can_request_payout(creator):
        return "Payouts need two-factor authentication: turn it on in Security first."
    if not PayoutAccount.objects.filter(creator_id=creator.pk, is_identity_verified=True).exists():
        return "Payouts need a verified identity: verification has not been completed for your account."
    return None


def creator_for_tip(*, handle: str) -> Any:
    """An active creator by handle, with their profile (None when there is no such creator)."""
    from fanclub.accounts.constants import Role
    from fanclub.accounts.models import User

    return (
        User.objects.select_related("creator_profile")
        .filter(handle=handle, role=Role.CREATOR, is_active=True)
        .first()
    )


def wallet_balance(*, fan_id: int, currency: str) -> int:
    return balances_for_owner(owner_id=fan_id).get((AccountKind.FAN_WALLET, currency), 0)


def promotions_for_creator(*, creator_id: int) -> QuerySet[Any]:
    from fanclub.billing.models import Promotion

    return (
        Promotion.objects.filter(creator_id=creator_id).select_related("tier").order_by("-created_at", "-pk")
    )


def promotions_public_for_tier(*, tier: Any) -> list[Any]:
    """The creator's public, active, unexpired, not used-up offers that apply to ``tier``."""
    from django.db.models import F, Q
    from django.utils import timezone

    from fanclub.billing.models import Promotion

    return list(
        Promotion.objects.filter(creator_id=tier.creator_id, is_active=True, is_public=True)
        .filter(Q(tier__isnull=True) | Q(tier_id=tier.pk))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .filter(Q(max_redemptions__isnull=True) | Q(redemption_count__lt=F("max_redemptions")))
        .order_by("created_at")[:20]
    )


def payout_schedule(*, creator_id: int) -> dict[str, Any]:
    from fanclub.billing.models import PayoutAccount

    account = PayoutAccount.objects.filter(creator_id=creator_id).first()
    if account is None:
        return {"schedule": "off", "last_scheduled_payout_at": None}
    return {"schedule": account.payout_schedule, "last_scheduled_payout_at": account.last_scheduled_payout_at}


def tiers_for_change(*, subscription: Any) -> list[Any]:
    """The other offered tiers of a subscription's creator (upgrade/downgrade targets)."""
    from fanclub.creators.models import Tier

    return list(
        Tier.objects.filter(creator_id=subscription.creator_id, is_archived=False)
        .exclude(pk=subscription.tier_id)
        .order_by("price_minor", "pk")
    )


@dataclass(frozen=True)
class TipRecipient:
    """Who a tip goes to, as :func:`tip_recipient_for` found them."""

    creator: User
    blocked: bool  # the creator or the fan blocks the other
    post_found: bool  # the tipped post is the creator's (True for a profile tip)


def tip_recipient_for(*, handle: str, fan_id: int, post_id: int | None) -> TipRecipient | None:
    """The active creator behind ``handle``, whether either of the two blocks the other and whether
    ``post_id`` is one of their posts, in one query (a tip is the API's hottest write). None: no
    such active creator. The creator comes back with only ``id`` and ``handle`` loaded."""
    with connection.cursor() as cursor:
        cursor.execute(_TIP_RECIPIENT, [fan_id, fan_id, post_id, post_id, handle, Role.CREATOR.value])
        row = cursor.fetchone()
    if row is None:
        return None
    creator = User.from_db(connection.alias, ["id", "handle"], row[:2])
    return TipRecipient(creator=creator, blocked=row[2], post_found=row[3])


_TIP_RECIPIENT = """
SELECT u.id, u.handle,
       EXISTS (SELECT 1 FROM social_block b
                WHERE (b.blocker_id = u.id AND b.blocked_id = %s)
                   OR (b.blocker_id = %s AND b.blocked_id = u.id)),
       %s::bigint IS NULL OR EXISTS (SELECT 1 FROM content_post p WHERE p.id = %s AND p.creator_id = u.id)
  FROM accounts_user u
 WHERE u.handle = %s AND u.role = %s AND u.is_active"""
