"""The signed-in user's live socket: heartbeats now, notifications and messages in later issues."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

MAX_FRAME_BYTES = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Joins the user's group; answers pings; relays events sent to the group."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "userId": user.pk, "serverTime": _now()})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if bytes_data is not None or text_data is None:
            await self._error("unsupported_frame", "Only JSON text frames are accepted.")
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = json.loads(text_data)
        except json.JSONDecodeError:
            await self._error("malformed_json", "The frame is not valid JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("invalid_frame", 'Frames are objects with a string "type".')
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong", "serverTime": _now(), "echo": content.get("id")})
            return
        await self._error("unknown_type", f"Unknown frame type {content['type'][:40]!r}.")

    async def user_event(self, message: dict[str, Any]) -> None:
        """Handler for events sent to the user's group with type "user.event"."""
        await self.send_json(message["payload"])

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "error": {"code": code, "message": message}})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
