"""Limits, kinds and states of fanclub.messaging."""

from __future__ import annotations

from django.db import models

QUEUE = "messaging"
TARGET_TYPE = "messaging.message"  # media.MediaUsage target for vault items sent in messages
MAX_TEXT_LENGTH = 4000
MAX_MEDIA_PER_MESSAGE = 10
MAX_PRICE_MINOR = 100_000  # 1,000.00 per message
MAX_SAVED_REPLIES = 100
MAX_REPORT_REASON = 1000
RESUME_LIMIT = 200  # messages replayed per resume frame; the client asks again while "more"
# Messages committed out of id order (concurrent transactions) are caught by replaying a short
# window before the client's last seen id; the client drops ids it already has.
RESUME_LOOKBACK_SECONDS = 30
MASS_BATCH_SIZE = 500
PARTITION_MONTHS_AHEAD = 3
PRESENCE_TTL_SECONDS = 60
TYPING_TTL_SECONDS = 6


class MessageKind(models.TextChoices):
    TEXT = "text", "Message"
    TIP = "tip", "Tip"
    WELCOME = "welcome", "Welcome message"
    MASS = "mass", "Mass message"


class Gate(models.TextChoices):
    """What a fan must have before writing to a creator (creators and staff always may)."""

    OPEN = "open", "Anyone who is not blocked"
    SUBSCRIBERS = "subscribers", "Active subscribers only"
    MIN_TIP = "min_tip", "Fans who tipped at least a minimum"
    PRICE = "price", "A price per message"


class Audience(models.TextChoices):
    SUBSCRIBERS = "subscribers", "All active subscribers"
    TIER = "tier", "Subscribers of one tier"
    FOLLOWERS = "followers", "Followers"
    LIST = "list", "A fan list"


class MassState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    STOPPED = "stopped", "Stopped"  # its sender was banned (deactivated) before every batch went out


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ReportOutcome(models.TextChoices):
    """What a moderator decided about a reported message (set when the report is closed)."""

    ACTIONED = "actioned", "Message removed"
    DISMISSED = "dismissed", "No action"


REMOVED_PREVIEW = "Message removed"  # the inbox preview of a conversation whose last message was removed
