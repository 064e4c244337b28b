"""Conversations, messages (a monthly-partitioned table), paid-message unlocks, mass messages,
gates, saved replies and reports.

``Message`` lives in a natively partitioned PostgreSQL table (``PARTITION BY RANGE (created_at)``,
one partition per month, created ahead by ``message_partitions_ensure_task``): its primary key is
``(id, created_at)`` in the database (a partitioned table's unique keys must contain the partition
key), while Django addresses rows by ``id`` alone, which is unique because it comes from one
identity sequence. Nothing holds a database foreign key *to* a message (PostgreSQL would need the
full key); the referencing columns are plain indexed ``bigint``s (``db_constraint=False``) and the
services delete dependants explicitly. See docs/architecture.md, "Messaging".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from fanclub.messaging.constants import Audience, Gate, MassState, MessageKind, ReportOutcome, ReportStatus


class Conversation(models.Model):
    """One-to-one thread between two users, stored once per pair (``user_low`` < ``user_high``)."""

    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_id = models.BigIntegerField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="messaging_conversation_pair"),
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="messaging_conversation_order"
            ),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.user_low_id}, {self.user_high_id})"


class Participant(models.Model):
    """One side of a conversation: what that user has read, their unread count, their inbox row."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_message_id = models.BigIntegerField(default=0)
    unread_count = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message_preview = models.CharField(max_length=140, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="messaging_participant_unique"),
            models.UniqueConstraint(fields=["user", "other"], name="messaging_participant_pair"),
        ]
        indexes = [
            models.Index(fields=["user", "-last_message_at", "-id"], name="messaging_inbox_idx"),
            models.Index(fields=["user"], name="messaging_unread_idx", condition=Q(unread_count__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    """One message. Partitioned by month on ``created_at`` (see the module docstring).

    ``price_minor`` set = a paid message: the recipient sees blurred previews of its media until a
    ``MessageUnlock`` exists (or every item was already bought in an earlier message).
    ``removed_at`` set = removed by a moderator (``services.message_report_resolve``): the row stays
    for the record, but nobody is shown its text or media and it grants no media any more.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(blank=True)
    price_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    tip_minor = models.PositiveIntegerField(null=True, blank=True)
    charge = models.ForeignKey(
        "billing.Charge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mass_message = models.ForeignKey(
        "MassMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "-id"], name="messaging_msg_history_idx"),
            models.Index(fields=["recipient", "id"], name="messaging_msg_recipient_idx"),
            models.Index(fields=["sender", "id"], name="messaging_msg_sender_idx"),
            models.Index(
                fields=["mass_message"],
                name="messaging_msg_mass_idx",
                condition=Q(mass_message__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.conversation_id}"


class MessageMedia(models.Model):
    """A vault item attached to a message, in order."""

    message = models.ForeignKey(
        Message, on_delete=models.DO_NOTHING, db_constraint=False, related_name="attachments"
    )
    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "media"], name="messaging_media_unique")]
        indexes = [models.Index(fields=["media", "message"], name="messaging_media_item_idx")]

    def __str__(self) -> str:
        return f"{self.media_id} in message {self.message_id}"


class MessageUnlock(models.Model):
    """The fan bought a paid message: its media are theirs for good (until a refund or chargeback
    of ``charge`` revokes it through ``services.message_unlock_revoke``)."""

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    charge = models.ForeignKey(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fan", "message"], name="messaging_unlock_unique")]
        indexes = [models.Index(fields=["message"], name="messaging_unlock_message_idx")]

    def __str__(self) -> str:
        return f"{self.fan_id} unlocked message {self.message_id}"


class SendKey(models.Model):
    """A client's retry key for a send (``clientId``): the same key never makes a second message."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=64)
    message_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="messaging_sendkey_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="messaging_sendkey_age_idx")]

    def __str__(self) -> str:
        return f"{self.sender_id}:{self.client_id}"


class MessagingSettings(models.Model):
    """A creator's inbox rules: who may write first, and at what price."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="messaging_settings",
    )
    gate = models.CharField(max_length=12, choices=Gate.choices, default=Gate.OPEN)
    min_tip_minor = models.PositiveIntegerField(null=True, blank=True)
    message_price_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(gate__in=Gate.values), name="messaging_gate_valid"),
            models.CheckConstraint(
                condition=~Q(gate="min_tip") | Q(min_tip_minor__gt=0), name="messaging_gate_min_tip"
            ),
            models.CheckConstraint(
                condition=~Q(gate="price") | Q(message_price_minor__gt=0), name="messaging_gate_price"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.gate}"


class SavedReply(models.Model):
    """A creator's reusable message text."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=80)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="messaging_reply_owner_idx")]

    def __str__(self) -> str:
        return self.title


class MassMessage(models.Model):
    """One message (optionally paid) to an audience, delivered by a job in batches of user ids.

    ``next_recipient_id`` is the batch cursor: a batch commits its messages and the cursor together,
    so a worker that dies mid-send resumes where the last committed batch ended.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    media_ids = models.JSONField(default=list, blank=True)
    price_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    tier = models.ForeignKey(
        "creators.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    list_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=MassState.choices, default=MassState.QUEUED)
    next_recipient_id = models.BigIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["creator", "-created_at", "-id"], name="messaging_mass_creator_idx")]

    def __str__(self) -> str:
        return f"mass message {self.pk} ({self.state})"


class MessageReport(models.Model):
    """A recipient reports a message; a moderator closes it with an outcome
    (``services.message_report_resolve``). ``resolved_by`` and ``resolution_note`` are for the
    record: the people involved are told the outcome, never who decided it."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    reason = models.TextField(max_length=1000)
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=ReportOutcome.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(max_length=1000, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "message"], name="messaging_report_unique"),
            # Open reports have no outcome; closed ones always have one and a time.
            models.CheckConstraint(
                condition=(Q(status=ReportStatus.OPEN) & Q(outcome="") & Q(resolved_at__isnull=True))
                | (
                    Q(status=ReportStatus.CLOSED)
                    & Q(outcome__in=ReportOutcome.values)
                    & Q(resolved_at__isnull=False)
                ),
                name="messaging_report_outcome_when_closed",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at", "id"], name="messaging_report_open_idx", condition=Q(status="open")
            )
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of message {self.message_id}"
