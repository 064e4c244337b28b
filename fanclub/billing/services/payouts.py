"""Payouts: requested -> sent -> paid | failed (the money returns to available)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.accounts.permissions import can_request_payout
from fanclub.billing import ledger
from fanclub.billing.constants import CURRENCIES, AccountKind, EntryKind, PayoutSchedule, PayoutStatus
from fanclub.billing.models import LedgerAccount, Payout, PayoutAccount
from fanclub.billing.processors import current_processor
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.notifications import hooks as notification_hooks


def payout_request(*, creator: User, currency: str, amount_minor: int | None = None) -> Payout:
    """Move ``amount_minor`` (default: everything) of the available balance to a payout in transit.

    Needs a second factor and a verified identity. The available account is locked and the CHECK
    constraint backs the balance test, so parallel requests never pay out more than the balance.
    """
    if not can_request_payout(creator):
        raise PermissionDenied(
            "Payouts need a creator account with two-factor authentication.", code="mfa_required"
        )
    if not PayoutAccount.objects.filter(creator_id=creator.pk, is_identity_verified=True).exists():
        raise PermissionDenied("Verify your identity before requesting a payout.", code="identity_unverified")
    if currency not in CURRENCIES:
        raise ApiError("Unsupported currency.", status=422, code="unsupported_currency")
    with transaction.atomic():
        available = ledger.account_for(
            kind=AccountKind.CREATOR_AVAILABLE, owner_id=creator.pk, currency=currency
        )
        transit = ledger.account_for(
            kind=AccountKind.PAYOUTS_IN_TRANSIT, owner_id=creator.pk, currency=currency
        )
        available = ledger.lock_accounts([available])[available.pk]
        amount = available.balance_minor if amount_minor is None else amount_minor
        if amount < settings.BILLING_MIN_PAYOUT_MINOR:
            raise ApiError(
                f"The minimum payout is {settings.BILLING_MIN_PAYOUT_MINOR} minor units.",
                status=422,
                code="amount_out_of_bounds",
                details={"minimumMinor": settings.BILLING_MIN_PAYOUT_MINOR},
            )
        if amount > available.balance_minor:
            raise Conflict(
                "The payout exceeds the available balance.",
                code="insufficient_balance",
                details={"availableMinor": available.balance_minor},
            )
        payout = Payout.objects.create(creator=creator, amount_minor=amount, currency=currency)
        entry = ledger.entry_post(
            kind=EntryKind.PAYOUT_REQUEST,
            lines=[(available, -amount), (transit, amount)],
            memo=f"payout {payout.pk}",
        )
        del entry
        from fanclub.billing import tasks

        tasks.payout_send_task.defer(payout_id=str(payout.pk))
        return payout


def payout_send(*, payout_id: Any) -> Payout | None:
    """Hand a requested payout to the processor (idempotent: the payout id is the key)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None or payout.status != PayoutStatus.REQUESTED:
            return payout
        processor = current_processor()
        result = processor.payout(
            amount_minor=payout.amount_minor, currency=payout.currency, idempotency_key=str(payout.pk)
        )
        payout.status = PayoutStatus.SENT
        payout.processor = processor.name
        payout.processor_ref = result.reference
        payout.updated_at = timezone.now()
        payout.save(update_fields=["status", "processor", "processor_ref", "updated_at"])
        notification_hooks.payout_sent(payout=payout)
        if processor.name == "sandbox":
            from fanclub.billing.processors import sandbox_event_schedule

            sandbox_event_schedule(type="payout.paid", data={"reference": result.reference})
        return payout


def payout_settle(*, processor: str, reference: str, paid: bool) -> Payout:
    """The processor reports a payout paid, or failed (its money returns to available). Once only."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update().filter(processor=processor, processor_ref=reference).first()
        )
        if payout is None:
            raise NotFound("No such payout.")
        if payout.status != PayoutStatus.SENT:
            return payout
        transit = ledger.account_for(
            kind=AccountKind.PAYOUTS_IN_TRANSIT, owner_id=payout.creator_id, currency=payout.currency
        )
        amount = payout.amount_minor
        if paid:
            clearing = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, payout.currency)
            ledger.lock_accounts([transit])
            lines = [(transit, -amount), (clearing, amount)]
        else:
            # Money coming back recovers chargeback debt first (as a hold release does), so the
            # final balances do not depend on whether a chargeback arrived before or after.
            available = ledger.account_for(
                kind=AccountKind.CREATOR_AVAILABLE, owner_id=payout.creator_id, currency=payout.currency
            )
            debt = ledger.account_for(
                kind=AccountKind.CREATOR_DEBT, owner_id=payout.creator_id, currency=payout.currency
            )
            locked = ledger.lock_accounts([transit, available, debt])
            recover = min(amount, -locked[debt.pk].balance_minor)
            lines = [(transit, -amount), (available, amount - recover), (debt, recover)]
        ledger.entry_post(
            kind=EntryKind.PAYOUT_PAID if paid else EntryKind.PAYOUT_FAILED,
            lines=lines,
            memo=f"payout {payout.pk}",
        )
        payout.status = PayoutStatus.PAID if paid else PayoutStatus.FAILED
        payout.updated_at = timezone.now()
        payout.save(update_fields=["status", "updated_at"])
        return payout


# --- Scheduled payouts ------------------------------------------------------------------------------
def payout_schedule_set(*, creator: User, schedule: str) -> PayoutAccount:
    """Opt into weekly or monthly automatic payouts (or back out). Each scheduled payout still
    needs MFA and a verified identity at the time it runs; opting in needs MFA already."""
    if schedule not in PayoutSchedule.values:
        raise ApiError(
            "The schedule is off, weekly or monthly.",
            status=422,
            code="validation_error",
            details={"field": "schedule"},
        )
    if schedule != PayoutSchedule.OFF and not can_request_payout(creator):
        raise PermissionDenied(
            "Payouts need a creator account with two-factor authentication.", code="mfa_required"
        )
    with transaction.atomic():
        account, _ = PayoutAccount.objects.select_for_update().get_or_create(creator=creator)
        account.payout_schedule = schedule
        account.save(update_fields=["payout_schedule"])
        return account


def payout_schedule_due(*, account: PayoutAccount, now: datetime) -> bool:
    """Weekly: 7 days after the last scheduled payout; monthly: once per calendar month (UTC)."""
    last = account.last_scheduled_payout_at
    if account.payout_schedule == PayoutSchedule.WEEKLY:
        return last is None or now - last >= timedelta(days=7)
    if account.payout_schedule == PayoutSchedule.MONTHLY:
        return last is None or (last.year, last.month) != (now.year, now.month)
    return False


def payouts_schedule_run(*, now: datetime | None = None, limit: int = 500) -> int:
    """The periodic job: for every due opted-in creator, pay out the whole available balance of
    each currency that reaches BILLING_MIN_PAYOUT_MINOR. Creators without MFA or a verified
    identity are skipped (their schedule stays, the next run tries again); so is a balance below
    the minimum, until it reaches it. Returns the number of payouts made."""
    now = now or timezone.now()
    made = 0
    candidates = list(
        PayoutAccount.objects.filter(is_identity_verified=True)
        .exclude(payout_schedule=PayoutSchedule.OFF)
        .select_related("creator")
        .order_by("pk")[:limit]
    )
    for account in candidates:
        if not payout_schedule_due(account=account, now=now) or not can_request_payout(account.creator):
            continue
        with transaction.atomic():
            locked = PayoutAccount.objects.select_for_update(skip_locked=True).filter(pk=account.pk).first()
            if locked is None or not payout_schedule_due(account=locked, now=now):
                continue  # another worker has it
            balances = LedgerAccount.objects.filter(
                kind=AccountKind.CREATOR_AVAILABLE,
                owner_id=account.creator_id,
                balance_minor__gte=settings.BILLING_MIN_PAYOUT_MINOR,
            ).values_list("currency", flat=True)
            paid = 0
            for currency in sorted(balances):
                payout_request(creator=account.creator, currency=currency)
                paid += 1
            if paid:
                # Only a run that paid counts: below the minimum, the next run tries again.
                locked.last_scheduled_payout_at = now
                locked.save(update_fields=["last_scheduled_payout_at"])
            made += paid
    return made
