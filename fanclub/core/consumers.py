"""The signed-in user's live socket: one per tab, joined to the group ``user.<id>``.

Frames from the client are JSON objects with a string ``type``. ``ping`` is answered here; other
types are dispatched through a registry that apps fill from their ``AppConfig.ready``
(``register_frame_handler("typing", handler)``), so the core consumer never imports an app.
Apps may also register connection hooks (presence). A bad frame (not JSON, too large, unknown
type, or a handler's ``ApiError``) gets an error frame and the socket stays open.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from fanclub.core.errors import ApiError

MAX_FRAME_BYTES = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401

FrameHandler = Callable[["NotificationConsumer", dict[str, Any]], Awaitable[None]]
ConnectionHook = Callable[["NotificationConsumer"], Awaitable[None]]
ConnectCheck = Callable[["NotificationConsumer"], Awaitable[bool]]

_frame_handlers: dict[str, FrameHandler] = {}
_connect_checks: list[ConnectCheck] = []
_connect_hooks: list[ConnectionHook] = []
_disconnect_hooks: list[ConnectionHook] = []
_ping_hooks: list[ConnectionHook] = []


def register_frame_handler(frame_type: str, handler: FrameHandler) -> None:
    """Route client frames of ``frame_type`` to ``handler(consumer, frame)``. One handler per type."""
    existing = _frame_handlers.get(frame_type)
    if existing is not None and existing is not handler:
        raise ValueError(f"A handler for frame type {frame_type!r} is already registered.")
    if frame_type == "ping":
        raise ValueError('"ping" is answered by the core consumer.')
    _frame_handlers[frame_type] = handler


def register_connection_hooks(
    *,
    on_connect: ConnectionHook | None = None,
    on_disconnect: ConnectionHook | None = None,
    on_ping: ConnectionHook | None = None,
) -> None:
    """Run hooks when a signed-in socket opens, closes, or pings (each at most once per hook)."""
    for hook, hooks in (
        (on_connect, _connect_hooks),
        (on_disconnect, _disconnect_hooks),
        (on_ping, _ping_hooks),
    ):
        if hook is not None and hook not in hooks:
            hooks.append(hook)


def register_connect_check(check: ConnectCheck) -> None:
    """Run ``check(consumer)`` before a signed-in socket is accepted; False refuses it (4401). A check
    may set ``consumer.credential``: the sign-in the socket rides on, which a ``user.close`` event
    names when that sign-in ends (``realtime.user_sockets_close_on_commit``)."""
    if check not in _connect_checks:
        _connect_checks.append(check)


def frame_types() -> list[str]:
    return ["ping", *sorted(_frame_handlers)]


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Joins the user's group; answers pings; dispatches other frames; relays group events."""

    user: Any
    state: dict[str, Any]
    credential: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.state = {}
        for check in list(_connect_checks):
            if not await check(self):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "userId": user.pk, "serverTime": _now()})
        for hook in list(_connect_hooks):
            await hook(self)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            for hook in list(_disconnect_hooks):
                await hook(self)

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
        frame_type = content["type"]
        if frame_type == "ping":
            await self.send_json({"type": "pong", "serverTime": _now(), "echo": content.get("id")})
            for hook in list(_ping_hooks):
                await hook(self)
            return
        handler = _frame_handlers.get(frame_type)
        if handler is None:
            await self._error("unknown_type", f"Unknown frame type {frame_type[:40]!r}.")
            return
        try:
            await handler(self, content)
        except ApiError as exc:
            await self._error(
                exc.code, exc.message, details=exc.details, frame_type=frame_type, echo=content.get("id")
            )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels runs ``close_old_connections`` in a thread before every handler (a hop through
        the one thread-sensitive executor, for every socket a group event reaches). Relaying a user
        event touches no database, so it skips that hop; everything else is dispatched as usual
        (frame handlers reach the database through ``database_sync_to_async``, which closes old
        connections itself)."""
        if message.get("type") == "user.event":
            await self.user_event(message)
            return
        await super().dispatch(message)

    async def user_event(self, message: dict[str, Any]) -> None:
        """Handler for events sent to the user's group with type "user.event": ``text`` is the
        frame already encoded by the sender (``realtime.user_event_encoded``: encoded once for all
        the user's sockets), ``payload`` a JSON object to encode here."""
        text = message.get("text")
        if isinstance(text, str):
            await self.send(text_data=text)
        else:
            await self.send_json(message["payload"])

    async def user_close(self, message: dict[str, Any]) -> None:
        """Handler for "user.close": a sign-in of the user ended (sign-out, revoked session, ban).
        The socket closes (4401) when it rides on one of ``credentials`` (None: any of them),
        unless it rides on ``keep``."""
        credentials, keep = message.get("credentials"), message.get("keep")
        if keep is not None and self.credential == keep:
            return
        if credentials is None or self.credential in credentials:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        """An error frame (handlers use it for refusals that are not exceptions)."""
        await self._error(code, message, **extra)

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if extra.get("details") is not None:
            error["details"] = extra["details"]
        frame: dict[str, Any] = {"type": "error", "error": error}
        if extra.get("frame_type"):
            frame["frameType"] = extra["frame_type"]
        if extra.get("echo") is not None:
            frame["echo"] = extra["echo"]
        await self.send_json(frame)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
