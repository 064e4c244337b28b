"""Payment processors behind one interface: the built-in sandbox and Stripe.

A processor charges a payment token, refunds, sends payouts and verifies its webhooks. Every call
carries our idempotency key, so a retried call never charges twice on the processor's side either.
The deployment picks one with BILLING_PROCESSOR; ``processor_named`` returns any configured one,
so events of a previous processor are still verified after a failover.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction

from fanclub.billing.models import SandboxRecord
from fanclub.core.errors import ApiError


class PaymentFailed(ApiError):
    status = 402
    code = "card_declined"


class WebhookRejected(ApiError):
    status = 400
    code = "webhook_rejected"


class ProcessorRetryable(Exception):
    """A transient processor failure: the same call with the same idempotency key may succeed."""


@dataclass(frozen=True)
class ProcessorResult:
    reference: str
    status: str  # succeeded | declined
    decline_code: str = ""


@dataclass(frozen=True)
class WebhookEventData:
    event_id: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class Processor(Protocol):
    name: str

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult: ...

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult: ...

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult: ...

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEventData: ...


# --- Signatures (Stripe's scheme: HMAC-SHA256 over "t.body", header "t=...,v1=...") ----------------
SANDBOX_SIGNATURE_HEADER = "Fanclub-Signature"


def sign(*, body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(*, body: bytes, header: str, secret: str, tolerance: int) -> None:
    """Raise WebhookRejected unless ``header`` signs ``body`` with ``secret`` within ``tolerance`` s."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = [value for key, value in (item.split("=", 1) for item in header.split(",")) if key == "v1"]
    except (ValueError, KeyError) as exc:
        raise WebhookRejected("Malformed signature header.", code="webhook_bad_signature") from exc
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in given):
        raise WebhookRejected("The signature does not match.", code="webhook_bad_signature")
    if abs(time.time() - timestamp) > tolerance:
        raise WebhookRejected("The signature timestamp is outside the tolerance.", code="webhook_replayed")


# --- Sandbox ----------------------------------------------------------------------------------------
class SandboxCards:
    """Test card numbers of the sandbox processor (documented in docs/billing.md)."""

    SUCCEEDS = "4242424242424242"
    DECLINED = "4000000000000002"
    INSUFFICIENT_FUNDS = "4000000000009995"
    RETRY_THEN_SUCCEEDS = "4000000000000119"  # first attempt: processing error; the retry succeeds
    CHARGEBACK_LATER = "4000000000000259"  # succeeds, then a charge.disputed webhook arrives


class SandboxProcessor:
    """A processor that runs inside the platform and keeps its own books (``SandboxRecord``).

    Its webhooks are signed exactly like Stripe's and delivered asynchronously by a job.
    """

    name = "sandbox"

    def _record(
        self, *, kind: str, idempotency_key: str, amount_minor: int, currency: str, status: str
    ) -> tuple[SandboxRecord, bool]:
        key = f"{kind}:{idempotency_key}"
        existing = SandboxRecord.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                record = SandboxRecord.objects.create(
                    idempotency_key=key,
                    reference=f"sb_{kind[:2]}_{uuid.uuid4().hex[:20]}",
                    kind=kind,
                    amount_minor=amount_minor,
                    currency=currency,
                    status=status,
                )
                return record, True
        except IntegrityError:
            return SandboxRecord.objects.get(idempotency_key=key), False

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        number = token.replace(" ", "").replace("-", "")
        if number in (SandboxCards.DECLINED, SandboxCards.INSUFFICIENT_FUNDS):
            code = "insufficient_funds" if number == SandboxCards.INSUFFICIENT_FUNDS else "card_declined"
            return ProcessorResult(reference="", status="declined", decline_code=code)
        if not (number.isdigit() and 12 <= len(number) <= 19 and _luhn_ok(number)):
            return ProcessorResult(reference="", status="declined", decline_code="invalid_card")
        record, created = self._record(
            kind="charge",
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            status="succeeded",
        )
        if number == SandboxCards.RETRY_THEN_SUCCEEDS and created:
            SandboxRecord.objects.filter(pk=record.pk).update(status="pending")
            raise ProcessorRetryable("sandbox: processing error, retry with the same idempotency key")
        if not created:
            SandboxRecord.objects.filter(pk=record.pk).update(
                attempts=record.attempts + 1, status="succeeded"
            )
        if number == SandboxCards.CHARGEBACK_LATER and created:
            sandbox_event_schedule(
                type="charge.disputed", data={"reference": record.reference, "amountMinor": amount_minor}
            )
        return ProcessorResult(reference=record.reference, status="succeeded")

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        record, _ = self._record(
            kind="refund",
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            status="succeeded",
        )
        return ProcessorResult(reference=record.reference, status="succeeded")

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult:
        record, _ = self._record(
            kind="payout",
            idempotency_key=idempotency_key,
            amount_minor=amount_minor,
            currency=currency,
            status="in_transit",
        )
        return ProcessorResult(reference=record.reference, status="succeeded")

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEventData:
        verify_signature(
            body=body,
            header=headers.get(SANDBOX_SIGNATURE_HEADER, ""),
            secret=settings.BILLING_SANDBOX_WEBHOOK_SECRET,
            tolerance=settings.BILLING_WEBHOOK_TOLERANCE_SECONDS,
        )
        return _parse_event(body)


def _parse_event(body: bytes) -> WebhookEventData:
    try:
        payload = json.loads(body)
        event = WebhookEventData(
            event_id=str(payload["id"]), type=str(payload["type"]), data=dict(payload["data"])
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejected("Malformed event.", code="webhook_malformed") from exc
    if not event.event_id or len(event.event_id) > 100:
        raise WebhookRejected("Malformed event id.", code="webhook_malformed")
    return event


def sandbox_event_build(
    *, type: str, data: dict[str, Any], event_id: str | None = None, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """A signed sandbox webhook delivery: (body, headers), as the sandbox sends it."""
    body = json.dumps(
        {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": type, "data": data}, separators=(",", ":")
    ).encode()
    header = sign(body=body, secret=settings.BILLING_SANDBOX_WEBHOOK_SECRET, timestamp=timestamp)
    return body, {SANDBOX_SIGNATURE_HEADER: header}


def sandbox_event_schedule(*, type: str, data: dict[str, Any]) -> None:
    """Deliver a signed event asynchronously (a job, deferred in the current transaction)."""
    from fanclub.billing import tasks

    body, headers = sandbox_event_build(type=type, data=data)
    tasks.sandbox_webhook_deliver_task.defer(body=body.decode(), signature=headers[SANDBOX_SIGNATURE_HEADER])


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(int(c) for c in reversed(number)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


# --- Stripe -----------------------------------------------------------------------------------------
class StripeProcessor:
    """Stripe through stripe-python; webhooks verified with the endpoint's signing secret."""

    name = "stripe"

    def _client(self) -> Any:
        import stripe

        return stripe.StripeClient(settings.STRIPE_SECRET_KEY)

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        import stripe

        try:
            intent = self._client().payment_intents.create(
                params={
                    "amount": amount_minor,
                    "currency": currency.lower(),
                    "payment_method": token,
                    "confirm": True,
                    "off_session": True,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            return ProcessorResult(reference="", status="declined", decline_code=exc.code or "card_declined")
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise ProcessorRetryable(str(exc)) from exc
        return ProcessorResult(reference=intent.id, status="succeeded")

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        refund = self._client().refunds.create(
            params={"payment_intent": reference, "amount": amount_minor},
            options={"idempotency_key": idempotency_key},
        )
        return ProcessorResult(reference=refund.id, status="succeeded")

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult:
        payout = self._client().payouts.create(
            params={"amount": amount_minor, "currency": currency.lower()},
            options={"idempotency_key": idempotency_key},
        )
        return ProcessorResult(reference=payout.id, status="succeeded")

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEventData:
        import stripe

        try:
            stripe.WebhookSignature.verify_header(
                body.decode(),
                headers.get("Stripe-Signature", ""),
                settings.STRIPE_WEBHOOK_SECRET,
                settings.BILLING_WEBHOOK_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(str(exc), code="webhook_bad_signature") from exc
        payload = _parse_event(body)
        obj = payload.data.get("object", {})
        # Map Stripe's objects onto our event vocabulary.
        mapped = {
            "charge.dispute.created": (
                "charge.disputed",
                {"reference": obj.get("payment_intent"), "amountMinor": obj.get("amount")},
            ),
            "payout.paid": ("payout.paid", {"reference": obj.get("id")}),
            "payout.failed": ("payout.failed", {"reference": obj.get("id")}),
        }.get(payload.type)
        if mapped is None:
            return WebhookEventData(event_id=payload.event_id, type=payload.type, data={})
        return WebhookEventData(event_id=payload.event_id, type=mapped[0], data=mapped[1])


PROCESSORS: dict[str, type[SandboxProcessor] | type[StripeProcessor]] = {
    "sandbox": SandboxProcessor,
    "stripe": StripeProcessor,
}


def processor_named(name: str) -> Processor:
    if name not in PROCESSORS:
        raise ApiError("Unknown payment processor.", status=404, code="not_found")
    return PROCESSORS[name]()


def current_processor() -> Processor:
    return processor_named(settings.BILLING_PROCESSOR)
