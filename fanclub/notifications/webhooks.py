"""The email provider's delivery-status webhook: django-anymail's tracking view for the configured ESP.

Mounted at ``/hooks/email/<esp>/tracking/`` only when ``EMAIL_URL=anymail://<esp>`` names an ESP
with a tracking webhook (``config.options.ANYMAIL_TRACKING_WEBHOOKS``). anymail checks basic auth
(``EMAIL_WEBHOOK_SECRET``) and the ESP's signature, parses the ESP's payload and sends
``anymail.signals.tracking`` once per event; ``tracking_received`` maps each event to an
``EmailOutcome`` and hands it to ``services.email_delivery_event_record``. The whole request is one
transaction: a batch is stored completely or not at all (and the ESP retries it). See
docs/notifications.md "Delivery status".
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.module_loading import import_string

from config.options import ANYMAIL_TRACKING_WEBHOOKS
from fanclub.notifications import services
from fanclub.notifications.constants import EmailOutcome

logger = logging.getLogger("fanclub.notifications")


class MalformedPayload(Exception):
    """anymail could not parse the ESP's body (not JSON, wrong shape)."""


class _Guarded:
    """Mixed in before anymail's view: one transaction per request, a 400 for unparseable bodies.

    anymail turns failed authentication into a 400 itself (SuspiciousOperation); a body it cannot
    parse would otherwise be a 500, which ESPs retry for days."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            return list(super().parse_events(request))  # type: ignore[misc]
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedPayload(type(exc).__name__) from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                response: HttpResponse = super().post(request, *args, **kwargs)  # type: ignore[misc]
                return response
        except MalformedPayload as exc:
            logger.warning("email webhook: malformed payload", extra={"error": str(exc)})
            return HttpResponse("Malformed payload.", status=400, content_type="text/plain")


def tracking_view_class(esp: str) -> type:
    """anymail's tracking view for ``esp`` with the guard mixed in."""
    view_name = ANYMAIL_TRACKING_WEBHOOKS[esp][0]
    base = import_string(f"anymail.webhooks.{esp}.{view_name}")
    return type(f"Fanclub{view_name}", (_Guarded, base), {})


def tracking_urlpatterns(*, esp: str) -> list[URLPattern]:
    """``hooks/email/<esp>/tracking/`` for an ESP with a tracking webhook; nothing otherwise."""
    if esp not in ANYMAIL_TRACKING_WEBHOOKS:
        return []
    view = tracking_view_class(esp).as_view()  # type: ignore[attr-defined]
    return [path(f"hooks/email/{esp}/tracking/", view, name="email-tracking-webhook")]


# --- Events -> outcomes ---------------------------------------------------------------------------
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sparkpost_bounce_class(esp_event: Any) -> str:
    for event in _dict(_dict(esp_event).get("msys")).values():
        return str(_dict(event).get("bounce_class", ""))
    return ""


# anymail normalizes some ESPs' soft bounces to "bounced"; their raw event says which it was.
_SOFT_BOUNCE: dict[str, Any] = {
    "Postmark": lambda e: _dict(e).get("Type") == "SoftBounce",
    "Brevo": lambda e: _dict(e).get("event") == "soft_bounce",
    "SendinBlue": lambda e: _dict(e).get("event") == "soft_bounce",
    "Mandrill": lambda e: _dict(e).get("event") == "soft_bounce",
    "MailerSend": lambda e: _dict(_dict(e).get("data")).get("type") == "soft_bounced",
    "Mailjet": lambda e: not _dict(e).get("hard_bounce", True),
    "Amazon SES": lambda e: _dict(_dict(e).get("bounce")).get("bounceType") != "Permanent",
    "SparkPost": lambda e: _sparkpost_bounce_class(e) not in ("10", "30"),  # invalid / no such mailbox
}
# Reasons that say nothing about the address itself (the receiver's or the ESP's policy, our
# sending domain, a timeout): counted like soft bounces instead of suppressing at once.
_NOT_THE_ADDRESS = {RejectReason.BLOCKED, RejectReason.TIMED_OUT, RejectReason.OTHER, None}
_TRANSIENT_BOUNCE = {RejectReason.BLOCKED, RejectReason.TIMED_OUT}


def event_outcome(*, esp_name: str, event: AnymailTrackingEvent) -> str | None:
    """The EmailOutcome of one anymail tracking event, or None for events we do not act on."""
    event_type, reason = event.event_type, event.reject_reason
    if event_type == EventType.COMPLAINED:
        return EmailOutcome.COMPLAINT
    if event_type == EventType.UNSUBSCRIBED:
        return EmailOutcome.UNSUBSCRIBED
    if event_type == EventType.DELIVERED:
        return EmailOutcome.DELIVERED
    if event_type == EventType.DEFERRED:
        return EmailOutcome.SOFT_BOUNCE
    if event_type == EventType.REJECTED:
        return EmailOutcome.SOFT_BOUNCE if reason in _NOT_THE_ADDRESS else EmailOutcome.REJECTED
    if event_type == EventType.BOUNCED:
        soft = _SOFT_BOUNCE.get(esp_name)
        if (soft is not None and soft(event.esp_event)) or reason in _TRANSIENT_BOUNCE:
            return EmailOutcome.SOFT_BOUNCE
        return EmailOutcome.HARD_BOUNCE
    return None


def _event_key(event: AnymailTrackingEvent) -> str:
    """The ESP's event id; a hash of the raw event for ESPs that send none (a retry repeats it)."""
    if event.event_id:
        return str(event.event_id)
    try:
        raw = json.dumps(event.esp_event, sort_keys=True, default=str)
    except (TypeError, ValueError):
        raw = repr(event.esp_event)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def tracking_received(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Receiver of ``anymail.signals.tracking`` (connected in apps.py): map, then one service call."""
    outcome = event_outcome(esp_name=esp_name, event=event)
    if outcome is None:
        return
    if not isinstance(event.recipient, str) or "@" not in event.recipient:
        logger.warning("email webhook: event without recipient", extra={"esp": esp_name, "outcome": outcome})
        return
    description = " ".join(str(part) for part in (event.description, event.mta_response) if part)
    timestamp = event.timestamp if isinstance(event.timestamp, datetime) and event.timestamp.tzinfo else None
    services.email_delivery_event_record(
        esp=esp_name,
        event_id=_event_key(event),
        outcome=outcome,
        email=event.recipient,
        occurred_at=timestamp,
        message_id=str(event.message_id or ""),
        reject_reason=str(event.reject_reason or ""),
        description=description,
    )
