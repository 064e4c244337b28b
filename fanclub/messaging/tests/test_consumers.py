"""Messaging over the user's socket, through the real ASGI application (Channels communicator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from fanclub.accounts.constants import Role
from fanclub.content.tests.factories import make_creator, ready_media
from fanclub.core.tests.websocket import WebsocketClient, notification_socket
from fanclub.messaging import services
from fanclub.messaging.models import Participant
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db(transaction=True)


def _session(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
async def socket_for() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketClient] = []

    async def open_socket(user: Any) -> WebsocketClient:
        session = await database_sync_to_async(_session)(user)
        socket = notification_socket(session)
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from())["type"] == "hello"
        opened.append(socket)
        return socket

    cache.clear()
    yield open_socket
    for socket in opened:
        await socket.disconnect()


@database_sync_to_async
def _pair(make_user: Callable[..., Any]) -> tuple[Any, Any, int]:
    creator = make_creator(make_user, "ws.creator")
    fan = make_user(Role.FAN, handle="ws.fan")
    participant = services.conversation_open(user=fan, handle=creator.handle)
    return fan, creator, participant.conversation_id


@database_sync_to_async
def _send(sender: Any, conversation_id: int, text: str = "hi", **fields: Any) -> Any:
    return services.message_send(sender=sender, conversation_id=conversation_id, text=text, **fields)


async def _next(socket: WebsocketClient, frame_type: str) -> dict[str, Any]:
    """The next frame of ``frame_type`` (other live events, e.g. badges, may come first)."""
    for _ in range(10):
        frame = await socket.receive_json_from(timeout=10)
        if frame["type"] == frame_type:
            return frame
    raise AssertionError(f"no {frame_type} frame")


async def test_new_message_reaches_every_tab_of_the_recipient_and_the_sender(make_user, socket_for):
    fan, creator, cid = await _pair(make_user)
    tab1, tab2, sender_tab = await socket_for(creator), await socket_for(creator), await socket_for(fan)

    message = await _send(fan, cid, "hello live")

    for socket in (tab1, tab2):
        frame = await _next(socket, "message.new")
        assert (frame["message"]["id"], frame["message"]["text"], frame["unreadCount"]) == (
            message.pk,
            "hello live",
            1,
        )
    frame = await _next(sender_tab, "message.new")
    assert frame["message"]["id"] == message.pk
    assert "unreadCount" not in frame  # the sender's own view carries no badge count


async def test_paid_message_arrives_locked_for_the_recipient(make_user, socket_for, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    fan, creator, cid = await _pair(make_user)
    photo = await database_sync_to_async(ready_media)(creator)
    fan_socket, creator_socket = await socket_for(fan), await socket_for(creator)

    await _send(creator, cid, "for you", media_ids=[photo.pk], price_minor=500)

    locked = (await _next(fan_socket, "message.new"))["message"]
    own = (await _next(creator_socket, "message.new"))["message"]
    assert (locked["isLocked"], locked["priceMinor"]) == (True, 500)
    assert [v["name"] for v in locked["media"][0]["variants"]] == ["blurred"]
    assert own["isLocked"] is False and "display" in [v["name"] for v in own["media"][0]["variants"]]


async def test_typing_is_relayed_to_the_other_side_only(make_user, socket_for):
    fan, creator, cid = await _pair(make_user)
    fan_socket, creator_socket = await socket_for(fan), await socket_for(creator)

    await fan_socket.send_json_to({"type": "typing", "conversationId": cid})

    assert await creator_socket.receive_json_from(timeout=10) == {
        "type": "typing",
        "conversationId": cid,
        "userId": fan.pk,
    }
    assert await fan_socket.receive_nothing(timeout=0.3)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "typing", "conversationId": 999999}, "not_found"),
        ({"type": "typing", "conversationId": "12"}, "invalid_frame"),
        ({"type": "typing"}, "invalid_frame"),
        ({"type": "read", "conversationId": 999999}, "not_found"),
        ({"type": "resume", "lastMessageId": -1}, "invalid_frame"),
        ({"type": "presence.query", "userIds": "all"}, "invalid_frame"),
    ],
)
async def test_bad_messaging_frames_get_error_frames(make_user, socket_for, frame, code):
    fan, _, _ = await _pair(make_user)
    socket = await socket_for(fan)

    await socket.send_json_to({**frame, "id": "f-1"})
    error = await socket.receive_json_from()

    assert error["type"] == "error"
    assert (error["error"]["code"], error["frameType"], error["echo"]) == (code, frame["type"], "f-1")
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from())["type"] == "pong"


async def test_typing_into_a_blocked_conversation_is_refused(make_user, socket_for):
    fan, creator, cid = await _pair(make_user)
    await database_sync_to_async(social_services.block_create)(blocker=creator, blocked=fan)
    fan_socket, creator_socket = await socket_for(fan), await socket_for(creator)

    await fan_socket.send_json_to({"type": "typing", "conversationId": cid})

    assert (await fan_socket.receive_json_from())["error"]["code"] == "blocked"
    assert await creator_socket.receive_nothing(timeout=0.3)


async def test_read_frame_sends_a_receipt_and_clears_the_badge(make_user, socket_for):
    fan, creator, cid = await _pair(make_user)
    message = await _send(fan, cid, "read me")
    fan_socket, creator_socket = await socket_for(fan), await socket_for(creator)

    await creator_socket.send_json_to({"type": "read", "conversationId": cid, "lastMessageId": message.pk})

    receipt = await _next(fan_socket, "message.read")
    assert receipt == {
        "type": "message.read",
        "conversationId": cid,
        "userId": creator.pk,
        "lastReadMessageId": message.pk,
    }
    assert (await _next(creator_socket, "messages.unread"))["count"] == 0
    state = await database_sync_to_async(Participant.objects.get)(user=creator)
    assert (state.last_read_message_id, state.unread_count) == (message.pk, 0)


async def test_resume_replays_exactly_what_was_missed(make_user, socket_for):
    fan, creator, cid = await _pair(make_user)
    seen = await _send(fan, cid, "seen before the disconnect")
    missed = [await _send(creator, cid, f"missed {i}") for i in range(3)]
    socket = await socket_for(fan)

    await socket.send_json_to({"type": "resume", "lastMessageId": seen.pk})
    frames = [await socket.receive_json_from() for _ in range(4)]

    replayed = [
        f["message"]["id"] for f in frames if f["type"] == "message.new" and f["message"]["id"] > seen.pk
    ]
    assert replayed == [m.pk for m in missed]
    assert frames[-1] == {"type": "resume.done", "lastMessageId": missed[-1].pk, "more": False, "count": 3}


async def test_presence_only_for_conversation_partners(make_user, socket_for):
    fan, creator, _ = await _pair(make_user)
    stranger = await database_sync_to_async(make_user)(Role.FAN, handle="ws.stranger")
    await socket_for(creator)
    await socket_for(stranger)
    fan_socket = await socket_for(fan)

    await fan_socket.send_json_to({"type": "presence.query", "userIds": [creator.pk, stranger.pk]})
    answer = await fan_socket.receive_json_from()

    assert answer == {"type": "presence", "online": [creator.pk], "userIds": [creator.pk]}


async def test_presence_goes_offline_when_the_last_socket_closes(make_user, socket_for):
    fan, creator, _ = await _pair(make_user)
    creator_socket = await socket_for(creator)
    fan_socket = await socket_for(fan)
    await creator_socket.disconnect()

    await fan_socket.send_json_to({"type": "presence.query", "userIds": [creator.pk]})

    assert (await fan_socket.receive_json_from())["online"] == []
