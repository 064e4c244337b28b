"""Writes of the notifications app.

``notify`` is the one entry point other apps call, inside their own transaction::

    from fanclub.notifications import services as notification_services
    from fanclub.notifications.constants import TIP_RECEIVED
    notification_services.notify(recipient_id=creator.pk, kind=TIP_RECEIVED, actor_id=fan.pk,
                                 data={"amount_minor": 500, "currency": "usd", "charge_id": "..."})

Everything it does commits or rolls back with the caller: the in-app row, the deferred email and
push jobs (Procrastinate uses Django's connection), and the live socket event (sent on commit).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fanclub.core.realtime import user_event_send_on_commit
from fanclub.notifications import constants as k
from fanclub.notifications import presenters, selectors
from fanclub.notifications.models import (
    EmailSettings,
    EmailSuppression,
    Notification,
    NotificationPreference,
    PushSubscription,
)

logger = logging.getLogger("fanclub.notifications")

# Kinds that must exist at most once per recipient and these data fields: a retried caller or job
# never notifies twice. A kind appears here only when every field is present in ``data``.
DEDUPE_FIELDS: dict[str, tuple[str, ...]] = {
    k.NEW_POST: ("post_id",),
    k.LIKE_MILESTONE: ("post_id", "likes"),
    k.COMMENT: ("comment_id",),
    k.TIP_RECEIVED: ("charge_id",),
    k.PAYOUT_SENT: ("payout_id",),
    k.NEW_SUBSCRIBER: ("subscription_id",),
    k.MODERATION_RESULT: ("subject",),  # "post_removed:<id>", "message_report:<id>", ...
}


def dedupe_key_for(*, kind: str, data: dict[str, Any]) -> str:
    fields = DEDUPE_FIELDS.get(kind)
    if not fields or any(data.get(name) in (None, "") for name in fields):
        return ""
    return ":".join([kind, *(str(data[name]) for name in fields)])[:64]


RECIPIENT_STATE_SQL = """
SELECT (%(actor)s::bigint IS NOT NULL AND NOT %(system)s AND (
          EXISTS (SELECT 1 FROM social_mute m WHERE m.muter_id = %(recipient)s AND m.muted_id = %(actor)s)
          OR EXISTS (SELECT 1 FROM social_block b
                      WHERE (b.blocker_id = %(recipient)s AND b.blocked_id = %(actor)s)
                         OR (b.blocker_id = %(actor)s AND b.blocked_id = %(recipient)s)))),
       p.in_app, p.email, p.push,
       EXISTS (SELECT 1 FROM notifications_emailsettings e WHERE e.user_id = %(recipient)s AND e.digest),
       EXISTS (SELECT 1 FROM notifications_pushsubscription s WHERE s.user_id = %(recipient)s)
  FROM (SELECT 1) AS one
  LEFT JOIN notifications_notificationpreference p ON p.user_id = %(recipient)s AND p.kind = %(kind)s
"""


def _recipient_state(
    *, recipient_id: int, actor_id: int | None, kind: str
) -> tuple[bool, dict[str, bool], bool, bool]:
    """In one query: (silenced by a mute or block, channels for the kind, wants a digest, has a device)."""
    with connection.cursor() as cursor:
        cursor.execute(
            RECIPIENT_STATE_SQL,
            {"recipient": recipient_id, "actor": actor_id, "kind": kind, "system": kind in k.SYSTEM_KINDS},
        )
        silenced, in_app, email, push, digest, has_device = cursor.fetchone()
    defaults = k.DEFAULTS[kind]
    prefs = {
        "in_app": defaults["in_app"] if in_app is None else bool(in_app),
        "email": defaults["email"] if email is None else bool(email),
        "push": defaults["push"] if push is None else bool(push),
    }
    return bool(silenced), prefs, bool(digest), bool(has_device)


def _insert(*, recipient_id: int, kind: str, actor_id: int | None, data: dict[str, Any]) -> int | None:
    """Insert the row; None if an identical deduplicated notice exists already."""
    key = dedupe_key_for(kind=kind, data=data)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_notification"
            " (recipient_id, kind, actor_id, data, dedupe_key, created_at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, %s)"
            " ON CONFLICT (recipient_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING RETURNING id",
            [recipient_id, kind, actor_id, json.dumps(data), key, timezone.now()],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def notify(
    *, recipient_id: int, kind: str, actor_id: int | None = None, data: dict[str, Any] | None = None
) -> None:
    """Notify ``recipient_id`` of ``kind`` (see constants.Kind), caused by ``actor_id`` if any.

    - Nothing happens when the recipient is the actor, muted the actor, or a block stands between
      them (account notices — payment problems, payouts, moderation results — ignore mutes).
    - In-app: a Notification row unless the recipient switched the kind off in-app; a live
      ``{"type": "notification", "notification": {...}, "unreadCount": n}`` socket event on commit.
    - Email / push: one job each, deferred in this transaction, when the recipient's preference for
      the kind has that channel on (email in a daily digest instead, for users who chose it).
    - Idempotent for the kinds of DEDUPE_FIELDS: a second call with the same ids does nothing.

    ``data`` must be JSON-serialisable; keep it small (ids, handles, amounts, a short excerpt).
    """
    if kind not in k.KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    data = dict(data or {})
    if actor_id is not None and actor_id == recipient_id:
        return
    with transaction.atomic():
        silenced, prefs, digest, has_device = _recipient_state(
            recipient_id=recipient_id, actor_id=actor_id, kind=kind
        )
        if silenced:
            return
        if prefs["in_app"] or kind in k.IN_APP_REQUIRED:
            notification_id = _insert(recipient_id=recipient_id, kind=kind, actor_id=actor_id, data=data)
            if notification_id is None:
                return  # already notified (a retried caller)
            notification = Notification.objects.select_related("actor").get(pk=notification_id)
            unread_cache_forget_on_commit(user_ids=[recipient_id])
            user_event_send_on_commit(
                user_id=recipient_id,
                payload={
                    "type": "notification",
                    "notification": presenters.notification_render(notification),
                    "unreadCount": selectors.unread_count(user_id=recipient_id),
                },
            )
        if prefs["email"] and not digest:  # digest users get it in the daily digest
            deliveries_defer(
                channel="email", kind=kind, actor_id=actor_id, data=data, recipient_ids=[recipient_id]
            )
        if prefs["push"] and has_device:
            deliveries_defer(
                channel="push", kind=kind, actor_id=actor_id, data=data, recipient_ids=[recipient_id]
            )


def notify_later(
    *, recipient_id: int, kind: str, actor_id: int | None = None, data: dict[str, Any] | None = None
) -> None:
    """``notify`` in a job: one query in the caller's transaction (the job row) instead of eight.

    For hot paths (a tip through the API): the notice appears, and its event is sent, when a worker
    runs the job a moment after the caller commits; nothing happens if the caller rolls back."""
    from fanclub.core import jobs
    from fanclub.notifications import tasks

    if kind not in k.KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    jobs.job_defer(
        tasks.notify_task, recipient_id=recipient_id, kind=kind, actor_id=actor_id, data=dict(data or {})
    )


def deliveries_defer(
    *, channel: str, kind: str, actor_id: int | None, data: dict[str, Any], recipient_ids: list[int]
) -> None:
    """Defer one delivery job (email or push) for ``recipient_ids`` in the current transaction."""
    from fanclub.notifications import tasks

    if recipient_ids:
        tasks.notification_deliver_task.defer(
            channel=channel, kind=kind, actor_id=actor_id, data=data, recipient_ids=recipient_ids
        )


# --- Reading state --------------------------------------------------------------------------------
def notification_mark_read(*, user_id: int, notification_id: int) -> Notification | None:
    """Mark one of the user's notices read (idempotent); None if it is not theirs or does not exist."""
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id, recipient_id=user_id, read_at__isnull=True).update(
            read_at=now
        )
        notification = selectors.notification_get_for(user_id=user_id, notification_id=notification_id)
        if notification is not None:
            _unread_event(user_id=user_id)
    return notification


def notification_mark_all_read(*, user_id: int) -> int:
    with transaction.atomic():
        updated = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if updated:
            _unread_event(user_id=user_id)
    return updated


def unread_cache_forget_on_commit(*, user_ids: list[int]) -> None:
    """The cached header badge of these users is stale once the transaction commits."""
    from django.core.cache import cache

    keys = [selectors.unread_cache_key(user_id) for user_id in user_ids]
    transaction.on_commit(lambda: cache.delete_many(keys))


def _unread_event(*, user_id: int) -> None:
    """Other open tabs update their badge too."""
    unread_cache_forget_on_commit(user_ids=[user_id])
    user_event_send_on_commit(
        user_id=user_id,
        payload={"type": "notification.unread", "unreadCount": selectors.unread_count(user_id=user_id)},
    )


# --- Preferences ----------------------------------------------------------------------------------
def preferences_update(
    *, user_id: int, preferences: dict[str, dict[str, bool]], digest: bool | None = None
) -> dict[str, dict[str, bool]]:
    """Save channels for the kinds given (others keep theirs). Unknown kinds or channels: ValueError."""
    from fanclub.core.errors import ApiError

    for kind, channels in preferences.items():
        if kind not in k.KINDS:
            raise ApiError(f"Unknown notification kind {kind!r}.", code="validation_error", status=422)
        unknown = set(channels) - set(k.CHANNELS)
        if unknown:
            raise ApiError(
                f"Unknown channel(s) {', '.join(sorted(unknown))}.", code="validation_error", status=422
            )
    with transaction.atomic():
        current = selectors.preferences_for(user_id=user_id)
        for kind, channels in preferences.items():
            merged = {**current[kind], **{name: bool(value) for name, value in channels.items()}}
            if kind in k.IN_APP_REQUIRED:
                merged["in_app"] = True
            NotificationPreference.objects.update_or_create(user_id=user_id, kind=kind, defaults=merged)
        if digest is not None:
            EmailSettings.objects.update_or_create(user_id=user_id, defaults={"digest": digest})
    return selectors.preferences_for(user_id=user_id)


def email_unsubscribe(*, user_id: int, kind: str) -> None:
    """Turn email off for one kind (the signed link in every email)."""
    preferences_update(user_id=user_id, preferences={kind: {"email": False}})


# --- Push subscriptions ---------------------------------------------------------------------------
def _check_endpoint(endpoint: str) -> None:
    """The worker will POST to this URL: https only in production, never a private address there
    (a name is checked where the worker connects: ``integrations.outbound``)."""
    from urllib.parse import urlsplit

    from django.conf import settings

    from fanclub.core.errors import ApiError
    from fanclub.integrations.outbound import literal_address_is_private

    production = settings.MODE == "production"
    allowed = ("https",) if production else ("https", "http")
    invalid = ApiError(
        "The push endpoint must be an https URL of a push service.", code="invalid_endpoint", status=422
    )
    try:
        parts = urlsplit(endpoint)
        host, _ = parts.hostname, parts.port  # a malformed host or port raises here
    except ValueError:
        raise invalid from None
    if parts.scheme not in allowed or not host:
        raise invalid
    if production and (
        host == "localhost" or host.endswith(".localhost") or literal_address_is_private(host)
    ):
        raise invalid


def push_subscription_save(
    *, user_id: int, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Register (or move to this user) a browser's subscription; the endpoint is unique.

    Refused (409) when this server has no VAPID key pair: push is optional, and a subscription
    could never be sent to."""
    from fanclub.core.errors import ApiError

    if not settings.VAPID_PUBLIC_KEY:
        raise ApiError("Web push is not configured on this server.", code="push_not_configured", status=409)
    _check_endpoint(endpoint)
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user_id": user_id, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
    )
    return subscription


def push_subscription_delete(*, user_id: int, endpoint: str) -> bool:
    deleted, _ = PushSubscription.objects.filter(user_id=user_id, endpoint=endpoint).delete()
    return deleted > 0


def push_subscriptions_gone(*, ids: Iterable[int]) -> int:
    """The push service said 404/410: the subscriptions will never work again."""
    deleted, _ = PushSubscription.objects.filter(pk__in=list(ids)).delete()
    return deleted


def push_subscriptions_used(*, ids: Iterable[int], at: datetime | None = None) -> None:
    PushSubscription.objects.filter(pk__in=list(ids)).update(last_success_at=at or timezone.now())


# --- Email deliverability (the provider's delivery-status webhook) --------------------------------
EVENT_INSERT_SQL = """
INSERT INTO notifications_emaildeliveryevent
    (esp, event_id, outcome, email, occurred_at, received_at, message_id, reject_reason, description)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (esp, event_id, email) DO NOTHING RETURNING id
"""


def email_delivery_event_record(
    *,
    esp: str,
    event_id: str,
    outcome: str,
    email: str,
    occurred_at: datetime | None = None,
    message_id: str = "",
    reject_reason: str = "",
    description: str = "",
) -> bool:
    """Apply one delivery-status event to its address; True if it was new and stored.

    Idempotent per ``(esp, event_id, email)``: a retried webhook changes nothing. A suppressing outcome
    (``k.SUPPRESSING_OUTCOMES``) stops notification email to ``email`` at once; a soft bounce counts
    toward ``k.EMAIL_SOFT_BOUNCE_LIMIT`` (once per message); a delivery resets that count and is not
    stored. An event that happened before the user last re-enabled email is stored but suppresses
    nothing. Holds the address's EmailSuppression row lock until the caller's transaction ends."""
    if outcome not in k.EmailOutcome.values:
        raise ValueError(f"unknown email outcome {outcome!r}")
    email = email.strip().lower()
    now = timezone.now()
    occurred_at = occurred_at or now
    if outcome == k.EmailOutcome.DELIVERED:
        EmailSuppression.objects.filter(email=email, suppressed_at__isnull=True, soft_bounces__gt=0).update(
            soft_bounces=0, soft_bounce_message_id="", updated_at=now
        )
        return False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                EVENT_INSERT_SQL,
                [
                    esp[:32],
                    event_id[:255],
                    outcome,
                    email[:254],
                    occurred_at,
                    now,
                    message_id[:255],
                    reject_reason[:32],
                    description[:500],
                ],
            )
            if cursor.fetchone() is None:
                return False  # a retried webhook
        row, _ = EmailSuppression.objects.select_for_update().get_or_create(email=email[:254])
        if row.suppressed_at is not None or (row.cleared_at is not None and occurred_at <= row.cleared_at):
            return True
        if outcome in k.SUPPRESSING_OUTCOMES:
            row.reason, row.suppressed_at = outcome, occurred_at
        elif outcome == k.EmailOutcome.SOFT_BOUNCE:
            if message_id and message_id == row.soft_bounce_message_id:
                return True  # the ESP retried the same message: it already counted
            row.soft_bounces += 1
            row.soft_bounce_message_id = message_id[:255]
            if row.soft_bounces >= k.EMAIL_SOFT_BOUNCE_LIMIT:
                row.reason, row.suppressed_at = k.EmailSuppressionReason.SOFT_BOUNCES, occurred_at
        row.updated_at = now
        row.save()
    if row.suppressed_at is not None:
        logger.info(
            "email address suppressed",
            extra={"suppression_id": row.pk, "reason": row.reason, "esp": esp, "event_id": event_id},
        )
    return True


def email_suppression_clear(*, user_id: int) -> bool:
    """The user says their address works again: notification email to it resumes.

    True if it was stopped. Earlier events (a late webhook retry) no longer suppress it."""
    from django.contrib.auth import get_user_model

    email = get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first()
    if not email:
        return False
    now = timezone.now()
    cleared = EmailSuppression.objects.filter(email=email.lower(), suppressed_at__isnull=False).update(
        reason="",
        suppressed_at=None,
        soft_bounces=0,
        soft_bounce_message_id="",
        cleared_at=now,
        updated_at=now,
    )
    if cleared:
        logger.info("email address re-enabled by its user", extra={"user_id": user_id})
    return bool(cleared)
