"""Delivery across two real uvicorn processes sharing only PostgreSQL and Redis (the channel layer):
the sender's request is served by one process, the receiver's socket is held by the other. Then the
receiver's process is killed mid-conversation and restarted: the reconnecting client gets what it
missed through "resume", exactly once, and live delivery carries on."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from fanclub.accounts import services as account_services
from fanclub.accounts.constants import Role
from fanclub.content.tests.factories import make_creator
from fanclub.messaging import services

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``uvicorn config.asgi:application`` in its own process, configured only by environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                assert self.process.poll() is None, "uvicorn exited"
                time.sleep(0.1)
        raise AssertionError("uvicorn did not start")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as when a web process crashes."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server_env(redis_url: str, redis_client: Any) -> dict[str, str]:
    redis_client.flushdb()
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FANCLUB_MODE": "development",
        "DEBUG": "false",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
    }
    env.pop("FANCLUB_TEST_REDIS_URL", None)
    return env


@pytest.fixture
def servers(server_env: dict[str, str]) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return (
        f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    )


@contextlib.contextmanager
def _ws(server: Server, cookie: str) -> Iterator[Any]:
    from websockets.sync.client import connect

    with connect(
        f"ws://127.0.0.1:{server.port}/ws/notifications/",
        additional_headers={"Cookie": cookie, "Origin": f"http://localhost:{server.port}"},
        open_timeout=10,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        yield ws


def _frames(ws: Any, until: str, timeout: float = 10) -> list[dict[str, Any]]:
    frames = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        frames.append(frame)
        if frame["type"] == until:
            return frames
    raise AssertionError(f"no {until} frame in {frames}")


def _no_more_messages(ws: Any, wait: float = 1.0) -> list[dict[str, Any]]:
    got = []
    deadline = time.monotonic() + wait
    while True:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            return got
        if frame["type"] == "message.new":
            got.append(frame)


def _messages_then_quiet(
    ws: Any, *, count: int, timeout: float = 10, quiet: float = 3
) -> list[dict[str, Any]]:
    """The next ``count`` message frames (waiting up to ``timeout`` s for them: a loaded machine is
    slow), then any that arrive in the ``quiet`` s after (a duplicate would)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        if frame["type"] == "message.new":
            got.append(frame)
    return got + _no_more_messages(ws, wait=quiet)


def _send_over_http(
    server: Server, token: str, conversation_id: int, text: str, client_id: str
) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/messaging/conversations/{conversation_id}/messages",
        data=json.dumps({"text": text, "clientId": client_id}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "localhost"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 201
        return json.loads(response.read())


def test_sender_on_one_process_receiver_on_another_and_a_restart_loses_nothing(
    servers, server_env, make_user
):
    creator = make_creator(make_user, "two.creator")
    fan = make_user(Role.FAN, handle="two.fan")
    conversation_id = services.conversation_open(user=fan, handle=creator.handle).conversation_id
    token = account_services.api_token_create(user=fan, name="two-process", scopes=["read", "write"]).secret
    creator_cookie = _session_cookie(creator)
    sender_process, receiver_process = Server(server_env).start(), Server(server_env).start()
    servers.extend([sender_process, receiver_process])

    # 1. Live: sent through process A, delivered to the socket held by process B.
    with _ws(receiver_process, creator_cookie) as receiver:
        first = _send_over_http(sender_process, token, conversation_id, "across processes", "c-1")
        live = [f for f in _frames(receiver, "message.new") if f["type"] == "message.new"]
        assert [f["message"]["id"] for f in live] == [first["id"]]
        last_seen = first["id"]

        # 2. The receiver's process dies; two messages are sent meanwhile (one retried by its client).
        receiver_process.kill()
        missed = [
            _send_over_http(sender_process, token, conversation_id, f"while down {i}", f"c-down-{i}")
            for i in range(2)
        ]
        retried = _send_over_http(sender_process, token, conversation_id, "while down 1", "c-down-1")
        assert retried["id"] == missed[1]["id"]

    # 3. A new process; the client reconnects and resumes from its last seen id.
    restarted = Server(server_env).start()
    servers.append(restarted)
    with _ws(restarted, creator_cookie) as receiver:
        receiver.send(json.dumps({"type": "resume", "lastMessageId": last_seen}))
        frames = _frames(receiver, "resume.done")
        replayed = [
            f["message"]["id"]
            for f in frames
            if f["type"] == "message.new" and f["message"]["id"] > last_seen
        ]
        assert replayed == [m["id"] for m in missed]
        assert frames[-1]["lastMessageId"] == missed[-1]["id"]

        # 4. Live delivery carries on, once, also after the socket sat idle longer than the
        # channel layer's 5 s blocking read (redis-py 8's default socket timeout used to kill it).
        after = _send_over_http(sender_process, token, conversation_id, "after the restart", "c-after")
        assert [f["message"]["id"] for f in _messages_then_quiet(receiver, count=1)] == [after["id"]]
        time.sleep(7)
        later = _send_over_http(sender_process, token, conversation_id, "after a pause", "c-later")
        assert [f["message"]["id"] for f in _messages_then_quiet(receiver, count=1)] == [later["id"]]
