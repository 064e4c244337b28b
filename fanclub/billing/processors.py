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
from django.db import connection

from fanclub.billing.models import SandboxRecord
from fanclub.core.errors import ApiError


class PaymentFailed(ApiError):
    status = 402
    code = "card_declined"


class WebhookRejected(ApiError):
    status = 400
    code = "webhook_rejected"


class ProcessorRetryable(Exception):
    """A transient processor failure: the same call with the same idempotency key may succeed.

    ``maybe_charged``: the request reached the processor and its outcome is unknown (a 5xx, a
    timeout while waiting for the answer). Retrying is safe only with a processor that honours
    idempotency keys (``Processor.idempotent_charges``)."""

    def __init__(self, message: str, *, maybe_charged: bool = False) -> None:
        super().__init__(message)
        self.maybe_charged = maybe_charged


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
    # Does a repeated charge with the same idempotency key charge at most once?
    idempotent_charges: bool

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult: ...

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult: ...

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult: ...

    def verify_webhook(
        self,
        *,
        body: bytes,
        headers: dict[str, str],
        remote_addr: str = "",
        params: dict[str, str] | None = None,
    ) -> WebhookEventData: ...


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
    idempotent_charges = True

    def _record(
        self, *, kind: str, idempotency_key: str, amount_minor: int, currency: str, status: str
    ) -> tuple[SandboxRecord, bool]:
        key = f"{kind}:{idempotency_key}"
        reference = f"sb_{kind[:2]}_{uuid.uuid4().hex[:20]}"
        # One statement, no savepoint: the unique key decides who created the record.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_sandboxrecord (idempotency_key, reference, kind, amount_minor, "
                "currency, status, attempts, created_at) VALUES (%s, %s, %s, %s, %s, %s, 1, now()) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                [key, reference, kind, amount_minor, currency, status],
            )
            row = cursor.fetchone()
        if row is not None:
            return (
                SandboxRecord(
                    pk=row[0],
                    idempotency_key=key,
                    reference=reference,
                    kind=kind,
                    amount_minor=amount_minor,
                    currency=currency,
                    status=status,
                    attempts=1,
                ),
                True,
            )
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

    def verify_webhook(
        self,
        *,
        body: bytes,
        headers: dict[str, str],
        remote_addr: str = "",
        params: dict[str, str] | None = None,
    ) -> WebhookEventData:
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
    idempotent_charges = True  # Stripe's Idempotency-Key

    def _client(self) -> Any:
        import stripe

        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}
        )

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        import stripe

        try:
            intent = self._client().v1.payment_intents.create(
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
            # The specific reason (insufficient_funds...) is the decline code; ``code`` is only
            # "card_declined" (or "expired_card"...), the same vocabulary as the sandbox's.
            decline_code = getattr(exc.error, "decline_code", None) or exc.code or "card_declined"
            return ProcessorResult(reference="", status="declined", decline_code=decline_code)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise ProcessorRetryable(str(exc)) from exc
        except stripe.APIError as exc:
            # A 5xx: Stripe's advice is to retry with the same idempotency key.
            if (exc.http_status or 500) >= 500:
                raise ProcessorRetryable(str(exc)) from exc
            raise
        if intent.status != "succeeded":
            # Off-session and confirmed, anything else (requires_action, requires_payment_method,
            # processing) has not taken the money: booking it would credit the creator for nothing.
            return ProcessorResult(reference=intent.id, status="declined", decline_code=str(intent.status))
        return ProcessorResult(reference=intent.id, status="succeeded")

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        refund = self._client().v1.refunds.create(
            params={"payment_intent": reference, "amount": amount_minor},
            options={"idempotency_key": idempotency_key},
        )
        return ProcessorResult(reference=refund.id, status="succeeded")

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult:
        payout = self._client().v1.payouts.create(
            params={"amount": amount_minor, "currency": currency.lower()},
            options={"idempotency_key": idempotency_key},
        )
        return ProcessorResult(reference=payout.id, status="succeeded")

    def verify_webhook(
        self,
        *,
        body: bytes,
        headers: dict[str, str],
        remote_addr: str = "",
        params: dict[str, str] | None = None,
    ) -> WebhookEventData:
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


# --- CCBill -----------------------------------------------------------------------------------------
CCBILL_CURRENCIES = {"840": "USD", "978": "EUR", "826": "GBP", "124": "CAD", "036": "AUD", "392": "JPY"}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})


def ccbill_digest(*, subscription_id: str, approved: bool, salt: str) -> str:
    """CCBill's validation digest of a sale: MD5 hex of subscriptionId + "1" (approved) or "0"
    (denied) + the merchant's salt (the ``dynamicPricingValidationDigest`` of NewSaleSuccess)."""
    return hashlib.md5(f"{subscription_id}{1 if approved else 0}{salt}".encode()).hexdigest()  # noqa: S324


def ccbill_form_digest(*, initial_price: str, initial_period: int, currency_code: str, salt: str) -> str:
    """``formDigest`` of a single-billing FlexForms dynamic price: MD5 of
    initialPrice + initialPeriod + currencyCode + salt (CCBill's documented order)."""
    return hashlib.md5(f"{initial_price}{initial_period}{currency_code}{salt}".encode()).hexdigest()  # noqa: S324


def _major_to_minor(amount: str, currency: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise WebhookRejected("Malformed amount.", code="webhook_malformed") from exc
    scale = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    minor = value * scale
    if minor != minor.to_integral_value() or minor < 0:
        raise WebhookRejected("Malformed amount.", code="webhook_malformed")
    return int(minor)


def _minor_to_major(amount_minor: int, currency: str) -> str:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return str(amount_minor)
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


class CCBillProcessor:
    """CCBill: charges through the RESTful Transaction API (a payment token from CCBill's FlexForm
    or widget, OAuth client credentials), events through CCBill Webhooks.

    CCBill webhooks carry no HMAC: they are accepted only from CCBill's networks
    (CCBILL_WEBHOOK_ALLOWED_IPS), for our own account and subaccount, and a sale must carry the
    MD5 validation digest keyed with our salt. CCBill sends no event id, so the id is
    eventType + transactionId (+ subscriptionId): a redelivery is the same event. Outbound calls
    go to CCBILL_API_BASE (tests point it at a local stand-in, test_processors_outbound.py).
    """

    name = "ccbill"
    # CCBill's charge API takes no idempotency key (ours only travels as pass-through information).
    idempotent_charges = False

    def _token(self) -> str:
        import httpx

        try:
            response = httpx.post(
                f"{settings.CCBILL_API_BASE}/ccbill-auth/oauth/token",
                auth=(settings.CCBILL_API_CLIENT_ID, settings.CCBILL_API_CLIENT_SECRET),
                data={"grant_type": "client_credentials"},
                timeout=15,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ProcessorRetryable(f"ccbill: token: {exc}") from exc
        return str(response.json()["access_token"])

    def charge(
        self, *, token: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        import httpx

        codes = {value: key for key, value in CCBILL_CURRENCIES.items()}
        if currency not in codes:
            return ProcessorResult(reference="", status="declined", decline_code="currency_not_supported")
        try:
            response = httpx.post(
                f"{settings.CCBILL_API_BASE}/transactions/payment-tokens/{token}",
                headers={
                    "Authorization": f"Bearer {self._token()}",
                    "Accept": "application/vnd.mcn.transaction-service.api.v.2+json",
                },
                json={
                    "clientAccnum": int(settings.CCBILL_CLIENT_ACCNUM),
                    "clientSubacc": int(settings.CCBILL_CLIENT_SUBACC),
                    "initialPrice": float(_minor_to_major(amount_minor, currency)),
                    "initialPeriod": 30,
                    "currencyCode": int(codes[currency]),
                    "passThroughInfo": [{"name": "X-idempotencyKey", "value": idempotency_key}],
                },
                timeout=30,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached CCBill
            raise ProcessorRetryable(f"ccbill: charge: {exc}") from exc
        except httpx.HTTPError as exc:  # sent: CCBill may have charged
            raise ProcessorRetryable(f"ccbill: charge: {exc}", maybe_charged=True) from exc
        if response.status_code >= 500:
            raise ProcessorRetryable(f"ccbill: charge: HTTP {response.status_code}", maybe_charged=True)
        body = response.json() if response.content else {}
        if response.status_code >= 400 or not body.get("approved"):
            return ProcessorResult(
                reference="", status="declined", decline_code=str(body.get("declineCode") or "card_declined")
            )
        return ProcessorResult(
            reference=str(body.get("paymentUniqueId") or body["subscriptionId"]), status="succeeded"
        )

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> ProcessorResult:
        # CCBill refunds through its admin or DataLink; the Refund webhook then books it here.
        raise ApiError(
            "Refunds of CCBill payments are issued in the CCBill admin; its Refund webhook books them here.",
            status=409,
            code="refund_at_processor",
        )

    def payout(self, *, amount_minor: int, currency: str, idempotency_key: str) -> ProcessorResult:
        raise ApiError(
            "CCBill does not pay out to creators; configure a payout processor.",
            status=501,
            code="payouts_unsupported",
        )

    def verify_webhook(
        self,
        *,
        body: bytes,
        headers: dict[str, str],
        remote_addr: str = "",
        params: dict[str, str] | None = None,
    ) -> WebhookEventData:
        import ipaddress
        from urllib.parse import parse_qsl

        allowed = [n.strip() for n in settings.CCBILL_WEBHOOK_ALLOWED_IPS.split(",") if n.strip()]
        try:
            address = ipaddress.ip_address(remote_addr)
            networks = [ipaddress.ip_network(n, strict=False) for n in allowed]
        except ValueError as exc:
            raise WebhookRejected("The sender is not CCBill.", code="webhook_bad_signature") from exc
        if not any(address in network for network in networks):
            raise WebhookRejected("The sender is not CCBill.", code="webhook_bad_signature")
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        try:
            if "json" in content_type:
                fields = {str(k): str(v) for k, v in json.loads(body).items()}
            else:
                fields = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
        except (ValueError, AttributeError, UnicodeDecodeError) as exc:
            raise WebhookRejected("Malformed event.", code="webhook_malformed") from exc
        event_type = (params or {}).get("eventType") or fields.get("eventType", "")
        if (
            fields.get("clientAccnum") != settings.CCBILL_CLIENT_ACCNUM
            or fields.get("clientSubacc") != settings.CCBILL_CLIENT_SUBACC
        ):
            raise WebhookRejected("The event is not for this merchant account.", code="webhook_bad_signature")
        transaction_id = fields.get("transactionId", "")
        subscription_id = fields.get("subscriptionId", "")
        if not event_type or not (transaction_id or subscription_id):
            raise WebhookRejected("Malformed event.", code="webhook_malformed")
        if event_type in ("NewSaleSuccess", "NewSaleFailure"):
            expected = ccbill_digest(
                subscription_id=subscription_id,
                approved=event_type == "NewSaleSuccess",
                salt=settings.CCBILL_SALT,
            )
            if not hmac.compare_digest(expected, fields.get("dynamicPricingValidationDigest", "")):
                raise WebhookRejected("The validation digest does not match.", code="webhook_bad_signature")
        event_id = f"{event_type}:{transaction_id}:{subscription_id}"[:100]
        reference = transaction_id or subscription_id
        if event_type in ("Refund", "Chargeback", "Void"):
            currency = CCBILL_CURRENCIES.get(fields.get("currencyCode", ""), "")
            if not currency:
                raise WebhookRejected("Unknown currency.", code="webhook_malformed")
            data: dict[str, Any] = {
                "reference": reference,
                "amountMinor": _major_to_minor(fields.get("amount", ""), currency),
                "currency": currency,
            }
            mapped = "charge.disputed" if event_type == "Chargeback" else "charge.refunded"
            return WebhookEventData(event_id=event_id, type=mapped, data=data)
        # Sales and renewals: our charges are booked when the charge call returns; CCBill's own
        # report of them is kept for reconciliation.
        return WebhookEventData(
            event_id=event_id,
            type=f"ccbill.{event_type}"[:60],
            data={"reference": reference, "subscriptionId": subscription_id},
        )


PROCESSORS: dict[str, type[SandboxProcessor] | type[StripeProcessor] | type[CCBillProcessor]] = {
    "sandbox": SandboxProcessor,
    "stripe": StripeProcessor,
    "ccbill": CCBillProcessor,
}


def processor_named(name: str) -> Processor:
    if name not in PROCESSORS:
        raise ApiError("Unknown payment processor.", status=404, code="not_found")
    return PROCESSORS[name]()


def current_processor() -> Processor:
    return processor_named(settings.BILLING_PROCESSOR)
