"""Push events to a user's open sockets, after the transaction that caused them commits."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from fanclub.core.consumers import user_group


def user_event_send_on_commit(*, user_id: int, payload: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "user.event", "payload": payload})

    transaction.on_commit(send)
