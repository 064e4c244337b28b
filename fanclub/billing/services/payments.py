"""Charges (tips, unlocks, wallet top-ups), the earnings hold, refunds and chargebacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.billing import ledger, selectors
from fanclub.billing.constants import (
    CURRENCIES,
    MAX_CHARGE_MINOR,
    MAX_NOTE_LENGTH,
    AccountKind,
    ChargeKind,
    ChargeStatus,
    EntryKind,
    Funding,
)
from fanclub.billing.models import Charge, ChargebackFlag, Hold, LedgerAccount
from fanclub.billing.processors import PaymentFailed, ProcessorRetryable, current_processor, processor_named
from fanclub.core.errors import ApiError, Conflict, NotFound
from fanclub.notifications import hooks as notification_hooks

PROCESSOR_ATTEMPTS = 2


class InsufficientCredit(ApiError):
    status = 409
    code = "insufficient_wallet_credit"


def _invalid(message: str, field: str, code: str = "validation_error") -> ApiError:
    return ApiError(message, status=422, code=code, details={"field": field})


@dataclass(frozen=True)
class Payment:
    """How the fan pays: a processor token (the sandbox takes test card numbers) or wallet credit."""

    funding: str
    token: str = ""


def check_amount(*, amount_minor: int, currency: str) -> None:
    if currency not in CURRENCIES:
        raise _invalid("Unsupported currency.", "currency", code="unsupported_currency")
    if not settings.BILLING_MIN_CHARGE_MINOR <= amount_minor <= MAX_CHARGE_MINOR:
        raise _invalid(
            f"The amount must be between {settings.BILLING_MIN_CHARGE_MINOR} and {MAX_CHARGE_MINOR} "
            "minor units.",
            "amountMinor",
            code="amount_out_of_bounds",
        )


def _collect(*, payment: Payment, amount_minor: int, currency: str, idempotency_key: str) -> tuple[str, str]:
    """Take the money from the card (through the processor): (processor name, reference)."""
    if payment.funding != Funding.CARD or not payment.token:
        raise _invalid("A card payment needs a card token.", "cardToken")
    processor = current_processor()
    for attempt in range(PROCESSOR_ATTEMPTS):
        try:
            result = processor.charge(
                token=payment.token,
                amount_minor=amount_minor,
                currency=currency,
                idempotency_key=idempotency_key,
            )
            break
        except ProcessorRetryable as exc:
            if exc.maybe_charged and not processor.idempotent_charges:
                # The processor may have charged and would charge again: never retry blindly.
                raise ApiError(
                    "The payment processor did not confirm the payment, so it was not retried (you "
                    "cannot be charged twice). Check your statement before trying again.",
                    status=503,
                    code="processor_outcome_unknown",
                ) from None
            # Same idempotency key: the processor charges at most once whatever happened before.
            if attempt == PROCESSOR_ATTEMPTS - 1:
                raise ApiError(
                    "The payment processor is unavailable; try again.",
                    status=503,
                    code="processor_unavailable",
                ) from None
    if result.status != "succeeded":
        raise PaymentFailed("The card was declined.", details={"declineCode": result.decline_code})
    return processor.name, result.reference


def _locked(kind: AccountKind, owner_id: int, currency: str) -> LedgerAccount:
    account = ledger.account_for(kind=kind, owner_id=owner_id, currency=currency)
    return ledger.lock_accounts([account])[account.pk]


def charge_create(
    *,
    fan: User,
    creator: User | None,
    kind: str,
    amount_minor: int,
    currency: str,
    payment: Payment,
    idempotency_key: str,
    post_id: int | None = None,
    subscription_id: int | None = None,
    note: str = "",
    recipient_id: int | None = None,
    promotion_id: int | None = None,
) -> Charge:
    """Take ``amount_minor`` from the fan and book it: the creator's net on hold, the fee to the
    platform (top-ups: all of it to the fan's wallet). Runs in the caller's transaction."""
    check_amount(amount_minor=amount_minor, currency=currency)
    if creator is not None and creator.pk == fan.pk:
        raise Conflict("You cannot pay yourself.", code="self_payment")
    if payment.funding == Funding.WALLET:
        if kind == ChargeKind.TOP_UP:
            raise _invalid("Wallet credit cannot top up the wallet.", "funding")
        wallet = _locked(AccountKind.FAN_WALLET, fan.pk, currency)
        if wallet.balance_minor < amount_minor:
            raise InsufficientCredit(
                "Not enough wallet credit.",
                details={"balanceMinor": wallet.balance_minor, "currency": currency},
            )
        source, processor_name, reference = wallet, "", None
    elif payment.funding == Funding.CARD:
        processor_name, reference = _collect(
            payment=payment,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=f"{fan.pk}:{idempotency_key}",
        )
        source = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, currency)
    else:
        raise _invalid("Pay by card or wallet.", "funding")

    fee_bps = 0 if kind == ChargeKind.TOP_UP else settings.BILLING_PLATFORM_FEE_BPS
    fee, net = ledger.fee_split(gross_minor=amount_minor, fee_bps=fee_bps)
    # The charge, its hold and the entry that books them are written by one statement (entry_post).
    charge = Charge(
        fan=fan,
        creator=creator,
        kind=kind,
        funding=payment.funding,
        amount_minor=amount_minor,
        fee_minor=fee,
        fee_bps=fee_bps,
        currency=currency,
        processor=processor_name,
        processor_ref=reference,
        post_id=post_id,
        subscription_id=subscription_id,
        note=note,
        recipient_id=recipient_id,
        promotion_id=promotion_id,
    )
    new_rows: list[Charge | Hold] = [charge]
    if kind == ChargeKind.TOP_UP:
        wallet = ledger.account_for(kind=AccountKind.FAN_WALLET, owner_id=fan.pk, currency=currency)
        lines = [(source, -amount_minor), (wallet, amount_minor)]
    else:
        assert creator is not None
        pending = ledger.account_for(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency=currency)
        lines = [
            (source, -amount_minor),
            (pending, net),
            (ledger.platform_account(AccountKind.PLATFORM_FEES, currency), fee),
        ]
        new_rows.append(
            Hold(
                charge=charge,
                creator=creator,
                currency=currency,
                remaining_minor=net,
                release_at=timezone.now() + timedelta(days=settings.BILLING_HOLD_DAYS),
            )
        )
    ledger.entry_post(kind=_ENTRY_KIND[kind], lines=lines, charge=charge, new_rows=new_rows)
    return charge


_ENTRY_KIND: dict[str, str] = {
    ChargeKind.TIP: EntryKind.TIP,
    ChargeKind.UNLOCK: EntryKind.UNLOCK,
    ChargeKind.SUBSCRIPTION: EntryKind.SUBSCRIPTION,
    ChargeKind.RENEWAL: EntryKind.RENEWAL,
    ChargeKind.TOP_UP: EntryKind.TOP_UP,
    ChargeKind.GIFT: EntryKind.GIFT,
    ChargeKind.UPGRADE: EntryKind.UPGRADE,
}


def tip_send(
    *,
    fan: User,
    creator_handle: str,
    amount_minor: int,
    currency: str,
    payment: Payment,
    idempotency_key: str,
    post_id: int | None = None,
    note: str = "",
) -> Charge:
    """Tip a creator (on their profile or on one of their posts) with an optional note.

    Inside a caller's transaction (the idempotency wrapper) it takes no savepoint of its own: a
    failed tip dooms the caller's transaction, which is what that wrapper wants (nothing is kept).
    """
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise _invalid(f"A note has at most {MAX_NOTE_LENGTH} characters.", "note")
    recipient = selectors.tip_recipient_for(handle=creator_handle, fan_id=fan.pk, post_id=post_id)
    # A block either way looks like an unknown creator (as it does everywhere else).
    if recipient is None or recipient.blocked:
        raise NotFound("No such creator.")
    if not recipient.post_found:
        raise NotFound("No such post.")
    creator = recipient.creator
    with transaction.atomic(savepoint=False):
        charge = charge_create(
            fan=fan,
            creator=creator,
            kind=ChargeKind.TIP,
            amount_minor=amount_minor,
            currency=currency,
            payment=payment,
            idempotency_key=idempotency_key,
            post_id=post_id,
            note=note,
        )
        notification_hooks.tip_received(charge=charge)
        return charge


def post_unlock_buy(
    *, fan: User, post_id: int, payment: Payment, idempotency_key: str, country: str = ""
) -> Charge:
    """Buy a pay-per-view post at its price; access through content's post_unlock_grant."""
    from fanclub.content import policy
    from fanclub.content import services as content_services
    from fanclub.content.constants import Access
    from fanclub.content.models import PostUnlock

    post = policy.post_qs_visible_to(user=fan, country=country).filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post.")
    if post.access != Access.PPV or not post.price_minor:
        raise Conflict("Only pay-per-view posts can be unlocked.", code="not_ppv")
    if post.creator_id == fan.pk or PostUnlock.objects.filter(fan_id=fan.pk, post_id=post.pk).exists():
        raise Conflict("You already have access to this post.", code="already_unlocked")
    with transaction.atomic():
        charge = charge_create(
            fan=fan,
            creator=post.creator,
            kind=ChargeKind.UNLOCK,
            amount_minor=post.price_minor,
            currency=post.currency,
            payment=payment,
            idempotency_key=idempotency_key,
            post_id=post.pk,
        )
        content_services.post_unlock_grant(fan=fan, post=post, source="billing")
        return charge


def wallet_top_up(
    *, fan: User, amount_minor: int, currency: str, payment: Payment, idempotency_key: str
) -> Charge:
    with transaction.atomic():
        return charge_create(
            fan=fan,
            creator=None,
            kind=ChargeKind.TOP_UP,
            amount_minor=amount_minor,
            currency=currency,
            payment=payment,
            idempotency_key=idempotency_key,
        )


# --- Hold release -------------------------------------------------------------------------------------
def holds_release_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Move due earnings from pending to available, recovering any chargeback debt first."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        holds = list(
            Hold.objects.select_for_update(skip_locked=True)
            .filter(released_entry__isnull=True, release_at__lte=now)
            .order_by("release_at", "pk")[:limit]
        )
        for hold in holds:
            hold_release(hold=hold)
            released += 1
    return released


def hold_release(*, hold: Hold) -> None:
    """Release one hold (locked by the caller). Resolves at most once (L7: released_entry is set)."""
    pending, available, debt = _creator_accounts(hold.creator_id, hold.currency)
    amount = hold.remaining_minor
    recover = min(amount, -debt.balance_minor)
    lines = [(pending, -amount), (available, amount - recover), (debt, recover)]
    if amount == 0:
        lines = []
    entry = ledger.entry_post(kind=EntryKind.HOLD_RELEASE, lines=lines, charge=hold.charge) if lines else None
    if entry is None:
        # Nothing left on hold (refunded meanwhile): mark resolved with an empty marker entry.
        entry = _empty_entry(hold)
    hold.released_entry = entry
    hold.save(update_fields=["released_entry"])


def _empty_entry(hold: Hold) -> Any:
    from fanclub.billing.models import JournalEntry

    return JournalEntry.objects.create(
        kind=EntryKind.HOLD_RELEASE, charge=hold.charge, memo="nothing left on hold"
    )


def _creator_accounts(creator_id: int, currency: str) -> tuple[LedgerAccount, LedgerAccount, LedgerAccount]:
    accounts = [
        ledger.account_for(kind=kind, owner_id=creator_id, currency=currency)
        for kind in (AccountKind.CREATOR_PENDING, AccountKind.CREATOR_AVAILABLE, AccountKind.CREATOR_DEBT)
    ]
    locked = ledger.lock_accounts(accounts)
    pending, available, debt = (locked[a.pk] for a in accounts)
    return pending, available, debt


# --- Refunds and chargebacks ----------------------------------------------------------------------------
def charge_refund(*, charge_id: Any, amount_minor: int | None = None, at_processor: bool = True) -> Charge:
    """Refund all or part of a charge: reverse the fee and the creator's share, return the money to
    where it came from (card or wallet). A full refund revokes what was bought.

    ``at_processor=False``: the processor already refunded (its webhook reports it); only book it."""
    with transaction.atomic():
        charge = Charge.objects.select_for_update().filter(pk=charge_id).first()
        if charge is None:
            raise NotFound("No such charge.")
        remaining = charge.amount_minor - charge.refunded_minor
        amount = remaining if amount_minor is None else amount_minor
        if charge.status == ChargeStatus.CHARGED_BACK or remaining == 0:
            raise Conflict("Nothing is left to refund on this charge.", code="nothing_to_refund")
        if not 0 < amount <= remaining:
            raise _invalid(
                f"The refund must be between 1 and {remaining}.", "amountMinor", code="amount_out_of_bounds"
            )
        _reverse(charge=charge, amount=amount, chargeback=False, at_processor=at_processor)
        return charge


def charge_refund_request(*, actor: User, charge_id: Any, amount_minor: int | None = None) -> Charge:
    """A refund asked for by a person: an admin (any charge) or the creator who was paid (their own
    charges). The payer and anyone else get "no such charge" (404: charges are not enumerable)."""
    from fanclub.billing.permissions import can_refund_charge

    charge = Charge.objects.filter(pk=charge_id).only("pk", "creator_id", "fan_id").first()
    if charge is None or not can_refund_charge(actor, charge):
        raise NotFound("No such charge.")
    if amount_minor is not None and amount_minor <= 0:
        raise _invalid("The refund must be a positive amount.", "amountMinor", code="amount_out_of_bounds")
    return charge_refund(charge_id=charge.pk, amount_minor=amount_minor)


def charge_chargeback(*, charge_id: Any) -> Charge | None:
    """The processor took the money back: reverse what is left of the charge, turning any creator
    shortfall into tracked debt, revoke access and flag the fan. Idempotent (None: nothing left)."""
    with transaction.atomic():
        charge = Charge.objects.select_for_update().filter(pk=charge_id).first()
        if charge is None:
            raise NotFound("No such charge.")
        amount = charge.amount_minor - charge.refunded_minor
        if charge.status == ChargeStatus.CHARGED_BACK or amount == 0:
            return None
        _reverse(charge=charge, amount=amount, chargeback=True)
        ChargebackFlag.objects.get_or_create(charge=charge, defaults={"fan_id": charge.fan_id})
        return charge


def _reverse(*, charge: Charge, amount: int, chargeback: bool, at_processor: bool = True) -> None:
    currency = charge.currency
    final = charge.refunded_minor + amount == charge.amount_minor
    if final:
        fee_back = charge.fee_minor - charge.fee_refunded_minor
    else:
        fee_back, _ = ledger.fee_split(gross_minor=amount, fee_bps=charge.fee_bps)
        fee_back = min(fee_back, charge.fee_minor - charge.fee_refunded_minor)
    creator_back = amount - fee_back
    # Where the money goes back to: the card through the processor, or the fan's wallet.
    if charge.funding == Funding.CARD or chargeback:
        destination = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, currency)
    else:
        destination = ledger.account_for(
            kind=AccountKind.FAN_WALLET, owner_id=charge.fan_id, currency=currency
        )
    lines: list[tuple[LedgerAccount, int]] = [(destination, amount)]
    if charge.kind == ChargeKind.TOP_UP:
        wallet = _locked(AccountKind.FAN_WALLET, charge.fan_id, currency)
        taken = min(wallet.balance_minor, amount)
        if taken < amount and not chargeback:
            raise InsufficientCredit("The wallet credit of this top-up was already spent.")
        # A chargeback of spent credit is the platform's loss.
        lines += [
            (wallet, -taken),
            (ledger.platform_account(AccountKind.CHARGEBACKS, currency), -(amount - taken)),
        ]
    else:
        pending, available, debt = _creator_accounts(charge.creator_id, currency)  # type: ignore[arg-type]
        hold = Hold.objects.select_for_update().get(charge=charge)
        from_pending = min(creator_back, hold.remaining_minor) if hold.released_entry_id is None else 0
        from_available = min(creator_back - from_pending, available.balance_minor)
        into_debt = creator_back - from_pending - from_available
        lines += [
            (ledger.platform_account(AccountKind.PLATFORM_FEES, currency), -fee_back),
            (pending, -from_pending),
            (available, -from_available),
            (debt, -into_debt),
        ]
        if from_pending:
            hold.remaining_minor -= from_pending
            hold.save(update_fields=["remaining_minor"])
    if charge.funding == Funding.CARD and not chargeback and at_processor:
        processor = processor_named(charge.processor or settings.BILLING_PROCESSOR)
        processor.refund(
            reference=charge.processor_ref or "",
            amount_minor=amount,
            currency=currency,
            idempotency_key=f"refund:{charge.pk}:{charge.refunded_minor}",
        )
    ledger.entry_post(
        kind=EntryKind.CHARGEBACK if chargeback else EntryKind.REFUND, lines=lines, charge=charge
    )
    charge.refunded_minor += amount
    charge.fee_refunded_minor += fee_back
    if chargeback:
        charge.status = ChargeStatus.CHARGED_BACK
    else:
        charge.status = ChargeStatus.REFUNDED if final else ChargeStatus.PARTIALLY_REFUNDED
    charge.save(update_fields=["refunded_minor", "fee_refunded_minor", "status"])
    if final or chargeback:
        _revoke_access(charge)


def _revoke_access(charge: Charge) -> None:
    """Take back what a fully refunded or charged-back payment bought."""
    if charge.kind == ChargeKind.UNLOCK and charge.post_id is not None:
        from fanclub.content import services as content_services

        content_services.post_unlock_revoke(fan_id=charge.fan_id, post_id=charge.post_id)
    elif charge.kind in (ChargeKind.UNLOCK, "message") and charge.post_id is None:
        from fanclub.messaging import services as messaging_services  # a paid message's unlock

        messaging_services.message_unlock_revoke(charge_id=charge.pk)
    elif charge.subscription_id is not None:
        from fanclub.billing.services.subscriptions import subscription_end_for_reversal

        subscription_end_for_reversal(subscription_id=charge.subscription_id)
