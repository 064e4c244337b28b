"""Pushes after commit: each new message goes to every open socket of both users.

The events of one transaction are sent together, in one hop into the channel layer's event loop
(``core.realtime.group_send_many``: a loop that stays, not a new loop and Redis connection per
push), the recipient's first: that is the delivery users wait for. Each event is encoded to JSON
once, here, not once per socket; one transaction gives each socket one frame.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fanclub.core import realtime
from fanclub.core.consumers import user_group
from fanclub.messaging import presenters, selectors
from fanclub.messaging.models import Message


def events_send_on_commit(*, events: list[tuple[int, dict[str, Any]]]) -> None:
    """After commit, push each ``(user_id, payload)`` to that user's sockets, in order."""
    messages = [(user_group(user_id), realtime.user_event_encoded(payload)) for user_id, payload in events]
    transaction.on_commit(lambda: realtime.group_send_many(messages))


def message_events(
    *, message: Message, unread_total: int, access: dict[str, Any] | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """``message.new`` for the recipient (their view: locked or not, with ``unreadCount``, their
    unread total as the send left it, for the header badge), and ``message.new`` for the sender's
    other tabs. Signed URLs in each view are bound to that user."""
    recipient_view = presenters.event(message, viewer_id=message.recipient_id, **(access or {}))
    # The badge count rides on the same frame: one frame per socket, not two.
    recipient_view["unreadCount"] = unread_total
    events = [(message.recipient_id, recipient_view)]
    if message.sender_id != message.recipient_id:
        events.append((message.sender_id, presenters.event(message, viewer_id=message.sender_id)))
    return events


def message_push_on_commit(
    *, message: Message, unread_total: int, access: dict[str, Any] | None = None
) -> None:
    """Messages are committed before they are pushed, so a socket that misses a push (closed, or
    its process restarted) gets the message back through ``resume``."""
    events_send_on_commit(events=message_events(message=message, unread_total=unread_total, access=access))


def unread_push_on_commit(*, user_id: int) -> None:
    """The header badge in every tab: the user's unread total as this transaction leaves it."""
    payload = {"type": "messages.unread", "count": selectors.unread_total(user_id=user_id)}
    events_send_on_commit(events=[(user_id, payload)])
