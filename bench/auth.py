"""Authentication cost: JWT-authenticated API GET and token refresh vs the unauthenticated equivalent.

Same server, same run, concurrency from BenchConfig (32). The unauthenticated baseline is
``GET /api/v1/creators?limit=1`` (one indexed query, one small object); the authenticated GET is
``GET /api/v1/me`` with a session-bound JWT (one query that checks the session and loads the user,
one small object). Goal: authentication adds at most 15% to p50. Token refresh (a transaction that
spends one refresh token, issues the next and signs a JWT) is reported beside them; each request
spends a distinct pre-issued token, so no request is a reuse. Sign-in throughput is measured
in-process for the Argon2id parameters in force.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import load, report
from bench.context import BASE_DIR, Context

AUTH_GOAL = 1.15
TOKEN_POOL = 60_000
RATE_LIMIT_OFF = {"RATE_LIMIT_ENABLED": "false"}  # one client IP sends every request here

_PREPARE = """
import json, secrets
from datetime import timedelta
from django.utils import timezone
from fanclub.accounts import services
from fanclub.accounts.client import ClientInfo
from fanclub.accounts.models import DeviceSession, RefreshToken, User
user = User.objects.filter(handle="benchauth").first() or services.user_create(
    email="benchauth@example.com", handle="benchauth", password="bench-password-long-enough")
pair = services.token_pair_issue(user=user, client=ClientInfo(ip="127.0.0.1", user_agent="bench"))
sessions = DeviceSession.objects.bulk_create(
    [DeviceSession(user=user, kind="api", device="bench") for _ in range(POOL)], batch_size=5000)
raws = ["fcr_" + secrets.token_urlsafe(32) for _ in range(POOL)]
expires = timezone.now() + timedelta(days=1)
RefreshToken.objects.bulk_create(
    [RefreshToken(session=s, token_hash=services.hash_secret(r), expires_at=expires)
     for s, r in zip(sessions, raws)], batch_size=5000)
json.dump({"access": pair.access_token, "refresh": raws}, open("OUT", "w"))
"""

_AUTH_GET_LUA = """
wrk.headers["Authorization"] = "Bearer ACCESS"
"""

_REFRESH_LUA = """
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  tokens = {}
  local n = 0
  for line in io.lines("TOKENS") do
    if n % THREADS == id then tokens[#tokens + 1] = line end
    n = n + 1
  end
  position = 0
end
function request()
  position = position + 1
  local body = '{"refreshToken":"' .. tokens[position] .. '"}'
  return wrk.format("POST", "/api/v1/auth/refresh", {["Content-Type"] = "application/json"}, body)
end
"""


def _run_script(url: str, lua: str, context: Context, duration: int) -> load.Measurement:
    with tempfile.TemporaryDirectory(prefix="fanclub-wrk-auth-") as directory:
        script = Path(directory) / "auth.lua"
        script.write_text(lua + load._DONE_SCRIPT)
        command = [
            load.WRK,
            f"-t{context.config.threads}",
            f"-c{context.config.connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    measurement = load.parse(completed.stdout)
    if measurement.errors["status"]:
        raise RuntimeError(f"{url}: {measurement.errors['status']} non-2xx answers")
    return measurement


def _prepare_tokens(context: Context) -> tuple[str, Path]:
    out = context.work_dir / "auth_tokens.json"
    code = _PREPARE.replace("POOL", str(TOKEN_POOL)).replace("OUT", str(out))
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=context.ours_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"token preparation failed:\n{completed.stdout}{completed.stderr}")
    data = json.loads(out.read_text())
    tokens_file = context.work_dir / "refresh_tokens.txt"
    tokens_file.write_text("\n".join(data["refresh"]) + "\n")
    return str(data["access"]), tokens_file


def _sign_in_throughput() -> dict[str, Any]:
    """Argon2id hashes per second on one core with the configured parameters (in-process)."""
    code = (
        "import time\n"
        "from django.conf import settings as s\n"
        "from django.contrib.auth.hashers import make_password, check_password\n"
        "h = make_password('a-long-bench-password'); n = 20; t = time.perf_counter()\n"
        "[check_password('a-long-bench-password', h) for _ in range(n)]\n"
        "e = (time.perf_counter() - t) / n\n"
        "print(f'{e*1000:.1f} {s.ARGON2_TIME_COST} {s.ARGON2_MEMORY_KIB} {s.ARGON2_PARALLELISM}')"
    )
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FANCLUB_MODE": "development"},
    )
    ms, t, m, p = completed.stdout.split()[-4:]
    return {
        "ms_per_sign_in": float(ms),
        "per_core_per_second": round(1000 / float(ms), 1),
        "time_cost": int(t),
        "memory_kib": int(m),
        "parallelism": int(p),
    }


def auth_overhead(context: Context) -> dict[str, Any]:
    access, tokens_file = _prepare_tokens(context)
    duration = context.config.duration_seconds
    with context.variant("auth", "wsgi", RATE_LIMIT_OFF) as server:
        base = server.base_url
        baseline = context.measure_server(server, "/api/v1/creators?limit=1", note="no auth")
        _run_script(
            base + "/api/v1/me",
            _AUTH_GET_LUA.replace("ACCESS", access),
            context,
            context.config.warmup_seconds,
        )
        authed = _run_script(base + "/api/v1/me", _AUTH_GET_LUA.replace("ACCESS", access), context, duration)
        refresh_lua = _REFRESH_LUA.replace("TOKENS", str(tokens_file)).replace(
            "THREADS", str(context.config.threads)
        )
        refreshed = _run_script(base + "/api/v1/auth/refresh", refresh_lua, context, duration)
    signin = _sign_in_throughput()
    ratio = authed.percentile_ms(50) / baseline.percentile_ms(50)
    passed = ratio <= AUTH_GOAL
    rows = [
        [
            name,
            report.rate(m.requests_per_second),
            report.milliseconds(m.percentile_ms(50)),
            report.milliseconds(m.percentile_ms(99)),
            report.ratio(m.percentile_ms(50) / baseline.percentile_ms(50)),
        ]
        for name, m in (
            ("GET /creators (no auth)", baseline),
            ("GET /me (JWT)", authed),
            ("POST /auth/refresh", refreshed),
        )
    ]
    print()
    print(report.table(["gunicorn, rate limiter off", "req/s", "p50 ms", "p99 ms", "p50 / no-auth"], rows))
    print(
        f"\n  {'PASS' if passed else 'FAIL'}  JWT authentication adds {ratio - 1:+.0%} to p50 "
        f"(goal <= {AUTH_GOAL - 1:.0%})."
    )
    print(
        f"  Sign-in: Argon2id t={signin['time_cost']}, m={signin['memory_kib']} KiB, "
        f"p={signin['parallelism']}: {signin['ms_per_sign_in']:.1f} ms per password check, "
        f"~{signin['per_core_per_second']:.0f} sign-ins/s per core."
    )
    return {
        "goal_p50_ratio": AUTH_GOAL,
        "passed": passed,
        "p50_ratio": round(ratio, 3),
        "no_auth": baseline.summary(),
        "jwt_get": authed.summary(),
        "refresh": refreshed.summary(),
        "sign_in": signin,
    }
