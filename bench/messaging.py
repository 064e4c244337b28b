"""`messaging_fanout`: one message delivered to N open WebSocket connections, ours vs a bare
Channels consumer, same Redis channel layer, same uvicorn, same client, same run.

ours  config.asgi (session auth, origin check, NotificationConsumer). N sockets of one recipient
      (every tab and device of theirs). A helper process calls ``messaging.services.message_send``:
      the row is written to PostgreSQL, and on commit the event goes through the layer to every
      socket (plus the unread badge and the notifications app's event, as in production).
bare  bench.messaging_bare: a consumer that joins one group and echoes; a helper process calls
      ``group_send`` with a payload of the same size.

Measured per round: from the helper's clock just before the call to the last socket's receipt of
the message (time to last delivery), and N / that time (messages delivered per second). Rounds
alternate ours/bare; the median of each is reported. Ratio = bare time / ours time (goal >= 0.7).
N: BENCH_MESSAGING_CONNECTIONS (default "100,1000"); rounds: BENCH_MESSAGING_ROUNDS (default 7).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import servers
from bench.context import Context
from config.options import BASE_DIR

GOAL = 0.7
TEXT = "Hello from the benchmark! " * 4

SETUP = """
import json
from django.test import Client
from django.conf import settings
from fanclub.accounts import services as accounts
from fanclub.accounts.models import User
from fanclub.messaging import services
def user(handle):
    found = User.objects.filter(handle=handle).first()
    return found or accounts.user_create(
        email=handle + "@example.com", handle=handle, password="bench-password-123"
    )
sender, recipient = user("bench.sender"), user("bench.recipient")
conversation = services.conversation_open(user=sender, handle=recipient.handle)
client = Client()
client.force_login(recipient)
print("RESULT " + json.dumps({"conversation": conversation.conversation_id,
    "cookie": settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value}))
"""

OURS_SENDER = """
import json, sys, time, uuid
from fanclub.accounts.models import User
from fanclub.core import realtime
from fanclub.messaging import services
sender = User.objects.get(handle="bench.sender")
# Note when the pushes start: the first after-commit callback of the send (the service commits on
# its own, as it does for an API request; an outer transaction here would add savepoints).
committed = []
group_send_many = realtime.group_send_many
def noted(messages):
    committed.append(time.time())
    group_send_many(messages)
realtime.group_send_many = noted
print("READY", flush=True)
for line in sys.stdin:
    committed.clear()
    t0 = time.time()
    message = services.message_send(
        sender=sender, conversation_id=CONVERSATION, text=line.strip() + " " + TEXT,
        client_id=uuid.uuid4().hex,
    )
    print(json.dumps({"t0": t0, "t1": time.time(), "committed": committed[0], "id": message.pk}), flush=True)
"""

BARE_SENDER = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.messaging_bare_settings")
import django
django.setup()
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
layer = get_channel_layer()
print("READY", flush=True)
for line in sys.stdin:
    t0 = time.time()
    payload = {"type": "message.new", "message": {
        "id": 0, "conversationId": 1, "senderId": 1, "kind": "text", "text": line.strip() + " " + TEXT,
        "createdAt": "2026-01-01T00:00:00Z", "media": [], "isLocked": False,
    }}
    async_to_sync(layer.group_send)("bench.fanout", {"type": "fanout.message", "payload": payload})
    print(json.dumps({"t0": t0, "t1": time.time()}), flush=True)
"""


@contextmanager
def _redis(work_dir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("messaging_fanout needs redis-server (apt install redis-server)")
    port = servers.free_port()
    directory = work_dir / "redis"
    directory.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
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
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def _uvicorn(application: str, env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Yields (port, pid): one uvicorn process, no workers, so the pid is the server's."""
    port = servers.free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                application,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--lifespan",
                "off",
                "--ws-max-queue",
                "1024",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with __import__("socket").create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn {application} did not start; see {log}") from None
                time.sleep(0.1)
        yield port, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:  # graceful close of a thousand sockets can take long
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


class Helper:
    """A long-lived Python process that sends one message per line written to it."""

    def __init__(self, code: str, env: dict[str, str], *, django_shell: bool) -> None:
        command = (
            [sys.executable, "manage.py", "shell", "-c", code]
            if django_shell
            else [sys.executable, "-c", code]
        )
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.process.stdout is not None
        seen = []
        for _ in range(50):  # Django's shell may print a line about its automatic imports first
            line = self.process.stdout.readline()
            seen.append(line)
            if line.strip() == "READY" or not line:
                break
        if line.strip() != "READY":
            raise RuntimeError(f"bench messaging helper failed to start: {''.join(seen)!r}")

    def send(self, tag: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(tag + "\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(20)


async def _open(port: int, n: int, cookie: str | None) -> list[Any]:
    from websockets.asyncio.client import connect

    headers = {"Origin": f"http://localhost:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    sockets: list[Any] = []
    for start in range(0, n, 50):
        batch = await asyncio.gather(
            *[
                connect(
                    f"ws://127.0.0.1:{port}/ws/notifications/",
                    additional_headers=headers,
                    max_queue=None,
                    open_timeout=60,
                    ping_interval=None,
                )
                for _ in range(min(50, n - start))
            ]
        )
        for ws in batch:
            assert json.loads(await ws.recv())["type"] == "hello"
        sockets.extend(batch)
    return sockets


async def _receive(ws: Any, tag: str) -> float:
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "message.new" and frame["message"]["text"].startswith(tag):
            return time.time()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Round = tuple[float, float, float, float]


async def _round(sockets: list[Any], helper: Helper, tag: str, server_pid: int) -> Round:
    """(time to last delivery, time the sender spent in its call, last delivery after the commit,
    CPU the server process spent meanwhile) for one message (bare: no commit, the third is the
    first). The server's CPU barely moves with other load on the machine, unlike the times."""
    waiting = [asyncio.ensure_future(_receive(ws, tag)) for ws in sockets]
    await asyncio.sleep(0)
    cpu_before = _cpu_seconds(server_pid)
    sent = await asyncio.get_running_loop().run_in_executor(None, helper.send, tag)
    arrivals = await asyncio.wait_for(asyncio.gather(*waiting), timeout=120)
    server_cpu = _cpu_seconds(server_pid) - cpu_before
    last = max(arrivals)
    start = float(sent["t0"])
    return last - start, float(sent["t1"]) - start, last - float(sent.get("committed", start)), server_cpu


async def _measure(
    n: int, rounds: int, ours: tuple[tuple[int, int], str, Helper], bare: tuple[tuple[int, int], Helper]
) -> dict[str, list[Round]]:
    """Both sets of N sockets open at once; rounds alternate ours and bare, so drifting background
    load on a shared machine hits both alike."""
    (ours_port, ours_pid), cookie, ours_helper = ours
    (bare_port, bare_pid), bare_helper = bare
    ours_sockets = await _open(ours_port, n, cookie)
    bare_sockets = await _open(bare_port, n, None)
    try:
        await _round(ours_sockets, ours_helper, f"warm-ours{n}-", ours_pid)  # connections and caches warm
        await _round(bare_sockets, bare_helper, f"warm-bare{n}-", bare_pid)
        result: dict[str, list[Round]] = {"ours": [], "bare": []}
        for i in range(rounds):
            result["ours"].append(await _round(ours_sockets, ours_helper, f"r{i}-ours{n}-", ours_pid))
            result["bare"].append(await _round(bare_sockets, bare_helper, f"r{i}-bare{n}-", bare_pid))
        return result
    finally:
        await asyncio.gather(*[ws.close() for ws in ours_sockets + bare_sockets], return_exceptions=True)


def _sizes() -> list[int]:
    raw = os.environ.get("BENCH_MESSAGING_CONNECTIONS", "100,1000")
    return [int(part) for part in raw.split(",") if part.strip()]


def _setup(env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(f"bench messaging setup failed:\n{completed.stdout}{completed.stderr}")


def fanout(context: Context) -> dict[str, Any]:
    rounds = int(os.environ.get("BENCH_MESSAGING_ROUNDS", "3" if context.config.quick else "7"))
    results: dict[str, Any] = {"rounds": rounds, "goal": GOAL, "sizes": {}}
    with _redis(context.work_dir) as redis_url:
        ours_env = {
            **context.ours_env,
            "REDIS_URL": redis_url,
            "MESSAGING_PER_MINUTE": "1000000",
            "MESSAGING_NEW_ACCOUNT_PER_MINUTE": "1000000",
        }
        bare_env = {
            **context.bare_env,
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "bench.messaging_bare_settings",
        }
        prepared = _setup(ours_env)
        ours_code = OURS_SENDER.replace("CONVERSATION", str(prepared["conversation"])).replace(
            "TEXT", repr(TEXT)
        )
        bare_code = BARE_SENDER.replace("TEXT", repr(TEXT))
        with (
            _uvicorn(
                "config.asgi:application", ours_env, context.work_dir / "messaging-ours.log"
            ) as ours_server,
            _uvicorn(
                "bench.messaging_bare:application", bare_env, context.work_dir / "messaging-bare.log"
            ) as bare_server,
        ):
            ours_helper = Helper(ours_code, ours_env, django_shell=True)
            bare_helper = Helper(bare_code, bare_env, django_shell=False)
            try:
                print(
                    f"{'N':>6} {'ours: last delivery':>20} {'msg/s':>9} "
                    f"{'bare: last delivery':>20} {'msg/s':>9} {'ratio':>6}"
                )
                for n in _sizes():
                    measured = asyncio.run(
                        _measure(
                            n,
                            rounds,
                            (ours_server, prepared["cookie"], ours_helper),
                            (bare_server, bare_helper),
                        )
                    )
                    ours_s = statistics.median(t for t, _, _, _ in measured["ours"])
                    bare_s = statistics.median(t for t, _, _, _ in measured["bare"])
                    ours_send = statistics.median(t for _, t, _, _ in measured["ours"])
                    after_commit = statistics.median(t for _, _, t, _ in measured["ours"])
                    ours_cpu = statistics.median(c for _, _, _, c in measured["ours"])
                    bare_cpu = statistics.median(c for _, _, _, c in measured["bare"])
                    ratio = bare_s / ours_s
                    results["sizes"][str(n)] = {
                        "ours_seconds": [t for t, _, _, _ in measured["ours"]],
                        "bare_seconds": [t for t, _, _, _ in measured["bare"]],
                        "ours_send_call_seconds": [t for _, t, _, _ in measured["ours"]],
                        "ours_after_commit_seconds": [t for _, _, t, _ in measured["ours"]],
                        "ours_server_cpu_seconds": [c for _, _, _, c in measured["ours"]],
                        "bare_server_cpu_seconds": [c for _, _, _, c in measured["bare"]],
                        "ours_server_cpu_median_ms": ours_cpu * 1000,
                        "bare_server_cpu_median_ms": bare_cpu * 1000,
                        "ours_after_commit_median_ms": after_commit * 1000,
                        "after_commit_ratio": bare_s / after_commit,
                        "ours_median_ms": ours_s * 1000,
                        "bare_median_ms": bare_s * 1000,
                        "ours_send_call_median_ms": ours_send * 1000,
                        "ours_messages_per_second": n / ours_s,
                        "bare_messages_per_second": n / bare_s,
                        "ratio": ratio,
                        "meets_goal": ratio >= GOAL,
                    }
                    print(
                        f"{n:>6} {ours_s * 1000:>17.1f} ms {n / ours_s:>9.0f} {bare_s * 1000:>17.1f} ms "
                        f"{n / bare_s:>9.0f} {ratio:>5.2f}x {'ok' if ratio >= GOAL else 'BELOW GOAL'}"
                        f"   (ours: send call {ours_send * 1000:.1f} ms; last delivery "
                        f"{after_commit * 1000:.1f} ms after commit = {bare_s / after_commit:.2f}x bare; "
                        f"server CPU per message: ours {ours_cpu * 1000:.0f} ms, "
                        f"bare {bare_cpu * 1000:.0f} ms)",
                        flush=True,
                    )
            finally:
                ours_helper.close()
                bare_helper.close()
    return results


@dataclass
class _Standalone:
    """What `fanout` needs from bench.context.Context, for `python -m bench.messaging`."""

    work_dir: Path
    ours_env: dict[str, str]
    bare_env: dict[str, str]
    config: Any


def main() -> int:
    """Run the entry alone, on a fresh private PostgreSQL (migrated, no demo data). The production
    configuration is the one `make bench` uses; VAPID_* keys are taken from this environment."""
    import secrets
    from types import SimpleNamespace

    from bench.context import PRODUCTION_ENV, _without_platform_variables, private_database_env

    keys = {
        name: os.environ[name] for name in ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY") if name in os.environ
    }
    base = {
        **_without_platform_variables(os.environ),
        **PRODUCTION_ENV,
        **keys,
        "SECRET_KEY": secrets.token_urlsafe(45),
        "BILLING_SANDBOX_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    }
    work_dir, ours_env = private_database_env(prefix="fanclub-bench-messaging-", base=base)
    bare_env = {**_without_platform_variables(os.environ), "SECRET_KEY": ours_env["SECRET_KEY"]}
    quick = os.environ.get("BENCH_QUICK", "") in ("1", "true")
    context = _Standalone(work_dir, ours_env, bare_env, SimpleNamespace(quick=quick))
    result = fanout(context)  # type: ignore[arg-type]
    print(json.dumps(result["sizes"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
