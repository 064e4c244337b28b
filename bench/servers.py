"""HTTP servers under benchmark: gunicorn (WSGI) or uvicorn (ASGI), each in its own process group.

The command lines are the ones `fanclub serve` runs (``fanclub.cli``), so the benchmark measures
the production server configuration; only the bind address, the application and (for uvicorn,
which production runs as one process for WebSockets) the worker count are changed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fanclub import cli

Interface = Literal["wsgi", "asgi"]
SERVER_NAMES: dict[str, str] = {"wsgi": "gunicorn", "asgi": "uvicorn"}
_PRODUCTION_APPS = {"wsgi": "config.wsgi:application", "asgi": "config.asgi:application"}
READY_TIMEOUT_SECONDS = 90


@dataclass
class Server:
    name: str
    interface: Interface
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM the whole process group (master and workers), SIGKILL whatever is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        # Workers may outlive a master that exited first; the group id is the master's pid.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 20, width: int = 400) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n".join(line if len(line) <= width else line[:width] + " [...]" for line in tail)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command(*, interface: Interface, application: str, port: int, workers: int) -> list[str]:
    cfg = {
        "HOST": "127.0.0.1",
        "PORT": port,
        "WS_PORT": port,
        "WEB_CONCURRENCY": workers,
        "LOG_LEVEL": "WARNING",
        "TRUSTED_PROXY_COUNT": 0,
    }
    if interface == "wsgi":
        production = cli._gunicorn_command(cfg)
    else:
        production = [*cli._uvicorn_command(cfg), "--workers", str(workers)]
    default_app = _PRODUCTION_APPS[interface]
    if default_app not in production:
        raise RuntimeError(f"fanclub.cli no longer serves {default_app}; update bench/servers.py")
    return [application if part == default_app else part for part in production]


def start(
    *,
    name: str,
    interface: Interface,
    application: str,
    env: dict[str, str],
    workers: int,
    cwd: Path,
    log_dir: Path,
    ready_path: str,
) -> Server:
    """Start a server on a free loopback port and return once ``ready_path`` answers 200."""
    port = free_port()
    log_path = log_dir / f"{name}-{interface}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command(interface=interface, application=application, port=port, workers=workers),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stopped as a whole, not hit by Ctrl-C
        )
    server = Server(name=name, interface=interface, port=port, process=process, log_path=log_path)
    try:
        _wait_until_ready(server, ready_path)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_problem = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} ({SERVER_NAMES[server.interface]}) exited with code "
                f"{server.process.returncode} before answering:\n{server.log_tail()}"
            )
        try:
            status, _, _ = fetch(server.base_url + path, timeout=5)
        except OSError as exc:
            last_problem = str(exc)
        else:
            if status == 200:
                return
            last_problem = f"HTTP {status}"
        time.sleep(0.2)
    raise RuntimeError(
        f"{server.name} ({SERVER_NAMES[server.interface]}) did not answer {path} within "
        f"{READY_TIMEOUT_SECONDS}s ({last_problem}):\n{server.log_tail()}"
    )


def fetch(url: str, *, timeout: float = 10) -> tuple[int, str, bytes]:
    """GET ``url``: status, Content-Type and body (error statuses are returned, not raised)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()
