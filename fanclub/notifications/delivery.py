"""Email and web push delivery of notifications (run by jobs, never in a request)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fanclub.integrations import outbound, webpush
from fanclub.notifications import constants as k
from fanclub.notifications import presenters, selectors, services
from fanclub.notifications.models import EmailSettings, Notification, PushSubscription

logger = logging.getLogger("fanclub.notifications")
User = get_user_model()


# --- Signed unsubscribe links ---------------------------------------------------------------------
def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed, non-expiring token naming one user and one kind ("digest" for the digest)."""
    return signing.dumps({"u": user_id, "k": kind}, salt=k.UNSUBSCRIBE_SALT, compress=False)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """(user id, kind) from a token; signing.BadSignature if it was forged or altered."""
    value = signing.loads(token, salt=k.UNSUBSCRIBE_SALT)
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        raise signing.BadSignature("malformed")
    kind = value.get("k")
    if kind not in (*k.KINDS, "digest"):
        raise signing.BadSignature("unknown kind")
    return int(value["u"]), str(kind)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    return absolute(
        reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])
    )


def _message(
    *, user: Any, subject: str, template: str, context: dict[str, Any], kind: str
) -> EmailMultiAlternatives:
    link = unsubscribe_url(user_id=user.pk, kind=kind)
    context = {
        **context,
        "user": user,
        "unsubscribe_url": link,
        "settings_url": absolute(reverse("notifications:settings")),
        "site_name": "Fanclub",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        to=[user.email],
        headers={
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message


def _actor_name(actor_id: int | None) -> tuple[str, str]:
    if actor_id is None:
        return "", ""
    actor = User.objects.filter(pk=actor_id).only("handle", "display_name").first()
    if actor is None:
        return "", ""
    return actor.display_name or actor.handle, actor.handle


def _log_suppressed(*, user_id: int, reason: str, kind: str) -> None:
    """A skipped email is not an error: the provider told us the address does not take mail."""
    logger.info(
        "notification email skipped: address suppressed",
        extra={"user_id": user_id, "reason": reason, "kind": kind},
    )


def email_send(*, kind: str, actor_id: int | None, data: dict[str, Any], recipient_ids: list[int]) -> int:
    """Send one email per recipient whose preference still has email on for ``kind``. Returns sent.

    Addresses the ESP reported undeliverable (``EmailSuppression``) are skipped with a log line;
    addresses it refuses while sending are recorded as rejected. Neither fails the job."""
    wanted = selectors.recipients_with_channel(user_ids=recipient_ids, kind=kind, channel="email")
    digesters = set(
        EmailSettings.objects.filter(user_id__in=wanted, digest=True).values_list("user_id", flat=True)
    )
    users = list(
        User.objects.filter(pk__in=[uid for uid in wanted if uid not in digesters], is_active=True)
        .only("pk", "email", "handle", "display_name")
        .annotate(suppressed_reason=selectors.email_suppressed_reason_subquery())
    )
    for user in users:
        if user.suppressed_reason:
            _log_suppressed(user_id=user.pk, reason=user.suppressed_reason, kind=kind)
    users = [user for user in users if not user.suppressed_reason]
    actor_name, actor_handle = _actor_name(actor_id)
    text = presenters.notification_text(kind=kind, actor_name=actor_name, data=data)
    url = absolute(presenters.notification_url(kind=kind, actor_handle=actor_handle, data=data))
    messages = [
        _message(
            user=user,
            subject=text if len(text) <= 120 else text[:117] + "…",
            template="notification",
            context={"text": text, "url": url, "kind_label": k.Kind(kind).label},
            kind=kind,
        )
        for user in users
    ]
    if not messages:
        return 0
    # An address the ESP refuses (its own suppression list) must not fail the job: a retry would
    # send the batch's other messages again. anymail reports it per recipient instead of raising.
    with get_connection(ignore_recipient_status=True) as mail:
        sent = int(mail.send_messages(messages) or 0)
        esp_name = str(getattr(mail, "esp_name", "") or "")
    return sent - _refused_at_send(messages, esp_name=esp_name)


REFUSED_STATUSES = ("rejected", "invalid")  # anymail's per-recipient statuses for "not sent, never will be"


def _refused_at_send(messages: list[EmailMultiAlternatives], *, esp_name: str) -> int:
    """Record addresses the ESP refused when sending (anymail status rejected/invalid) as rejected,
    so the next notice skips them. Returns how many messages reached nobody."""
    refused = 0
    for message in messages:
        recipients = getattr(getattr(message, "anymail_status", None), "recipients", None) or {}
        bad = {address: rs.status for address, rs in recipients.items() if rs.status in REFUSED_STATUSES}
        for address, status in bad.items():
            services.email_delivery_event_record(
                esp=esp_name or "send",
                event_id=f"send:{uuid.uuid4()}",  # nothing retries this: the job succeeds
                outcome=k.EmailOutcome.REJECTED,
                email=address,
                reject_reason=status,
                description="refused by the email provider when sending",
            )
        refused += bool(bad) and len(bad) == len(recipients)
    return refused


def push_payload(*, kind: str, actor_id: int | None, data: dict[str, Any]) -> bytes:
    actor_name, actor_handle = _actor_name(actor_id)
    return json.dumps(
        {
            "title": "Fanclub",
            "body": presenters.notification_text(kind=kind, actor_name=actor_name, data=data)[:240],
            "url": presenters.notification_url(kind=kind, actor_handle=actor_handle, data=data),
            "kind": kind,
            "tag": f"{kind}:{data.get('post_id', '')}",
        }
    ).encode()


def push_send(*, kind: str, actor_id: int | None, data: dict[str, Any], recipient_ids: list[int]) -> int:
    """Push to every subscription of the recipients whose preference has push on. Returns delivered.

    A 404/410 deletes the subscription; other failures are logged and dropped (a push is ephemeral:
    retrying a batch would repeat it on every device that already showed it)."""
    if not settings.VAPID_PRIVATE_KEY:
        logger.warning("web push skipped: VAPID_PRIVATE_KEY is not set")
        return 0
    wanted = selectors.recipients_with_channel(user_ids=recipient_ids, kind=kind, channel="push")
    payload = push_payload(kind=kind, actor_id=actor_id, data=data)
    gone: list[int] = []
    delivered: list[int] = []
    # One session for the batch (connections to a push service are reused). Development and tests
    # push to a local service; production only to public addresses.
    session = outbound.public_session() if settings.MODE == "production" else None
    try:
        for subscription in PushSubscription.objects.filter(user_id__in=wanted).order_by("id"):
            result = webpush.push_send(
                target=webpush.PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth),
                payload=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                subject=settings.VAPID_SUBJECT,
                session=session,
            )
            if result.ok:
                delivered.append(subscription.pk)
            elif result.gone:
                gone.append(subscription.pk)
            else:
                logger.warning(
                    "web push failed", extra={"status": result.status, "subscription": subscription.pk}
                )
    finally:
        if session is not None:
            session.close()
    if gone:
        services.push_subscriptions_gone(ids=gone)
    if delivered:
        services.push_subscriptions_used(ids=delivered)
    return len(delivered)


# --- Daily digest ---------------------------------------------------------------------------------
DIGEST_MAX_ITEMS = 20


def digest_send(*, user_id: int, now: Any = None) -> bool:
    """Email ``user_id`` their unread notices since the last digest (kinds with email on). True if sent."""
    now = now or timezone.now()
    settings_row = EmailSettings.objects.select_for_update().filter(user_id=user_id, digest=True).first()
    if settings_row is None:
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    suppression = selectors.email_suppression_for(email=user.email)
    if suppression is not None:
        settings_row.last_digest_at = now  # the notices stay in the app; no backlog when it resumes
        settings_row.save(update_fields=["last_digest_at"])
        _log_suppressed(user_id=user_id, reason=suppression.reason, kind="digest")
        return False
    prefs = selectors.preferences_for(user_id=user_id)
    kinds = [kind for kind, channels in prefs.items() if channels["email"]]
    queryset = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True, kind__in=kinds)
    if settings_row.last_digest_at is not None:
        queryset = queryset.filter(created_at__gt=settings_row.last_digest_at)
    queryset = queryset.filter(created_at__lte=now)
    total = queryset.count()
    settings_row.last_digest_at = now
    settings_row.save(update_fields=["last_digest_at"])
    if total == 0:
        return False
    items = [
        {
            **presenters.notification_render(n),
            "absolute_url": absolute(presenters.notification_render(n)["url"]),
        }
        for n in queryset.select_related("actor").order_by("-created_at", "-id")[:DIGEST_MAX_ITEMS]
    ]
    message = _message(
        user=user,
        subject=f"Your Fanclub digest: {total} new notification{'s' if total != 1 else ''}",
        template="digest",
        context={
            "items": items,
            "total": total,
            "more": total - len(items),
            "list_url": absolute(reverse("notifications:list")),
        },
        kind="digest",
    )
    message.send()
    return True


def digest_due_user_ids(*, now: Any = None) -> list[int]:
    """Users who chose the digest and had none in the last ~day."""
    from datetime import timedelta

    from django.db.models import Q

    now = now or timezone.now()
    return list(
        EmailSettings.objects.filter(digest=True)
        .filter(Q(last_digest_at__isnull=True) | Q(last_digest_at__lte=now - timedelta(hours=23)))
        .values_list("user_id", flat=True)
    )
