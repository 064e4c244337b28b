"""In-app notifications, per-kind delivery preferences and web push subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanclub.notifications.constants import EmailOutcome, EmailSuppressionReason, Kind


class Notification(models.Model):
    """One notice shown to ``recipient``; unread while ``read_at`` is null.

    ``dedupe_key`` makes a notice that must exist at most once per recipient (a new post, a like
    milestone) idempotent: inserts use ``ON CONFLICT DO NOTHING`` on the partial unique index, so a
    retried fan-out job never notifies anyone twice. ``data`` holds what the renderer needs (ids,
    handles, amounts); it is never trusted as HTML.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notifications_dedupe_unique",
            ),
        ]
        indexes = [
            # The list, newest first, keyset-paginated on (created_at, id).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notifications_list_idx"),
            # The unread count: a small partial index, only unread rows.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notifications_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationPreference(models.Model):
    """A user's choice of channels for one kind; absent rows mean the defaults of constants.DEFAULTS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    push = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notifications_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class EmailSettings(models.Model):
    """How a user wants email: each notice as it happens, or one daily digest of unread notices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    digest = models.BooleanField(default=False)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'digest' if self.digest else 'instant'}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (endpoint + the keys payloads are encrypted to).

    Deleted when the push service answers 404 or 410 (the subscription is gone for good)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.TextField(unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user"], name="notifications_push_user_idx")]

    def __str__(self) -> str:
        return f"push for {self.user_id}"


class EmailDeliveryEvent(models.Model):
    """One delivery-status event from the email provider's webhook that bears on an address.

    Stored once per ``(esp, event_id, email)``: providers retry webhooks, and a retried event changes
    nothing (one Amazon SES event names several recipients, hence the address in the key). For
    providers that send no event id, ``event_id`` is a hash of the event's payload (a retry
    repeats the payload). Opens, clicks and deliveries are not stored (a delivery only
    resets the soft-bounce count of ``EmailSuppression``). ``email`` is lower-cased.
    """

    esp = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    outcome = models.CharField(max_length=16, choices=EmailOutcome.choices)
    email = models.CharField(max_length=254)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    message_id = models.CharField(max_length=255, blank=True)
    reject_reason = models.CharField(max_length=32, blank=True)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["esp", "event_id", "email"], name="notifications_email_event_unique"
            ),
        ]
        indexes = [models.Index(fields=["email", "-occurred_at"], name="notifications_email_event_idx")]

    def __str__(self) -> str:
        return f"{self.outcome} {self.email} ({self.esp} {self.event_id})"


class EmailSuppression(models.Model):
    """Deliverability of one (lower-cased) address: notification email to it stops while
    ``suppressed_at`` is set.

    Set by a hard bounce, a spam complaint, a rejection or an unsubscribe reported by the provider,
    or by ``EMAIL_SOFT_BOUNCE_LIMIT`` messages in a row that failed softly (``soft_bounces`` counts
    them; ``soft_bounce_message_id`` is the last one counted, so retries of one message count once).
    The user clears it from their notification settings (``cleared_at``); an event that happened
    before that moment no longer suppresses. Keyed by address, so a user who changes their email
    address is not held back by the old one's history.
    """

    email = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=16, choices=EmailSuppressionReason.choices, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    soft_bounces = models.PositiveIntegerField(default=0)
    soft_bounce_message_id = models.CharField(max_length=255, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.email}: {self.reason or 'not suppressed'}"
