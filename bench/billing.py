"""Tip throughput: the real API vs raw psycopg writing the same rows, concurrency 16, same run.

Ours: ``POST /api/v1/billing/tips`` under gunicorn with a session-bound JWT and a fresh
Idempotency-Key per request (wrk + Lua), card payment through the sandbox processor: per tip an
idempotency record (inserted, then given the response), the processor's record, the charge, its
hold, a journal entry and three postings (whose triggers keep the creator's balance cache and check
the entry balances at commit) and the creator's tip notification job (procrastinate), in one
transaction.

Baseline: 16 threads, each with its own psycopg connection, inserting exactly those rows with the
same triggers (the job through procrastinate's own SQL function), one transaction per tip, no HTTP,
no Django, no reads (ours also authenticates the token and looks up the creator). It connects with
Django's connection parameters (so, like ours, no server-side prepared statements; measured: they
would not change its CPU per tip). Goal: ours >= 0.5x the baseline's tips/s.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import cpu, load, report
from bench.context import Context, django_shell

GOAL = 0.5
CONCURRENCY = 16
RATE_LIMIT_OFF = {"RATE_LIMIT_ENABLED": "false"}

_PREPARE = """
import json
from fanclub.accounts import services
from fanclub.accounts.client import ClientInfo
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.billing import ledger
from fanclub.billing.constants import AccountKind
from fanclub.creators import services as creator_services
fan = User.objects.filter(handle="benchbill.fan").first() or services.user_create(
    email="benchbill.fan@example.com", handle="benchbill.fan", password="bench-password-long-enough")
creator = User.objects.filter(handle="benchbill.creator").first()
if creator is None:
    creator = services.user_create(email="benchbill.creator@example.com", handle="benchbill.creator",
                                   password="bench-password-long-enough")
    creator_services.creator_become(user=creator, display_name="Bench Bill")
pair = services.token_pair_issue(user=fan, client=ClientInfo(ip="127.0.0.1", user_agent="bench"))
accounts = {
    "clearing": ledger.platform_account(AccountKind.PROCESSOR_CLEARING, "USD").pk,
    "fees": ledger.platform_account(AccountKind.PLATFORM_FEES, "USD").pk,
    "pending": ledger.account_for(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency="USD").pk,
}
json.dump({"access": pair.access_token, "fan": fan.pk, "creator": creator.pk, "accounts": accounts},
          open("OUT", "w"))
"""

_TIP_LUA = """
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  local body = '{"creatorHandle":"benchbill.creator","amountMinor":999,"currency":"USD","note":"bench",'
    .. '"payment":{"funding":"card","cardToken":"4242424242424242"}}'
  return wrk.format("POST", "/api/v1/billing/tips", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer ACCESS",
    ["Idempotency-Key"] = "RUN-" .. id .. "-" .. n,
  }, body)
end
"""

# Raw psycopg: the same rows, one transaction per tip, CONCURRENCY connections. The statements live
# in RAW_SQL / raw_tip (importable: the in-process CPU comparison in docs/benchmarks.md uses them too).
RAW_SQL = {
    "record": "INSERT INTO billing_idempotencyrecord (user_id, key, operation, fingerprint, status_code, "
    "response, created_at) VALUES (%s, %s, 'send_tip', %s, 0, NULL, now()) "
    "ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
    "sandbox": "INSERT INTO billing_sandboxrecord (idempotency_key, reference, kind, amount_minor, currency, "
    "status, attempts, created_at) VALUES (%s, %s, 'charge', 999, 'USD', 'succeeded', 1, now())",
    "charge": "INSERT INTO billing_charge (id, fan_id, creator_id, kind, funding, status, amount_minor, "
    "fee_minor, fee_bps, currency, refunded_minor, fee_refunded_minor, processor, processor_ref, post_id, "
    "subscription_id, note, recipient_id, promotion_id, created_at) VALUES (%s, %s, %s, 'tip', 'card', "
    "'succeeded', 999, 200, 2000, 'USD', 0, 0, 'sandbox', %s, NULL, NULL, 'bench', NULL, NULL, %s)",
    "hold": "INSERT INTO billing_hold (charge_id, creator_id, currency, remaining_minor, release_at, "
    "released_entry_id) VALUES (%s, %s, 'USD', 799, now() + interval '7 days', NULL)",
    "entry": "INSERT INTO billing_journalentry (kind, memo, charge_id, created_at) "
    "VALUES ('tip', '', %s, now()) RETURNING id",
    "postings": "INSERT INTO billing_posting (entry_id, account_id, amount_minor, currency, created_at) "
    "VALUES (%s, %s, -999, 'USD', now()), (%s, %s, 799, 'USD', now()), (%s, %s, 200, 'USD', now())",
    # The creator's tip notification job, as procrastinate defers it (its insert trigger notifies).
    "job": "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('notifications', "
    "'fanclub.notifications.tasks.notify_task', 0, NULL, NULL, %s::jsonb, NULL)"
    "::procrastinate_job_to_defer_v1])) AS id",
    "stored": "UPDATE billing_idempotencyrecord SET status_code = 201, response = %s::jsonb WHERE id = %s",
}


def raw_tip(cursor: Any, *, fan: int, creator: int, accounts: dict[str, int], key: str) -> None:
    """One tip's rows (what the API writes for a card tip), inside the caller's transaction."""
    import datetime
    import hashlib
    import uuid

    reference = f"sb_ch_{uuid.uuid4().hex[:20]}"
    charge = uuid.uuid4()
    created = datetime.datetime.now(datetime.UTC)
    fingerprint = hashlib.sha256(key.encode()).hexdigest()
    cursor.execute(RAW_SQL["record"], [fan, key, fingerprint])
    record = cursor.fetchone()[0]
    cursor.execute(RAW_SQL["sandbox"], [f"charge:{fan}:{key}", reference])
    cursor.execute(RAW_SQL["charge"], [charge, fan, creator, reference, created])
    cursor.execute(RAW_SQL["hold"], [charge, creator])
    cursor.execute(RAW_SQL["entry"], [charge])
    entry = cursor.fetchone()[0]
    lines = [entry, accounts["clearing"], entry, accounts["pending"], entry, accounts["fees"]]
    cursor.execute(RAW_SQL["postings"], lines)
    data = {"amount_minor": 999, "currency": "USD", "charge_id": str(charge)}
    job = {"recipient_id": creator, "kind": "tip_received", "actor_id": fan, "data": data}
    cursor.execute(RAW_SQL["job"], [json.dumps(job)])
    response = {
        "id": str(charge), "kind": "tip", "funding": "card", "status": "succeeded", "amountMinor": 999,
        "feeMinor": 200, "refundedMinor": 0, "currency": "USD", "creatorId": creator, "postId": None,
        "recipientId": None, "note": "bench", "createdAt": created.isoformat(),
    }  # fmt: skip
    cursor.execute(RAW_SQL["stored"], [json.dumps(response), record])


_RAW = """
import json, resource, threading, time, uuid
import psycopg
from django.db import connection
from bench.billing import raw_tip
params = connection.get_connection_params()
conf = json.load(open("PREPARED"))
fan, creator, acc = conf["fan"], conf["creator"], conf["accounts"]
DURATION = SECONDS
latencies = []
lock = threading.Lock()
def work(worker):
    local = []
    with psycopg.connect(**params) as conn:
        deadline = time.perf_counter() + DURATION
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            key = f"raw-{worker}-{n}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                raw_tip(cur, fan=fan, creator=creator, accounts=acc, key=key)
            local.append(time.perf_counter() - started)
    with lock:
        latencies.extend(local)
threads = [threading.Thread(target=work, args=(i,)) for i in range(CONCURRENCY)]
begin, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
[t.start() for t in threads]
[t.join() for t in threads]
elapsed, used = time.perf_counter() - begin, resource.getrusage(resource.RUSAGE_SELF)
client_cpu = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
latencies.sort()
pick = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000
result = {"tips": len(latencies), "seconds": elapsed, "p50_ms": pick(50), "p99_ms": pick(99),
          "client_cpu_seconds": client_cpu}
print("RESULT " + json.dumps(result))
"""


def _wrk(url: str, lua: str, context: Context, duration: int) -> load.Measurement:
    with tempfile.TemporaryDirectory(prefix="fanclub-wrk-billing-") as directory:
        script = Path(directory) / "tips.lua"
        script.write_text(lua + load._DONE_SCRIPT)
        command = [
            load.WRK,
            f"-t{min(context.config.threads, CONCURRENCY)}",
            f"-c{CONCURRENCY}",
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


def tips(context: Context) -> dict[str, Any]:
    prepared = context.work_dir / "billing_prepared.json"
    django_shell(_PREPARE.replace("OUT", str(prepared)), env=context.ours_env)
    data = json.loads(prepared.read_text())
    duration = context.config.duration_seconds
    with context.variant("billing", "wsgi", RATE_LIMIT_OFF) as server:
        url = server.base_url + "/api/v1/billing/tips"
        lua = _TIP_LUA.replace("ACCESS", data["access"])
        _wrk(url, lua.replace("RUN", "warm"), context, context.config.warmup_seconds)
        window = cpu.CpuWindow({"server": server.process.pid, **context._postgres_pid()})
        window.begin()
        ours = _wrk(url, lua.replace("RUN", "run"), context, duration)
        window.end()
    # CPU per tip (the server's processes and PostgreSQL's; for raw its Python process during the
    # load loop and PostgreSQL's): steadier than tips/s when other processes share the machine.
    ours_cpu_ms = (window.seconds["server"] + window.seconds.get("postgres", 0.0)) / ours.requests * 1000
    raw_code = (
        _RAW.replace("PREPARED", str(prepared))
        .replace("SECONDS", str(duration))
        .replace("CONCURRENCY", str(CONCURRENCY))
    )
    raw_window = cpu.CpuWindow(context._postgres_pid())
    raw_window.begin()
    line = next(
        line
        for line in django_shell(raw_code, env=context.ours_env).splitlines()
        if line.startswith("RESULT ")
    )
    raw_window.end()
    raw = json.loads(line.removeprefix("RESULT "))
    raw_rate = raw["tips"] / raw["seconds"]
    raw_cpu_ms = (raw["client_cpu_seconds"] + raw_window.seconds.get("postgres", 0.0)) / raw["tips"] * 1000
    ratio = ours.requests_per_second / raw_rate
    passed = ratio >= GOAL
    rows = [
        [
            "POST /api/v1/billing/tips (gunicorn)",
            report.rate(ours.requests_per_second),
            report.milliseconds(ours.percentile_ms(50)),
            report.milliseconds(ours.percentile_ms(99)),
            f"{ours_cpu_ms:.2f}",
            report.ratio(ratio),
        ],
        [
            "raw psycopg, same rows, 1 tx per tip",
            report.rate(raw_rate),
            report.milliseconds(raw["p50_ms"]),
            report.milliseconds(raw["p99_ms"]),
            f"{raw_cpu_ms:.2f}",
            report.ratio(1.0),
        ],
    ]
    print()
    print(
        report.table(
            [f"tips, concurrency {CONCURRENCY}", "tips/s", "p50 ms", "p99 ms", "CPU ms/tip", "vs raw"], rows
        )
    )
    print(
        f"\n  {'PASS' if passed else 'FAIL'}  the API sends {ratio:.2f}x the tips/s of raw inserts "
        f"(goal >= {GOAL}x). CPU per tip (server + PostgreSQL; raw: its Python + PostgreSQL): "
        f"{ours_cpu_ms:.2f} vs {raw_cpu_ms:.2f} ms ({raw_cpu_ms / ours_cpu_ms:.2f}x); other load "
        f"{window.background_cpus:.2f} / {raw_window.background_cpus:.2f} CPUs."
    )
    return {
        "goal_ratio": GOAL,
        "passed": passed,
        "ratio": round(ratio, 3),
        "ours": {**ours.summary(), "cpu_ms_per_tip": round(ours_cpu_ms, 3)},
        "raw": {**raw, "tips_per_second": round(raw_rate, 1), "cpu_ms_per_tip": round(raw_cpu_ms, 3)},
    }
