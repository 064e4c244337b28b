"""Shared browser-test fixtures: Debian's Chromium under Playwright, and the WebSocket server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

CHROMIUM_PATH = "/usr/bin/chromium"
# Headless, no sandbox (root in CI), and nothing that reaches the (closed) network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def chromium() -> Iterator[object]:
    """A launched Chromium browser (never `playwright install`: Debian's package is used)."""
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default; a loaded CI machine has taken longer to render a page.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def websocket_server(settings) -> Iterator[int]:
    """config.asgi under uvicorn for the signed-in pages' live socket (/ws/), as `fanclub serve`."""
    import uvicorn

    from config.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    settings.WS_PUBLIC_PORT = port
    yield port
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def redis_channel_layer(settings, redis_url: str) -> Iterator[None]:
    """Jobs (another thread) and uvicorn exchange socket events through Redis, as in production;
    the read timeout outlasts channels_redis's 5 s blocking receive (see config/settings.py)."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def in_thread(function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run database work while Playwright's sync API owns this thread's event loop: in another
    thread with its own connection (closed after, so the test database can be dropped)."""
    from django.db import connections

    def run() -> Any:
        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
