"""`make bench` / ``python -m bench [ENTRY ...]``: run benchmark entries and print their tables.

An entry is a function taking the shared ``Context`` (a prepared install of the platform, its
servers on demand, wrk); it measures against a baseline in the same run, prints its own table of
ratios and returns a JSON-serialisable dict, written to bench/results/latest.json under its name.
Add an entry by writing such a function in a bench module and registering it in ``ENTRIES``.

Environment: BENCH_DURATION (seconds per measurement, default 20), BENCH_QUICK=1 (3 s runs),
BENCH_WORKERS (worker processes per server, default `fanclub serve`'s), BENCH_CONNECTIONS (32),
BENCH_THREADS (2).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from bench import auth, http_stack, load, middleware_breakdown, report
from bench import billing as billing_bench
from bench import feed as feed_bench
from bench import media as media_bench
from bench import messaging as messaging_bench
from bench import notifications as notifications_bench
from bench import profile as profile_bench
from bench import rankings as rankings_bench
from bench import search as search_bench
from bench.config import BenchConfig
from bench.context import Context


@dataclass(frozen=True)
class Entry:
    title: str
    run: Callable[[Context], dict[str, Any]]
    default: bool = True  # run by a plain `make bench`; others only when named


ENTRIES: dict[str, Entry] = {
    "middleware": Entry(
        "Our middleware stack: full app vs bare Django, same bytes, same server (gunicorn)",
        http_stack.middleware_overhead,
    ),
    "wsgi_vs_asgi": Entry(
        "WSGI (gunicorn) vs ASGI (uvicorn), same application, same number of workers",
        http_stack.wsgi_vs_asgi,
    ),
    "middleware_breakdown": Entry(
        "What each middleware costs: CPU per request with one middleware left out at a time",
        middleware_breakdown.middleware_breakdown,
        default=False,
    ),
    "auth": Entry(
        "Authentication: JWT GET and token refresh vs the unauthenticated equivalent, concurrency 32",
        auth.auth_overhead,
    ),
    "media_images": Entry(
        "Image pipeline, all variants: fanclub.media vs a bare Pillow script (goal >= 0.8x)",
        media_bench.images,
    ),
    "media_hls": Entry(
        "Video to HLS ladder 240p-1080p: fanclub.media vs the plain ffmpeg command line (goal >= 0.95x)",
        media_bench.hls,
    ),
    "billing_tips": Entry(
        "Tips through the API (idempotency, ledger, sandbox) vs raw psycopg, concurrency 16 (goal >= 0.5x)",
        billing_bench.tips,
    ),
    "profile": Entry(
        "Creator profile page and posts API, 20 vs 200 posts, concurrency 32: ours vs bare Django",
        profile_bench.profile_page,
    ),
    "feed": Entry(
        "Home feed API (first and deep page, 1,000 followed creators, 1M posts) vs one hand-written SQL "
        "statement, concurrency 16 (goal: p99 <= 2x and < 50 ms)",
        feed_bench.feed,
    ),
    "search": Entry(
        "Search over generated posts and creators: our selectors vs the bare SQL they issue, same run",
        search_bench.search,
        default=False,  # seeding 100,000 posts takes minutes: run it by name (or python -m bench.search)
    ),
    "rankings": Entry(
        "Ranking recompute, a day's window over BENCH_RANKING_VOTES (10M) votes: job vs one SQL aggregation",
        rankings_bench.rankings_recompute,
        default=False,  # generating 10M votes takes minutes: `python -m bench rankings` runs it
    ),
    "notify_fanout": Entry(
        "New-post fan-out to BENCH_FANOUT_FOLLOWERS (100k) followers: job vs one INSERT ... SELECT",
        notifications_bench.notify_fanout,
    ),
    "messaging_fanout": Entry(
        "One message to N open WebSockets (N = BENCH_MESSAGING_CONNECTIONS, 100 and 1,000) through the Redis "
        "layer: ours vs a bare echo consumer (goal >= 0.7x)",
        messaging_bench.fanout,
    ),
}


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through Context.open, which stops every server


def main(argv: list[str]) -> int:
    names = argv or [name for name, entry in ENTRIES.items() if entry.default]
    unknown = [name for name in names if name not in ENTRIES]
    if unknown:
        print(f"bench: unknown entries {unknown}; known: {', '.join(ENTRIES)}", file=sys.stderr)
        return 2
    load.check_available()
    config = BenchConfig.from_env()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    about = report.machine()
    print(f"Fanclub benchmarks, {about['date']} on {about['host']} ({about['cpus']} x {about['cpu']})")
    print(
        f"Python {about['python']}, Django {about['django']}, gunicorn {about['gunicorn']}, "
        f"uvicorn {about['uvicorn']} (uvloop {about['uvloop']}, httptools {about['httptools']}), "
        f"{about['wrk']}"
    )
    print(f"Load: {config.describe()}")
    print(
        "Full app: FANCLUB_MODE=production (DEBUG off), LOG_LEVEL=WARNING so per-request log lines are\n"
        "not written, rate limiter on with a limit it never reaches, embedded PostgreSQL, no Redis.\n"
        f"Load average at start: {about['load_average_at_start']}"
        + ("   (BENCH_QUICK: short runs, for checking the harness only)" if config.quick else "")
    )
    results: dict[str, Any] = {"machine": about, "config": config.__dict__, "entries": {}}
    durations: dict[str, float] = {}
    failed: list[str] = []
    try:
        with Context.open(config) as context:
            for name in names:
                entry = ENTRIES[name]
                print(f"\n== {name}: {entry.title}", flush=True)
                entry_started = time.monotonic()
                try:
                    results["entries"][name] = entry.run(context)
                except Exception as exc:
                    # One broken entry must not cost the others their numbers.
                    traceback.print_exc()
                    print(f"bench: entry {name} failed: {exc}", file=sys.stderr, flush=True)
                    results["entries"][name] = {"error": f"{type(exc).__name__}: {exc}"}
                    failed.append(name)
                durations[name] = round(time.monotonic() - entry_started)
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped.", file=sys.stderr)
        return 130
    results["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    results["elapsed_seconds"] = round(time.monotonic() - started)
    results["entry_seconds"] = durations
    path = report.write_results(results)
    print(
        f"\nLoad average at end: {results['load_average_at_end']}. Total {results['elapsed_seconds']}s "
        f"({', '.join(f'{name} {seconds:.0f}s' for name, seconds in durations.items())}). "
        f"Results: {path}"
    )
    if failed:
        print(f"bench: failed entries: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
