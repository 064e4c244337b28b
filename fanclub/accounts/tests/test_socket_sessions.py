"""The live socket ends with the sign-in it rides on: revoked sessions cannot open one, and revoking
a session (or every session, or banning the account) closes the sockets already open on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.test import Client

from fanclub.accounts import services
from fanclub.accounts.adapters import DEVICE_SESSION_KEY
from fanclub.accounts.models import DeviceSession, User
from fanclub.core.consumers import CLOSE_UNAUTHENTICATED
from fanclub.core.tests.websocket import WebsocketClient, notification_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _user(handle: str) -> User:
    return services.user_create(email=f"{handle}@example.com", handle=handle, password="a-long-test-password")


def _browser(user: User) -> Client:
    """A browser signed in as ``user`` whose first page bound its session to a DeviceSession."""
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert client.session.get(DEVICE_SESSION_KEY)
    return client


def _cookie(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _device_session(client: Client) -> DeviceSession:
    return DeviceSession.objects.get(pk=client.session[DEVICE_SESSION_KEY])


@pytest.fixture
async def sockets() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketClient] = []

    async def open_socket(client: Client) -> tuple[bool, Any, WebsocketClient]:
        socket = notification_socket(await database_sync_to_async(_cookie)(client))
        connected, detail = await socket.connect()
        if connected:
            opened.append(socket)
            assert (await socket.receive_json_from())["type"] == "hello"
        return connected, detail, socket

    yield open_socket
    for socket in opened:
        await socket.disconnect()


async def _closed_with(socket: WebsocketClient) -> int | None:
    message = await socket.receive_output(3)
    return message.get("code") if message["type"] == "websocket.close" else None


async def _still_open(socket: WebsocketClient) -> bool:
    await socket.send_json_to({"type": "ping", "id": 1})
    return (await socket.receive_json_from())["type"] == "pong"


async def test_a_revoked_browser_session_cannot_open_a_socket(sockets):
    user = await database_sync_to_async(_user)("lena")
    browser = await database_sync_to_async(_browser)(user)
    session = await database_sync_to_async(_device_session)(browser)
    await database_sync_to_async(services.device_session_revoke)(session=session, reason="test", record=False)

    connected, code, _ = await sockets(browser)

    assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)


async def test_signing_out_other_devices_closes_their_sockets_and_keeps_this_one(sockets):
    user = await database_sync_to_async(_user)("lena")
    laptop = await database_sync_to_async(_browser)(user)
    stolen_phone = await database_sync_to_async(_browser)(user)
    _, _, laptop_socket = await sockets(laptop)
    _, _, phone_socket = await sockets(stolen_phone)

    response = await database_sync_to_async(laptop.post)("/api/v1/me/sessions/revoke-others")

    assert response.status_code == 200
    assert await _closed_with(phone_socket) == CLOSE_UNAUTHENTICATED
    assert await _still_open(laptop_socket)


async def test_revoking_one_session_closes_only_its_sockets(sockets):
    user = await database_sync_to_async(_user)("lena")
    laptop, phone = await database_sync_to_async(_browser)(user), await database_sync_to_async(_browser)(user)
    _, _, laptop_socket = await sockets(laptop)
    _, _, phone_socket = await sockets(phone)
    phone_session = await database_sync_to_async(_device_session)(phone)

    response = await database_sync_to_async(laptop.delete)(f"/api/v1/me/sessions/{phone_session.pk}")

    assert response.status_code == 204
    assert await _closed_with(phone_socket) == CLOSE_UNAUTHENTICATED
    assert await _still_open(laptop_socket)


async def test_a_ban_closes_every_socket_of_the_account(sockets):
    user = await database_sync_to_async(_user)("lena")
    moderator = await database_sync_to_async(_user)("mod")
    _, _, socket = await sockets(await database_sync_to_async(_browser)(user))

    await database_sync_to_async(services.user_ban)(actor=moderator, user=user, reason="spam")

    assert await _closed_with(socket) == CLOSE_UNAUTHENTICATED
