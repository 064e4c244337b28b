"""Reaching the channel layer from sync code: one event loop per process, or the caller's."""

from __future__ import annotations

import asyncio
import threading

from asgiref.sync import sync_to_async

from fanclub.core import realtime


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_sync_code_reaches_the_layer_on_one_loop_that_stays():
    # async_to_sync would build a new loop (and channels_redis a new Redis connection) per push.
    first = realtime.run_from_sync(_running_loop)
    second = realtime.run_from_sync(_running_loop)

    assert first is second
    assert first.is_running() and not first.is_closed()


def test_results_and_exceptions_come_back_to_the_caller():
    async def fails() -> None:
        raise LookupError("from the loop")

    async def answer() -> int:
        return 42

    assert realtime.run_from_sync(answer) == 42
    try:
        realtime.run_from_sync(fails)
    except LookupError as exc:
        assert str(exc) == "from the loop"
    else:
        raise AssertionError("the exception was lost")


def test_concurrent_callers_share_the_loop():
    loops: list[asyncio.AbstractEventLoop] = []
    threads = [
        threading.Thread(target=lambda: loops.append(realtime.run_from_sync(_running_loop))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(loops) == 4 and len(set(map(id, loops))) == 1


async def test_sync_code_under_an_event_loop_goes_back_to_that_loop():
    # In the ASGI process the layer's connections belong to the server's loop: use it.
    used = await sync_to_async(realtime.run_from_sync)(_running_loop)

    assert used is asyncio.get_running_loop()
