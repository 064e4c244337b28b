"""The live socket rides on a browser sign-in: refused when that sign-in's device session was
revoked, and closed when it is revoked later (``services.sessions``)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from fanclub.accounts import selectors
from fanclub.accounts.adapters import DEVICE_SESSION_KEY
from fanclub.core.consumers import NotificationConsumer, register_connect_check


def _device_session_of(scope: dict[str, Any], user_id: int) -> tuple[str | None, bool]:
    """(the socket's device session id, whether it is live). A browser session that has none yet
    (signed in outside allauth) gets one on its next page request, as ``DeviceSessionMiddleware``
    does: it is let in, and closed with the others when every session of the user ends."""
    session = scope.get("session")
    session_id = session.get(DEVICE_SESSION_KEY) if session is not None else None
    if session_id is None:
        return None, True
    return str(session_id), selectors.device_session_is_live(session_id=session_id, user_id=user_id)


async def device_session_check(consumer: NotificationConsumer) -> bool:
    session_id, live = await database_sync_to_async(_device_session_of)(consumer.scope, consumer.user.pk)
    consumer.credential = session_id
    return live


def register() -> None:
    register_connect_check(device_session_check)
