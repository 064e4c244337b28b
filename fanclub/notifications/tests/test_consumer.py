"""A notify() reaches the recipient's open socket once its transaction commits (real ASGI app)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client

from fanclub.accounts import services as account_services
from fanclub.accounts.models import User
from fanclub.core.tests.websocket import WebsocketClient, notification_socket
from fanclub.notifications import constants as k
from fanclub.notifications import services

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in_user(handle: str) -> tuple[User, str]:
    user = account_services.user_create(
        email=f"{handle}@example.com", handle=handle, password="a-long-test-password"
    )
    client = Client()
    client.force_login(user)
    return user, client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
async def socket_for() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketClient] = []

    async def open_socket(handle: str) -> tuple[User, WebsocketClient]:
        user, session_key = await database_sync_to_async(_signed_in_user)(handle)
        communicator = notification_socket(session_key)
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"
        opened.append(communicator)
        return user, communicator

    yield open_socket
    for communicator in opened:
        await communicator.disconnect()


def _notify_in_transaction(*, recipient_id: int, actor_id: int, fail: bool = False) -> None:
    try:
        with transaction.atomic():
            services.notify(recipient_id=recipient_id, kind=k.NEW_FOLLOWER, actor_id=actor_id)
            if fail:
                raise RuntimeError("the caller's transaction fails")
    except RuntimeError:
        pass


async def test_notify_sends_the_rendered_notice_and_unread_count_on_commit(socket_for):
    creator, socket = await socket_for("lena")
    fan = await database_sync_to_async(account_services.user_create)(
        email="fan@example.com", handle="fan", password="a-long-test-password"
    )

    await database_sync_to_async(_notify_in_transaction)(recipient_id=creator.pk, actor_id=fan.pk, fail=True)
    await database_sync_to_async(_notify_in_transaction)(recipient_id=creator.pk, actor_id=fan.pk)
    frame = await socket.receive_json_from(timeout=10)  # the first frame: the rolled-back notice sent none

    assert frame["type"] == "notification"
    assert frame["unreadCount"] == 1
    assert frame["notification"]["kind"] == "new_follower"
    assert frame["notification"]["text"] == "fan started following you"
    assert frame["notification"]["actor"] == {"handle": "fan", "displayName": "fan"}
