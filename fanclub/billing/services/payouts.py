"""Payouts: requested -> sent -> paid | failed (the money returns to available)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.accounts.permissions import can_request_payout
from fanclub.billing import ledger
from fanclub.billing.constants import CURRENCIES, AccountKind, EntryKind, PayoutStatus
from fanclub.billing.models import Payout, PayoutAccount
from fanclub.billing.processors import current_processor
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied


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
        if paid:
            other = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, payout.currency)
        else:
            other = ledger.account_for(
                kind=AccountKind.CREATOR_AVAILABLE, owner_id=payout.creator_id, currency=payout.currency
            )
        ledger.lock_accounts([transit, other] if not paid else [transit])
        ledger.entry_post(
            kind=EntryKind.PAYOUT_PAID if paid else EntryKind.PAYOUT_FAILED,
            lines=[(transit, -payout.amount_minor), (other, payout.amount_minor)],
            memo=f"payout {payout.pk}",
        )
        payout.status = PayoutStatus.PAID if paid else PayoutStatus.FAILED
        payout.updated_at = timezone.now()
        payout.save(update_fields=["status", "updated_at"])
        return payout
