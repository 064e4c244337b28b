"""The user's live socket, through the real ASGI application (origin check, session auth, routing)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client

from fanclub.accounts import services
from fanclub.accounts.models import User
from fanclub.core import realtime
from fanclub.core.consumers import CLOSE_UNAUTHENTICATED, MAX_FRAME_BYTES
from fanclub.core.tests.websocket import WebsocketClient, notification_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in_user(handle: str) -> tuple[User, str]:
    user = services.user_create(email=f"{handle}@example.com", handle=handle, password="a-long-test-password")
    client = Client()
    client.force_login(user)
    return user, client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _communicator(session_key: str | None = None, origin: str = "http://localhost") -> WebsocketClient:
    return notification_socket(session_key, origin=origin)


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """Opens sockets as a signed-in user; every socket is closed at teardown."""
    opened: list[WebsocketClient] = []

    async def open_socket(handle: str) -> tuple[User, WebsocketClient]:
        user, session_key = await database_sync_to_async(_signed_in_user)(handle)
        communicator = _communicator(session_key)
        connected, _ = await communicator.connect()
        assert connected
        opened.append(communicator)
        hello = await communicator.receive_json_from()
        assert hello["type"] == "hello"
        return user, communicator

    yield open_socket
    for communicator in opened:
        await communicator.disconnect()


async def test_anonymous_socket_is_closed_with_4401():
    communicator = _communicator()

    connected, code = await communicator.connect()

    assert connected is False
    assert code == CLOSE_UNAUTHENTICATED == 4401


async def test_invalid_session_is_treated_as_anonymous():
    communicator = _communicator(session_key="not-a-real-session-key")

    assert await communicator.connect() == (False, 4401)


async def test_foreign_origin_is_refused():
    _, session_key = await database_sync_to_async(_signed_in_user)("origin.check")
    communicator = _communicator(session_key, origin="https://evil.example")

    connected, _ = await communicator.connect()

    assert connected is False


async def test_signed_in_user_gets_hello_then_pong():
    user, session_key = await database_sync_to_async(_signed_in_user)("hello.user")
    communicator = _communicator(session_key)
    assert (await communicator.connect())[0] is True

    hello = await communicator.receive_json_from()
    await communicator.send_json_to({"type": "ping", "id": "p-1"})
    pong = await communicator.receive_json_from()

    assert hello == {"type": "hello", "userId": user.pk, "serverTime": hello["serverTime"]}
    assert hello["serverTime"].endswith("Z")
    assert pong == {"type": "pong", "serverTime": pong["serverTime"], "echo": "p-1"}
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "not json {"}, "malformed_json"),
        ({"bytes_data": b"\x00\x01binary"}, "unsupported_frame"),
        ({"text_data": "x" * (MAX_FRAME_BYTES + 1)}, "frame_too_large"),
        ({"text_data": "é" * (MAX_FRAME_BYTES // 2 + 1)}, "frame_too_large"),
        ({"text_data": "[1, 2, 3]"}, "invalid_frame"),
        ({"text_data": '{"id": 1}'}, "invalid_frame"),
        ({"text_data": '{"type": 7}'}, "invalid_frame"),
        ({"text_data": '{"type": "subscribe"}'}, "unknown_type"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(connect, frame, code):
    _, communicator = await connect("frames")

    await communicator.send_to(**frame)
    error = await communicator.receive_json_from()

    assert error["type"] == "error"
    assert error["error"]["code"] == code
    assert isinstance(error["error"]["message"], str)
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"


async def test_frame_at_the_size_limit_is_accepted(connect):
    _, communicator = await connect("big.frame")
    envelope = json.dumps({"type": "ping", "id": ""})
    frame = json.dumps({"type": "ping", "id": "x" * (MAX_FRAME_BYTES - len(envelope))})
    assert len(frame.encode()) == MAX_FRAME_BYTES

    await communicator.send_to(text_data=frame)

    assert (await communicator.receive_json_from())["type"] == "pong"


async def _in_transaction(user_id: int, payload: dict[str, Any], *, commit: bool, communicator) -> None:
    """Send an event from inside a transaction; check nothing arrives while it is still open."""
    entered, release = threading.Event(), threading.Event()

    def change() -> None:
        try:
            with transaction.atomic():
                User.objects.filter(pk=user_id).update(display_name="Changed live")
                realtime.user_event_send_on_commit(user_id=user_id, payload=payload)
                entered.set()
                assert release.wait(10)
                if not commit:
                    raise _Rollback
        except _Rollback:
            pass

    pending = asyncio.ensure_future(database_sync_to_async(change)())
    assert await sync_to_async(entered.wait, thread_sensitive=False)(10)
    assert await communicator.receive_nothing(timeout=0.3)
    release.set()
    await pending


class _Rollback(Exception):
    pass


async def test_event_is_delivered_after_commit_and_only_to_its_user(connect):
    alice, alice_socket = await connect("alice")
    _, bob_socket = await connect("bob")

    await _in_transaction(alice.pk, {"type": "profile.updated"}, commit=True, communicator=alice_socket)

    assert await alice_socket.receive_json_from(timeout=10) == {"type": "profile.updated"}
    assert await bob_socket.receive_nothing(timeout=0.3)


async def test_event_is_never_delivered_when_the_transaction_rolls_back(connect):
    user, socket = await connect("rollback")

    await _in_transaction(user.pk, {"type": "profile.updated"}, commit=False, communicator=socket)

    assert await socket.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(lambda: User.objects.get(pk=user.pk).display_name)() == ""


async def test_every_open_socket_of_the_user_receives_the_event(connect):
    user, first = await connect("two.tabs")
    session_key = await database_sync_to_async(_login_again)(user)
    second = _communicator(session_key)
    assert (await second.connect())[0]
    await second.receive_json_from()

    await database_sync_to_async(_send_committed)(user.pk, {"type": "ping.all"})

    assert await first.receive_json_from(timeout=10) == {"type": "ping.all"}
    assert await second.receive_json_from(timeout=10) == {"type": "ping.all"}
    await second.disconnect()


async def test_closed_socket_leaves_the_group(connect):
    user, socket = await connect("leaver")
    await socket.disconnect()

    await database_sync_to_async(_send_committed)(user.pk, {"type": "after.close"})

    layer = get_channel_layer()
    assert layer.groups.get(f"user.{user.pk}", {}) == {}


def _login_again(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _send_committed(user_id: int, payload: dict[str, Any]) -> None:
    with transaction.atomic():
        realtime.user_event_send_on_commit(user_id=user_id, payload=payload)


@pytest.fixture
def redis_channel_layer(settings, redis_url) -> dict[str, Any]:
    config = {"hosts": [redis_url], "prefix": f"test-{uuid.uuid4().hex}"}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}
    }
    return config


async def test_an_encoded_event_is_relayed_as_is_without_a_thread_hop(connect, monkeypatch):
    import channels.consumer

    hops: list[str] = []

    async def counted() -> None:
        hops.append("close_old_connections")

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    user, socket = await connect("encoded.user")
    hops.clear()  # the connect was dispatched as usual
    layer = get_channel_layer()
    text = realtime.user_event_encoded({"type": "encoded", "n": 1})["text"]

    await layer.group_send(f"user.{user.pk}", {"type": "user.event", "text": text})
    await layer.group_send(f"user.{user.pk}", {"type": "user.event", "payload": {"type": "plain"}})

    assert (await socket.receive_output(3))["text"] == '{"type":"encoded","n":1}'
    assert await socket.receive_json_from(timeout=10) == {"type": "plain"}
    # Channels' per-message close_old_connections hop is skipped: relaying touches no database.
    assert hops == []
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=10))["type"] == "pong"
    assert hops == ["close_old_connections"]  # client frames are dispatched as usual


async def test_events_cross_processes_through_the_redis_channel_layer(connect, redis_channel_layer):
    from channels_redis.core import RedisChannelLayer

    user, socket = await connect("redis.user")

    # The web process that committed the change and the one holding the socket share only Redis.
    await database_sync_to_async(_send_committed)(user.pk, {"type": "via.redis"})
    another_process = RedisChannelLayer(**redis_channel_layer)
    await another_process.group_send(
        f"user.{user.pk}", {"type": "user.event", "payload": {"type": "from.worker"}}
    )

    assert await socket.receive_json_from(timeout=10) == {"type": "via.redis"}
    assert await socket.receive_json_from(timeout=10) == {"type": "from.worker"}
    await another_process.flush()
    await another_process.close_pools()
