"""Processor webhooks: verified, stored once per event id, applied once by a job in any order."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from fanclub.billing.models import Charge, WebhookEvent
from fanclub.billing.processors import processor_named
from fanclub.core.jobs import RetryableJobError


def webhook_receive(
    *,
    processor: str,
    body: bytes,
    headers: dict[str, str],
    remote_addr: str = "",
    params: dict[str, str] | None = None,
) -> tuple[WebhookEvent, bool]:
    """Verify and store an event; the job applying it is deferred in the same transaction.

    A forged, stale or malformed delivery raises WebhookRejected and stores nothing; a duplicate
    returns the stored event (created False) and queues nothing.
    """
    event = processor_named(processor).verify_webhook(
        body=body, headers=headers, remote_addr=remote_addr, params=params
    )
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                processor=processor, event_id=event.event_id, type=event.type, payload=event.data
            )
            from fanclub.billing import tasks

            tasks.webhook_event_process_task.defer(event_pk=stored.pk)
            return stored, True
    except IntegrityError:
        return WebhookEvent.objects.get(processor=processor, event_id=event.event_id), False


def webhook_event_process(*, event_pk: int) -> str:
    """Apply a stored event exactly once (the row lock and processed_at make repeats no-ops).

    An event about an object not known yet (delivered before the request that creates it
    committed) raises RetryableJobError, so the job retries later: any delivery order converges.
    """
    from fanclub.billing.services.payments import charge_chargeback
    from fanclub.billing.services.payouts import payout_settle

    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.processed_at is not None:
            return event.outcome
        data = event.payload
        reference = str(data.get("reference") or "")
        if event.type == "charge.disputed":
            charge = Charge.objects.filter(processor=event.processor, processor_ref=reference).first()
            if charge is None:
                raise RetryableJobError(f"charge {reference} not known yet")
            outcome = "charged back" if charge_chargeback(charge_id=charge.pk) else "nothing left to reverse"
        elif event.type == "charge.refunded":
            # A refund issued at the processor (e.g. in the CCBill admin): book it, no outbound call.
            charge = Charge.objects.filter(processor=event.processor, processor_ref=reference).first()
            if charge is None:
                raise RetryableJobError(f"charge {reference} not known yet")
            outcome = _book_external_refund(charge, int(data.get("amountMinor") or 0))
        elif event.type in ("payout.paid", "payout.failed"):
            from fanclub.billing.models import Payout

            if not Payout.objects.filter(processor=event.processor, processor_ref=reference).exists():
                raise RetryableJobError(f"payout {reference} not known yet")
            payout = payout_settle(
                processor=event.processor, reference=reference, paid=event.type == "payout.paid"
            )
            outcome = f"payout {payout.status}"
        else:
            outcome = "ignored"
        event.processed_at = timezone.now()
        event.outcome = outcome
        event.save(update_fields=["processed_at", "outcome"])
        return outcome


def _book_external_refund(charge: Charge, amount_minor: int) -> str:
    from fanclub.billing.services.payments import charge_refund
    from fanclub.core.errors import ApiError

    remaining = charge.amount_minor - charge.refunded_minor
    amount = min(amount_minor, remaining) if amount_minor > 0 else remaining
    if amount <= 0:
        return "nothing left to refund"
    try:
        charge_refund(charge_id=charge.pk, amount_minor=amount, at_processor=False)
    except ApiError as exc:
        return f"refund refused: {exc.code}"
    return f"refunded {amount}"
