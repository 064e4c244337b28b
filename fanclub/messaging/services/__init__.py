"""Messaging services: every write. Each service owns its transaction (see docs/architecture.md)."""

from fanclub.messaging.services.conversations import (
    conversation_get_or_create,
    conversation_mark_read,
    conversation_open,
    gate_requirement,
    message_create,
    message_report,
    message_send,
)
from fanclub.messaging.services.creator_tools import (
    saved_reply_create,
    saved_reply_delete,
    settings_update,
    welcome_message_schedule,
    welcome_message_send,
)
from fanclub.messaging.services.mass import audience_count, mass_message_create, mass_message_send_batch
from fanclub.messaging.services.moderation import message_report_resolve, moderator_check
from fanclub.messaging.services.payments import (
    conversation_tip_send,
    message_unlock_buy,
    message_unlock_revoke,
)

__all__ = [
    "audience_count",
    "conversation_get_or_create",
    "conversation_mark_read",
    "conversation_open",
    "conversation_tip_send",
    "gate_requirement",
    "mass_message_create",
    "mass_message_send_batch",
    "message_create",
    "message_report",
    "message_report_resolve",
    "message_send",
    "message_unlock_buy",
    "message_unlock_revoke",
    "moderator_check",
    "saved_reply_create",
    "saved_reply_delete",
    "settings_update",
    "welcome_message_schedule",
    "welcome_message_send",
]
