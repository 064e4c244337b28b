"""Messaging frames on the user's socket (``/ws/notifications/``), registered with the core consumer.

Client -> server:
  {"type": "typing", "conversationId": 12}                      the other side sees "typing..."
  {"type": "read", "conversationId": 12, "lastMessageId": 345}  read receipt (+ badge in every tab)
  {"type": "resume", "lastMessageId": 345}                      replay what this client missed
  {"type": "presence.query", "userIds": [7, 9]}                 who of them is online now
Server -> client: "message.new", "message.read", "messages.unread", "typing", "presence",
"resume.done", "message.purchased", or an "error" frame (bad ids, foreign conversations...).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache

from fanclub.core import realtime
from fanclub.core.consumers import (
    NotificationConsumer,
    register_connection_hooks,
    register_frame_handler,
    user_group,
)
from fanclub.core.errors import ApiError, NotFound
from fanclub.messaging import presenters, selectors, services
from fanclub.messaging.constants import PRESENCE_TTL_SECONDS, RESUME_LIMIT

MAX_PRESENCE_IDS = 200


def _int(frame: dict[str, Any], name: str) -> int:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(f'"{name}" must be a non-negative integer.', code="invalid_frame", status=422)
    return value


@database_sync_to_async
def _conversations(user_id: int) -> dict[int, int]:
    return selectors.conversation_ids_for_user(user_id=user_id)


async def _other_side(consumer: NotificationConsumer, conversation_id: int) -> int:
    """The other user of one of the consumer's conversations (cached per socket, reloaded once
    for a conversation opened after the socket connected)."""
    known: dict[int, int] | None = consumer.state.get("conversations")
    if known is None or conversation_id not in known:
        known = await _conversations(consumer.user.pk)
        consumer.state["conversations"] = known
    if conversation_id not in known:
        raise NotFound("No such conversation.")
    return known[conversation_id]


async def typing(consumer: NotificationConsumer, frame: dict[str, Any]) -> None:
    """Relay a typing signal to the other side's sockets; nothing is stored."""
    conversation_id = _int(frame, "conversationId")
    other_id = await _other_side(consumer, conversation_id)
    blocked = await database_sync_to_async(_blocked)(consumer.user.pk, other_id)
    if blocked:
        raise ApiError("You cannot message this user.", code="blocked", status=403)
    await consumer.channel_layer.group_send(
        user_group(other_id),
        realtime.user_event_encoded(
            {"type": "typing", "conversationId": conversation_id, "userId": consumer.user.pk}
        ),
    )


def _blocked(user_id: int, other_id: int) -> bool:
    from fanclub.social.selectors import is_blocked_either_way

    return is_blocked_either_way(user_id=user_id, other_id=other_id)


async def read(consumer: NotificationConsumer, frame: dict[str, Any]) -> None:
    conversation_id = _int(frame, "conversationId")
    last_id = _int(frame, "lastMessageId") if "lastMessageId" in frame else None
    await database_sync_to_async(services.conversation_mark_read)(
        user=consumer.user, conversation_id=conversation_id, last_message_id=last_id
    )


def _resume_frames(user_id: int, last_id: int) -> list[dict[str, Any]]:
    messages, more = selectors.messages_since(user_id=user_id, last_id=last_id, limit=RESUME_LIMIT)
    access = selectors.access_for(viewer_id=user_id, messages=messages)
    frames = [presenters.event(message, viewer_id=user_id, **access) for message in messages]
    newest = max([last_id, *(m.pk for m in messages)])
    frames.append({"type": "resume.done", "lastMessageId": newest, "more": more, "count": len(messages)})
    return frames


async def resume(consumer: NotificationConsumer, frame: dict[str, Any]) -> None:
    """Replay the user's messages after ``lastMessageId`` (oldest first), then "resume.done"; the
    client repeats with the new id while ``more``. Events pushed meanwhile may repeat a replayed
    message: clients keep messages by id."""
    last_id = _int(frame, "lastMessageId")
    for payload in await database_sync_to_async(_resume_frames)(consumer.user.pk, last_id):
        await consumer.send_json(payload)


def _presence_key(user_id: int) -> str:
    return f"messaging:presence:{user_id}"


async def presence_query(consumer: NotificationConsumer, frame: dict[str, Any]) -> None:
    """Who among ``userIds`` is online; only people the user has a conversation with are answered
    (presence is not public)."""
    ids = frame.get("userIds")
    if not isinstance(ids, list) or len(ids) > MAX_PRESENCE_IDS or not all(isinstance(i, int) for i in ids):
        raise ApiError(
            f'"userIds" is a list of at most {MAX_PRESENCE_IDS} integers.', code="invalid_frame", status=422
        )
    partners = set((await _conversations(consumer.user.pk)).values())
    asked = [i for i in ids if i in partners]
    found = await database_sync_to_async(cache.get_many)([_presence_key(i) for i in asked])
    online = sorted(i for i in asked if (found.get(_presence_key(i)) or 0) > 0)
    await consumer.send_json({"type": "presence", "online": online, "userIds": asked})


def _presence_change(user_id: int, delta: int) -> None:
    key = _presence_key(user_id)
    if delta > 0:
        cache.add(key, 0, PRESENCE_TTL_SECONDS)
        try:
            cache.incr(key, delta)
        except ValueError:
            cache.set(key, delta, PRESENCE_TTL_SECONDS)
        cache.touch(key, PRESENCE_TTL_SECONDS)
    else:
        try:
            if cache.decr(key, -delta) <= 0:
                cache.delete(key)
        except ValueError:
            pass


async def on_connect(consumer: NotificationConsumer) -> None:
    await database_sync_to_async(_presence_change)(consumer.user.pk, 1)


async def on_disconnect(consumer: NotificationConsumer) -> None:
    await database_sync_to_async(_presence_change)(consumer.user.pk, -1)


async def on_ping(consumer: NotificationConsumer) -> None:
    # Keep the counter alive while sockets are open; a crashed process's sockets expire with it.
    key = _presence_key(consumer.user.pk)
    if not await database_sync_to_async(cache.touch)(key, PRESENCE_TTL_SECONDS):
        await database_sync_to_async(_presence_change)(consumer.user.pk, 1)


def register() -> None:
    register_frame_handler("typing", typing)
    register_frame_handler("read", read)
    register_frame_handler("resume", resume)
    register_frame_handler("presence.query", presence_query)
    register_connection_hooks(on_connect=on_connect, on_disconnect=on_disconnect, on_ping=on_ping)
