"""Builders for messaging tests (real services)."""

from __future__ import annotations

from typing import Any

from fanclub.messaging import services


def open_conversation(user: Any, other: Any) -> Any:
    return services.conversation_open(user=user, handle=other.handle)


def send(sender: Any, participant: Any, text: str = "hello", **fields: Any) -> Any:
    return services.message_send(
        sender=sender, conversation_id=participant.conversation_id, text=text, **fields
    )
