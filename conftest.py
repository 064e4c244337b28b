"""Fixtures shared by every test: real PostgreSQL (pytest-django), real Redis, real job workers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


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
        self.process = subprocess.Popen(  # noqa: S603
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
