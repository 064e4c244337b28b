"""Reads of the notifications app: lists, unread counts, preferences, push subscriptions."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower

from fanclub.core.pagination import Page, paginate
from fanclub.notifications.constants import CHANNELS, DEFAULTS, KINDS
from fanclub.notifications.models import (
    EmailSettings,
    EmailSuppression,
    Notification,
    NotificationPreference,
    PushSubscription,
)

LIST_ORDERING = ("-created_at", "-id")


def notification_list(*, user_id: int, cursor: str | None, limit: int = 20) -> Page[Notification]:
    """The user's notifications, newest first (one index range scan per page, actors joined)."""
    queryset: QuerySet[Notification] = Notification.objects.filter(recipient_id=user_id).select_related(
        "actor"
    )
    return paginate(queryset, ordering=LIST_ORDERING, cursor=cursor, limit=limit)


def unread_count(*, user_id: int) -> int:
    """Unread notices of one user (the partial index on unread rows answers it)."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


UNREAD_CACHE_SECONDS = 60


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count_cached(*, user_id: int) -> int:
    """The header badge: from the cache when possible (no query on most pages).

    Writes delete the key on commit; with a per-process cache (no Redis) another process may show a
    count up to UNREAD_CACHE_SECONDS old, which the live socket event corrects at once."""
    from django.core.cache import cache

    key = unread_cache_key(user_id)
    value = cache.get(key)
    if value is None:
        value = unread_count(user_id=user_id)
        cache.set(key, value, UNREAD_CACHE_SECONDS)
    return int(value)


def preferences_for(*, user_id: int) -> dict[str, dict[str, bool]]:
    """Every kind's channels for ``user_id``: saved rows over the defaults."""
    result = {kind: dict(DEFAULTS[kind]) for kind in KINDS}
    for pref in NotificationPreference.objects.filter(user_id=user_id):
        if pref.kind in result:
            result[pref.kind] = {"in_app": pref.in_app, "email": pref.email, "push": pref.push}
    return result


def preference_for(*, user_id: int, kind: str) -> dict[str, bool]:
    pref = NotificationPreference.objects.filter(user_id=user_id, kind=kind).first()
    if pref is None:
        return dict(DEFAULTS[kind])
    return {channel: bool(getattr(pref, channel)) for channel in CHANNELS}


def email_digest_enabled(*, user_id: int) -> bool:
    return EmailSettings.objects.filter(user_id=user_id, digest=True).exists()


def push_subscriptions_for(*, user_id: int) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(user_id=user_id).order_by("id"))


def notification_get_for(*, user_id: int, notification_id: int) -> Notification | None:
    return Notification.objects.filter(pk=notification_id, recipient_id=user_id).first()


def recipients_with_channel(*, user_ids: list[int], kind: str, channel: str) -> list[int]:
    """Of ``user_ids``, those whose preference for ``kind`` has ``channel`` on (defaults included)."""
    saved = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list("user_id", channel)
    )
    default = DEFAULTS[kind][channel]
    return [uid for uid in user_ids if saved.get(uid, default)]


def email_suppression_for(*, email: str) -> EmailSuppression | None:
    """The suppression stopping notification email to ``email``, if any (one unique-index lookup)."""
    return EmailSuppression.objects.filter(email=email.strip().lower(), suppressed_at__isnull=False).first()


def email_suppressed_reason_subquery() -> Subquery:
    """For a User queryset's ``annotate``: why email to the row's address is stopped, or NULL."""
    return Subquery(
        EmailSuppression.objects.filter(email=Lower(OuterRef("email")), suppressed_at__isnull=False).values(
            "reason"
        )[:1]
    )
