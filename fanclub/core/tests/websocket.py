"""A WebSocket test client speaking ASGI to the real application.

The same protocol as channels' ``WebsocketCommunicator``, which cannot be imported here: importing
``channels.testing`` also imports its live-server test case, which needs daphne (we serve with
uvicorn, so daphne is not installed).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator


class WebsocketClient(ApplicationCommunicator):
    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        parsed = urlparse(path)
        scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 2) -> tuple[bool, Any]:
        """(True, subprotocol) when accepted, (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, response.get("subprotocol")

    async def send_to(self, *, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        assert (text_data is None) != (bytes_data is None), "exactly one of text_data or bytes_data"
        if text_data is not None:
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def send_json_to(self, data: Any) -> None:
        await self.send_to(text_data=json.dumps(data))

    async def receive_json_from(self, timeout: float = 2) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        assert "text" in response and response.get("bytes") is None, response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


NOTIFICATIONS_PATH = "/ws/notifications/"


def notification_socket(
    session_key: str | None = None, *, origin: str = "http://localhost"
) -> WebsocketClient:
    """The user's socket on the real ASGI application, opened as a browser on localhost would,
    with ``session_key`` as its session cookie (none: signed out)."""
    from django.conf import settings

    from config.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if session_key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return WebsocketClient(application, NOTIFICATIONS_PATH, headers=headers)
