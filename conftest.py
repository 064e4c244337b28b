"""Fixtures shared by every test: real PostgreSQL (pytest-django), real Redis, real job workers."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Assertion helpers imported by test modules get pytest's detailed failure messages too.
pytest.register_assert_rewrite("fanclub.core.tests.assertions", "fanclub.core.tests.websocket")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server the test run starts itself (when REDIS_URL is not provided)."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "Redis-backed tests need Redis: set REDIS_URL, or install redis-server "
                "(`make test` installs it with apt)."
            )
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: REDIS_URL from the environment of the run, or one started for the run."""
    import redis

    url = os.environ.get("FANCLUB_TEST_REDIS_URL", "")
    server = None
    if not url:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
        url = server.url
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:  # pragma: no cover - environment problem, fail loudly
        raise RuntimeError(f"Redis at {url} is not reachable: {exc}") from exc
    yield url
    if server:
        server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop (dependency-failure tests)."""
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    from fanclub.core import ratelimit

    ratelimit.set_backend(None)
    yield
    ratelimit.set_backend(None)


PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


@pytest.fixture(autouse=True)
def _empty_job_queue(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a transactional test, empty Procrastinate's tables too.

    Django's flush skips them (their models are unmanaged), so jobs, periodic defers and workers
    committed by one test would otherwise reach the next: a job it did not expect, a queueing lock
    already taken, a worker heartbeat.
    """
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if not (transactional or {"transactional_db", "live_server"} & set(request.fixturenames)):
        return
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(PROCRASTINATE_TABLES)} CASCADE")


@pytest.fixture
def run_jobs() -> Callable[..., None]:
    """Run every due job with a real Procrastinate worker (needs `transactional_db`)."""
    from fanclub.core.jobs import run_pending_jobs

    return run_pending_jobs


@pytest.fixture
def make_user(db: None) -> Callable[..., object]:
    from fanclub.accounts import services
    from fanclub.accounts.constants import Role

    counter = {"n": 0}

    def make(
        role: str = Role.FAN, handle: str | None = None, password: str = "a-long-test-password"
    ) -> object:
        counter["n"] += 1
        handle = handle or f"user{counter['n']}"
        return services.user_create(
            email=f"{handle}@example.com", handle=handle, password=password, role=role
        )

    return make


class WorkerThread:
    """A real Procrastinate worker (its own event loop and connection) running in a thread.

    It registers itself and sends heartbeats exactly like `fanclub worker`; it belongs to a private
    app with no tasks, listening on a queue nothing uses, so it never takes the test's jobs.
    """

    def __init__(self) -> None:
        from procrastinate import App, PsycopgConnector
        from procrastinate.contrib.django.utils import connector_params

        self.app = App(connector=PsycopgConnector(kwargs=connector_params("default")))
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None
        self.scheduled = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-procrastinate-worker", daemon=True)

    def _run(self) -> None:
        async def work() -> None:
            async with self.app.open_async():
                await self.app.run_worker_async(
                    queues=["test-heartbeat-only"],
                    wait=True,
                    install_signal_handlers=False,
                    listen_notify=False,
                    name="test-worker",
                )

        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(work())
        self.scheduled.set()
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def start(self) -> int:
        """Start the worker; returns its id once it has registered in procrastinate_workers."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
            (before,) = cursor.fetchone()
        self.thread.start()
        self.scheduled.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM procrastinate_workers WHERE id > %s ORDER BY id", [before])
                rows = cursor.fetchall()
            if rows:
                return int(rows[-1][0])
            time.sleep(0.02)
        raise RuntimeError("the test worker did not register")

    def stop(self) -> None:
        """Stop gracefully: the worker unregisters (deletes its heartbeat row) on the way out."""
        if self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(15)
        assert not self.thread.is_alive(), "the test worker did not stop"


@pytest.fixture
def worker_thread(django_db_setup: None) -> Iterator[WorkerThread]:
    """A real Procrastinate worker the test starts (and may stop) itself; stopped at teardown."""
    worker = WorkerThread()
    yield worker
    if worker.thread.is_alive():
        worker.stop()


@pytest.fixture
def running_worker(worker_thread: WorkerThread, django_db_blocker: object) -> int:
    """A live Procrastinate worker for the test's duration; its worker id."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        return worker_thread.start()
