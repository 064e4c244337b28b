"""Push events to a user's open sockets, after the transaction that caused them commits.

Sync code (gunicorn workers, the job worker, a shell) reaches the channel layer through
``group_send_many``: on the caller's event loop when the sync code runs under one (``sync_to_async``
in the ASGI process, whose layer connections belong to that loop), otherwise on one long-lived
event loop per process. asgiref's ``async_to_sync`` would build a new loop in a new thread for each
call, and channels_redis a new Redis connection for each loop: measured 2.5-4 ms of wall time and
2-2.8 ms of CPU per push, against 0.3 ms on the loop that stays (docs/benchmarks.md, "Messaging").
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from fanclub.core.consumers import user_group

_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def _process_loop() -> asyncio.AbstractEventLoop:
    """This process's layer loop, started on first use (again in a forked child: threads do not
    survive a fork)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-loop", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _caller_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop the calling sync code runs under (through ``sync_to_async``), if any: the
    loop ``async_to_sync`` goes back to (asgiref keeps it in this thread-local)."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


def run_from_sync(function: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``function()`` (a coroutine function) to completion from sync code and return its result;
    its exceptions propagate."""
    if _caller_loop() is not None:
        return async_to_sync(function)()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # called from async code: async_to_sync refuses it with a clear error
        return async_to_sync(function)()

    async def run() -> Any:
        return await function()

    return asyncio.run_coroutine_threadsafe(run(), _process_loop()).result()


def group_send_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send ``(group, message)`` pairs through the channel layer, in order, in one hop."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    run_from_sync(send_all)


def user_event_encoded(payload: dict[str, Any]) -> dict[str, Any]:
    """A layer message for ``NotificationConsumer.user_event`` whose payload is encoded here, once:
    each of the user's sockets then sends the same text instead of encoding the payload again."""
    return {"type": "user.event", "text": json.dumps(payload, separators=(",", ":"))}


def _user_send_on_commit(user_id: int, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: group_send_many([(user_group(user_id), message)]))


def user_event_send_on_commit(*, user_id: int, payload: dict[str, Any]) -> None:
    _user_send_on_commit(user_id, {"type": "user.event", "payload": payload})


def user_sockets_close_on_commit(
    *, user_id: int, credentials: list[str] | None, keep: str | None = None
) -> None:
    """After the transaction commits, close the user's sockets that ride on one of ``credentials``
    (None: every sign-in) except ``keep`` (``NotificationConsumer.user_close``)."""
    _user_send_on_commit(user_id, {"type": "user.close", "credentials": credentials, "keep": keep})
