"""Notification kinds, channels and their defaults."""

from __future__ import annotations

from django.db import models

QUEUE = "notifications"


class Kind(models.TextChoices):
    NEW_FOLLOWER = "new_follower", "New follower"
    NEW_SUBSCRIBER = "new_subscriber", "New subscriber"
    NEW_POST = "new_post", "New post from a creator you follow"
    COMMENT = "comment", "Comment on your post"
    LIKE_MILESTONE = "like_milestone", "Like milestones on your posts"
    TIP_RECEIVED = "tip_received", "Tip received"
    PAYMENT_PROBLEM = "payment_problem", "Payment problems"
    PAYOUT_SENT = "payout_sent", "Payout sent"
    MODERATION_RESULT = "moderation_result", "Moderation results"
    MESSAGE = "message", "New message"


NEW_FOLLOWER = Kind.NEW_FOLLOWER.value
NEW_SUBSCRIBER = Kind.NEW_SUBSCRIBER.value
NEW_POST = Kind.NEW_POST.value
COMMENT = Kind.COMMENT.value
LIKE_MILESTONE = Kind.LIKE_MILESTONE.value
TIP_RECEIVED = Kind.TIP_RECEIVED.value
PAYMENT_PROBLEM = Kind.PAYMENT_PROBLEM.value
PAYOUT_SENT = Kind.PAYOUT_SENT.value
MODERATION_RESULT = Kind.MODERATION_RESULT.value
MESSAGE = Kind.MESSAGE.value

KINDS: tuple[str, ...] = tuple(Kind.values)
CHANNELS: tuple[str, ...] = ("in_app", "email", "push")

# Defaults for a user who never saved preferences: everything in-app but messages (see below);
# email for what concerns money, audience and moderation; push for what a person would want on
# their phone at once.
DEFAULTS: dict[str, dict[str, bool]] = {
    NEW_FOLLOWER: {"in_app": True, "email": False, "push": True},
    NEW_SUBSCRIBER: {"in_app": True, "email": True, "push": True},
    NEW_POST: {"in_app": True, "email": False, "push": True},
    COMMENT: {"in_app": True, "email": False, "push": True},
    LIKE_MILESTONE: {"in_app": True, "email": False, "push": False},
    TIP_RECEIVED: {"in_app": True, "email": True, "push": True},
    PAYMENT_PROBLEM: {"in_app": True, "email": True, "push": True},
    PAYOUT_SENT: {"in_app": True, "email": True, "push": False},
    MODERATION_RESULT: {"in_app": True, "email": True, "push": True},
    # Messages have their own inbox and unread badge (updated by the message frame itself), so by
    # default a message is not also listed in-app (nor pushed to every open tab a second time).
    MESSAGE: {"in_app": False, "email": False, "push": True},
}

# Kinds whose in-app notice cannot be switched off (money and moderation outcomes must be seen).
IN_APP_REQUIRED: frozenset[str] = frozenset({PAYMENT_PROBLEM, MODERATION_RESULT})

# Notifications from these kinds are about the recipient's own account, never "from" someone they
# could mute: mutes and blocks do not silence them.
SYSTEM_KINDS: frozenset[str] = frozenset({PAYMENT_PROBLEM, PAYOUT_SENT, MODERATION_RESULT})

LIKE_MILESTONES: tuple[int, ...] = (10, 100, 1000)

# MODERATION_RESULT notices say what happened in ``data["event"]`` (see hooks.py and presenters.py).
MODERATION_REPORT_REVIEWED = "report_reviewed"  # to a reporter: "outcome" is actioned or dismissed
MODERATION_MESSAGE_REMOVED = "message_removed"  # to the sender of a removed message, with "reason"
MODERATION_POST_REMOVED = "post_removed"  # to the creator of a removed post, with "reason"

FANOUT_BATCH_SIZE = 5000
UNSUBSCRIBE_SALT = "fanclub.notifications.unsubscribe"


# --- Email deliverability (the ESP's delivery-status webhook; docs/notifications.md) --------------
class EmailOutcome(models.TextChoices):
    """What one ESP tracking event means for the address it names."""

    HARD_BOUNCE = "hard_bounce", "The address bounced (permanent failure)"
    SOFT_BOUNCE = "soft_bounce", "Delivery failed for now (soft bounce or deferral)"
    COMPLAINT = "complaint", "The email was reported as spam"
    REJECTED = "rejected", "The email provider refused to send to the address"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed through the email provider"
    DELIVERED = "delivered", "Delivered"


# One of these stops notification email to the address at once.
SUPPRESSING_OUTCOMES: frozenset[str] = frozenset(
    {EmailOutcome.HARD_BOUNCE, EmailOutcome.COMPLAINT, EmailOutcome.REJECTED, EmailOutcome.UNSUBSCRIBED}
)
# Soft bounces and deferrals stop it once this many messages in a row failed softly: repeated
# events about the same message (an ESP reports each retry) count once, and a delivery resets the
# count. One full mailbox or greylisted send silences no one; three failed emails in a row do.
EMAIL_SOFT_BOUNCE_LIMIT = 3


class EmailSuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", "bounced"
    COMPLAINT = "complaint", "was reported as spam"
    REJECTED = "rejected", "was refused by our email provider"
    UNSUBSCRIBED = "unsubscribed", "was unsubscribed through our email provider"
    SOFT_BOUNCES = "soft_bounces", "failed repeatedly"
