"""Ledger invariants every billing test checks (reliability.md L1-L3, L6)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from fanclub.billing import selectors
from fanclub.billing.constants import NON_NEGATIVE_KINDS, AccountKind
from fanclub.billing.models import LedgerAccount


def assert_ledger_invariants() -> None:
    with connection.cursor() as cursor:
        # Fire the deferred "entry balances" trigger now, as COMMIT would.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert selectors.unbalanced_entries() == []
    assert all(total == 0 for total in selectors.trial_balance().values())
    assert selectors.balance_drift() == []
    for account in LedgerAccount.objects.all():
        total = selectors.balance(kind=account.kind, currency=account.currency, owner_id=account.owner_id)
        if account.kind in NON_NEGATIVE_KINDS:
            assert total >= 0, account
        if account.kind == AccountKind.CREATOR_DEBT:
            assert total <= 0, account


def ledger_snapshot() -> tuple[Any, ...]:
    """Everything a refused money request must leave exactly as it was."""
    from fanclub.billing.models import (
        Charge,
        Hold,
        Posting,
        Promotion,
        PromotionRedemption,
        SandboxRecord,
        Subscription,
    )
    from fanclub.creators.models import Membership

    return (
        list(Posting.objects.order_by("pk").values_list("pk", "account_id", "amount_minor")),
        list(LedgerAccount.objects.order_by("pk").values_list("pk", "balance_minor")),
        list(Charge.objects.order_by("pk").values_list("pk", "amount_minor", "refunded_minor", "status")),
        Hold.objects.count(),
        SandboxRecord.objects.count(),
        list(
            Subscription.objects.order_by("pk").values_list("pk", "status", "tier_id", "current_period_end")
        ),
        list(Promotion.objects.order_by("pk").values_list("pk", "redemption_count", "is_active")),
        PromotionRedemption.objects.count(),
        list(Membership.objects.order_by("pk").values_list("pk", "status", "tier_id")),
    )
