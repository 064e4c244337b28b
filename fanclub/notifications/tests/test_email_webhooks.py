"""Delivery status from the email provider: anymail's real Postmark tracking view over HTTP.

Postmark's webhook is secured by HTTP basic auth only and posts one JSON event per request, so it
can be forged locally exactly as Postmark sends it. Email goes out through anymail's test backend.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from anymail.signals import AnymailTrackingEvent
from django.core import mail
from django.test import Client
from django.utils import timezone

from fanclub.notifications import constants as k
from fanclub.notifications import delivery, services, webhooks
from fanclub.notifications.models import EmailDeliveryEvent, EmailSettings, EmailSuppression

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fanclub.notifications.tests.webhook_urls")]

URL = "/hooks/email/postmark/tracking/"
SECRET = "postmark:wh-0123456789abcdef"


@pytest.fixture(autouse=True)
def anymail_postmark(settings: Any) -> None:
    """EMAIL_URL=anymail://test for sending; the Postmark webhook with EMAIL_WEBHOOK_SECRET."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET]}


def _auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _post(payload: Any, *, secret: str | None = SECRET, client: Client | None = None) -> Any:
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    headers = _auth(secret) if secret is not None else {}
    return (client or Client()).post(URL, body, content_type="application/json", **headers)


def bounce(email: str, *, event_id: int = 1001, type_: str = "HardBounce", message_id: str = "m-1") -> dict:
    """A Postmark bounce webhook body (fields as Postmark documents them)."""
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": type_,
        "TypeCode": 1 if type_ == "HardBounce" else 4096,
        "Name": "Hard bounce" if type_ == "HardBounce" else "Soft bounce",
        "MessageID": message_id,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "noreply@fans.example",
        "BouncedAt": "2026-11-25T16:33:54.9070259Z",
        "MessageStream": "outbound",
    }


def complaint(email: str, *, event_id: int = 2001) -> dict:
    return {**bounce(email, event_id=event_id), "Type": "SpamComplaint", "TypeCode": 512}


def delivered(email: str, *, message_id: str = "m-9") -> dict:
    return {
        "RecordType": "Delivery",
        "MessageID": message_id,
        "Recipient": email,
        "DeliveredAt": "2026-11-25T17:00:00Z",
        "Details": "Test delivery webhook details",
        "MessageStream": "outbound",
    }


def _tip_email(recipient: Any, actor: Any) -> int:
    """What notification_deliver_task runs for a tip notice by email."""
    return delivery.email_send(
        kind=k.TIP_RECEIVED,
        actor_id=actor.pk,
        data={"amount_minor": 1250, "currency": "usd"},
        recipient_ids=[recipient.pk],
    )


def _suppressions() -> list[tuple[str, str, int]]:
    return list(
        EmailSuppression.objects.filter(suppressed_at__isnull=False)
        .order_by("email")
        .values_list("email", "reason", "soft_bounces")
    )


def test_a_hard_bounce_stops_the_next_notification_email_with_a_logged_reason(make_user, caplog):
    lena, fan, other = make_user(handle="lena"), make_user(handle="fan"), make_user(handle="other")
    assert _tip_email(lena, fan) == 1
    (sent,) = mail.outbox
    assert sent.anymail_status.status == {"sent"}
    mail.outbox.clear()

    response = _post(bounce("Lena@Example.com", message_id="883953f4-6105-42a2-a16a-77a8eac79483"))

    assert response.status_code == 200
    (event,) = EmailDeliveryEvent.objects.all()
    assert (event.esp, event.event_id, event.outcome, event.email) == (
        "Postmark",
        "1001",
        "hard_bounce",
        "lena@example.com",
    )
    assert event.message_id == "883953f4-6105-42a2-a16a-77a8eac79483"
    assert event.occurred_at.isoformat().startswith("2026-11-25T16:33:54")
    assert event.description.startswith("The server was unable to deliver your message")
    assert _suppressions() == [("lena@example.com", "hard_bounce", 0)]

    with caplog.at_level(logging.INFO, logger="fanclub.notifications"):
        assert _tip_email(lena, fan) == 0  # skipped, not an error: the job succeeds
    assert mail.outbox == []
    (record,) = [r for r in caplog.records if r.message == "notification email skipped: address suppressed"]
    assert (record.user_id, record.reason, record.kind) == (lena.pk, "hard_bounce", k.TIP_RECEIVED)

    assert _tip_email(other, fan) == 1  # only that address is stopped
    assert [m.to for m in mail.outbox] == [["other@example.com"]]


def test_the_job_skips_a_suppressed_address_among_several_recipients(make_user):
    a, b, fan = make_user(handle="a"), make_user(handle="b"), make_user(handle="fan")
    _post(bounce("b@example.com"))

    sent = delivery.email_send(kind=k.TIP_RECEIVED, actor_id=fan.pk, data={}, recipient_ids=[a.pk, b.pk])

    assert sent == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_a_retried_event_is_stored_once(make_user):
    for _ in range(3):
        assert _post(bounce("lena@example.com", event_id=77)).status_code == 200
    assert _post(bounce("lena@example.com", event_id=78)).status_code == 200

    assert sorted(EmailDeliveryEvent.objects.values_list("event_id", flat=True)) == ["77", "78"]
    assert EmailSuppression.objects.count() == 1


@pytest.mark.parametrize(
    "secret", [None, "postmark:wrong-password-000", "other:wh-0123456789abcdef", "postmark:"]
)
def test_missing_or_wrong_basic_auth_is_rejected_and_changes_nothing(make_user, secret):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")

    response = _post(bounce("lena@example.com"), secret=secret)

    assert response.status_code == 400  # anymail answers failed webhook auth with 400 (SuspiciousOperation)
    assert EmailDeliveryEvent.objects.count() == 0
    assert EmailSuppression.objects.count() == 0
    assert _tip_email(lena, fan) == 1


def test_the_webhook_takes_only_post(make_user):
    assert Client().get(URL, **_auth()).status_code == 405
    assert Client().head(URL, **_auth()).status_code == 200  # ESPs probe the URL with HEAD


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "[1, 2]",
        "null",
        '"Bounce"',
        json.dumps({**bounce("lena@example.com"), "BouncedAt": 12}),
    ],
)
def test_a_malformed_payload_is_a_400_and_writes_nothing(make_user, body):
    response = _post(body)

    assert response.status_code == 400
    assert response.content == b"Malformed payload."
    assert EmailDeliveryEvent.objects.count() == 0
    assert EmailSuppression.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"RecordType": "Bounce", "Type": "HardBounce", "ID": 5},  # no address
        {**bounce("lena@example.com"), "Email": "not-an-address"},
        {"RecordType": "Open", "Recipient": "lena@example.com", "MessageID": "m-1"},  # not about delivery
        {"RecordType": "SomethingNew", "Email": "lena@example.com"},
    ],
)
def test_events_we_cannot_use_are_acknowledged_and_ignored(make_user, payload):
    response = _post(payload)

    assert response.status_code == 200  # Postmark would retry anything else for hours
    assert EmailDeliveryEvent.objects.count() == 0
    assert EmailSuppression.objects.count() == 0


def test_a_request_is_one_transaction_so_a_failing_event_leaves_no_half_write(make_user, monkeypatch):
    """The second write of the request fails: the first one is rolled back with it (500; ESP retries)."""
    real = services.email_delivery_event_record
    calls: list[str] = []

    def record_then_fail(**kwargs: Any) -> bool:
        calls.append(kwargs["email"])
        real(**kwargs)
        raise RuntimeError("database went away after the write")

    monkeypatch.setattr(services, "email_delivery_event_record", record_then_fail)
    client = Client(raise_request_exception=False)

    response = _post(bounce("lena@example.com"), client=client)

    assert response.status_code == 500
    assert calls == ["lena@example.com"]
    assert EmailDeliveryEvent.objects.count() == 0
    assert EmailSuppression.objects.count() == 0


def test_a_spam_complaint_suppresses(make_user):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")

    assert _post(complaint("lena@example.com")).status_code == 200

    assert _suppressions() == [("lena@example.com", "complaint", 0)]
    assert _tip_email(lena, fan) == 0


def test_an_unsubscribe_at_the_provider_suppresses(make_user):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": "m-3",
        "ChangedAt": "2026-11-25T18:00:00Z",
        "Recipient": "lena@example.com",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }

    assert _post(change).status_code == 200

    assert _suppressions() == [("lena@example.com", "unsubscribed", 0)]
    assert _tip_email(lena, fan) == 0


def test_soft_bounces_below_the_limit_do_not_suppress_and_a_delivery_resets_the_count(make_user):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")
    assert k.EMAIL_SOFT_BOUNCE_LIMIT == 3
    _post(bounce("lena@example.com", event_id=1, type_="SoftBounce", message_id="m-1"))
    _post(bounce("lena@example.com", event_id=2, type_="Transient", message_id="m-1"))  # same message again
    _post(bounce("lena@example.com", event_id=3, type_="SoftBounce", message_id="m-2"))

    row = EmailSuppression.objects.get(email="lena@example.com")
    assert (row.soft_bounces, row.suppressed_at) == (2, None)
    assert EmailDeliveryEvent.objects.filter(outcome="soft_bounce").count() == 3
    assert _tip_email(lena, fan) == 1

    _post(delivered("lena@example.com"))
    row.refresh_from_db()
    assert (row.soft_bounces, row.suppressed_at) == (0, None)
    assert EmailDeliveryEvent.objects.filter(outcome="delivered").count() == 0  # deliveries are not kept

    for n in range(3):
        _post(bounce("lena@example.com", event_id=10 + n, type_="SoftBounce", message_id=f"m-{10 + n}"))
    assert _suppressions() == [("lena@example.com", "soft_bounces", 3)]
    mail.outbox.clear()
    assert _tip_email(lena, fan) == 0


def test_the_digest_is_not_sent_to_a_suppressed_address(make_user):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")
    services.preferences_update(user_id=lena.pk, preferences={}, digest=True)
    services.notify(recipient_id=lena.pk, kind=k.NEW_FOLLOWER, actor_id=fan.pk)
    services.preferences_update(user_id=lena.pk, preferences={k.NEW_FOLLOWER: {"email": True}})
    _post(bounce("lena@example.com"))

    assert delivery.digest_send(user_id=lena.pk) is False

    assert mail.outbox == []
    assert EmailSettings.objects.get(user_id=lena.pk).last_digest_at is not None


def test_the_journey_bounce_settings_page_re_enable(make_user):
    """Email bounces -> the user sees why on their settings page -> re-enables -> email flows again."""
    lena, fan = make_user(handle="lena"), make_user(handle="fan")
    browser = Client()
    browser.force_login(lena)
    page = browser.get("/settings/notifications/")
    assert page.status_code == 200
    assert b"data-email-suppressed" not in page.content

    _post(bounce("lena@example.com", event_id=501))

    page = browser.get("/settings/notifications/")
    assert b"data-email-suppressed" in page.content
    assert b"Email to lena@example.com is stopped" in page.content
    assert b"on 25 November 2026 because the address bounced." in page.content
    assert _tip_email(lena, fan) == 0

    # Someone else cannot re-enable it for her (the view acts on the caller's own address only).
    intruder = Client()
    intruder.force_login(fan)
    assert intruder.post("/settings/notifications/email/resume/").status_code == 302
    assert _suppressions() == [("lena@example.com", "hard_bounce", 0)]
    assert Client().post("/settings/notifications/email/resume/").status_code == 302  # to sign-in
    assert _suppressions() == [("lena@example.com", "hard_bounce", 0)]

    response = browser.post("/settings/notifications/email/resume/", follow=True)
    assert response.redirect_chain == [("/settings/notifications/", 302)]
    assert b"Email notifications are on again for your address." in response.content
    assert b"data-email-suppressed" not in response.content
    assert _suppressions() == []
    assert _tip_email(lena, fan) == 1

    # Postmark retrying the old bounce, or a bounce from before she re-enabled arriving late, changes
    # nothing; a new bounce stops email again.
    assert _post(bounce("lena@example.com", event_id=501)).status_code == 200
    assert _post(bounce("lena@example.com", event_id=502)).status_code == 200  # BouncedAt is in the past
    assert _suppressions() == []
    later = (timezone.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert _post({**bounce("lena@example.com", event_id=503), "BouncedAt": later}).status_code == 200
    assert _suppressions() == [("lena@example.com", "hard_bounce", 0)]


def test_a_new_email_address_is_not_held_back_by_the_old_ones_bounces(make_user):
    lena, fan = make_user(handle="lena"), make_user(handle="fan")
    _post(bounce("lena@example.com"))
    assert _tip_email(lena, fan) == 0

    lena.email = "lena@new.example"
    lena.save(update_fields=["email"])

    assert _tip_email(lena, fan) == 1
    assert [m.to for m in mail.outbox] == [["lena@new.example"]]


# --- Refused while sending: anymail's real Postmark backend against a local Postmark API ---------------
class PostmarkApi:
    """POST /email as Postmark answers it: 200 for a good address, 422 ErrorCode 406 for an inactive one."""

    def __init__(self, inactive: set[str]) -> None:
        self.sent_to: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                to = payload["To"]
                api.sent_to.append(to)
                if to in inactive:
                    status, body = (
                        422,
                        {
                            "ErrorCode": 406,
                            "Message": "You tried to send to recipient(s) that have been marked as inactive. "
                            f"Found inactive addresses: {to}. Inactive recipients are ones that have "
                            "generated a hard bounce, a spam complaint, or a manual suppression.",
                        },
                    )
                else:
                    status, body = (
                        200,
                        {
                            "To": to,
                            "SubmittedAt": "2026-11-25T12:00:00Z",
                            "MessageID": f"pm-{len(api.sent_to)}",
                            "ErrorCode": 0,
                            "Message": "OK",
                        },
                    )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def postmark_api(settings: Any) -> Iterator[PostmarkApi]:
    api = PostmarkApi(inactive={"lena@example.com"})
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "POSTMARK_API_URL": api.url}
    yield api
    api.stop()


def test_an_address_the_provider_refuses_when_sending_is_recorded_and_the_job_does_not_fail(
    make_user, postmark_api
):
    lena, other, fan = make_user(handle="lena"), make_user(handle="other"), make_user(handle="fan")

    sent = delivery.email_send(
        kind=k.TIP_RECEIVED, actor_id=fan.pk, data={}, recipient_ids=[lena.pk, other.pk]
    )

    assert sent == 1
    assert sorted(postmark_api.sent_to) == ["lena@example.com", "other@example.com"]
    (event,) = EmailDeliveryEvent.objects.all()
    assert (event.esp, event.outcome, event.email, event.reject_reason) == (
        "Postmark",
        "rejected",
        "lena@example.com",
        "rejected",
    )
    assert _suppressions() == [("lena@example.com", "rejected", 0)]

    postmark_api.sent_to.clear()
    assert delivery.email_send(kind=k.TIP_RECEIVED, actor_id=fan.pk, data={}, recipient_ids=[lena.pk]) == 0
    assert postmark_api.sent_to == []  # not even asked


# --- Mapping anymail's normalized events (other ESPs) ------------------------------------------------
def _event(event_type: str, reject_reason: str | None = None, esp_event: Any = None) -> AnymailTrackingEvent:
    return AnymailTrackingEvent(event_type=event_type, reject_reason=reject_reason, esp_event=esp_event)


def _sparkpost(bounce_class: str) -> dict:
    return {"msys": {"message_event": {"type": "bounce", "bounce_class": bounce_class}}}


@pytest.mark.parametrize(
    ("esp_name", "event", "outcome"),
    [
        ("Postmark", _event("bounced", "bounced", {"Type": "HardBounce"}), "hard_bounce"),
        ("Postmark", _event("bounced", "bounced", {"Type": "SoftBounce"}), "soft_bounce"),
        ("Brevo", _event("bounced", "bounced", {"event": "hard_bounce"}), "hard_bounce"),
        ("Brevo", _event("bounced", "bounced", {"event": "soft_bounce"}), "soft_bounce"),
        ("Mailjet", _event("bounced", "bounced", {"hard_bounce": False}), "soft_bounce"),
        ("Mailjet", _event("bounced", "bounced", {"hard_bounce": True}), "hard_bounce"),
        ("Amazon SES", _event("bounced", "bounced", {"bounce": {"bounceType": "Permanent"}}), "hard_bounce"),
        ("Amazon SES", _event("bounced", "bounced", {"bounce": {"bounceType": "Transient"}}), "soft_bounce"),
        (
            "SparkPost",
            _event("bounced", "invalid", {"msys": {"message_event": {"bounce_class": "10"}}}),
            "hard_bounce",
        ),
        (
            "SparkPost",
            _event("bounced", "bounced", {"msys": {"message_event": {"bounce_class": "22"}}}),
            "soft_bounce",
        ),
        ("SendGrid", _event("bounced", "blocked", {"type": "blocked"}), "soft_bounce"),
        ("Mailgun", _event("bounced", "bounced", {}), "hard_bounce"),
        ("Mailgun", _event("deferred"), "soft_bounce"),
        ("Mailgun", _event("complained", "spam"), "complaint"),
        ("Mailgun", _event("rejected", "invalid"), "rejected"),
        ("Mailgun", _event("rejected", "bounced"), "rejected"),  # on the ESP's own suppression list
        (
            "Postmark",
            _event("rejected", "blocked"),
            "soft_bounce",
        ),  # a policy (e.g. our DMARC), not the address
        ("Mailgun", _event("unsubscribed", "unsubscribed"), "unsubscribed"),
        ("Mailgun", _event("delivered"), "delivered"),
        ("Mailgun", _event("opened"), None),
        ("Mailgun", _event("clicked"), None),
        ("Mailgun", _event("sent"), None),
        ("Mailgun", _event("failed"), None),  # our side could not send: says nothing about the address
    ],
)
def test_event_outcomes(esp_name, event, outcome):
    assert webhooks.event_outcome(esp_name=esp_name, event=event) == outcome
