"""Prometheus metrics. With several web processes set PROMETHEUS_MULTIPROC_DIR (`fanclub serve`
does) so one scrape aggregates every process."""

from __future__ import annotations

import atexit
import bisect
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "fanclub_http_requests_total", "HTTP requests by route, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "fanclub_http_request_duration_seconds",
    "HTTP request latency by route",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_QUERIES = Histogram(
    "fanclub_http_db_queries_per_request",
    "Database queries executed while serving one request",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100),
)


class JobQueueCollector(Collector):
    """Reads job queue depth and worker heartbeats from PostgreSQL at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from fanclub.core import selectors

        jobs = GaugeMetricFamily("fanclub_jobs", "Jobs by queue and status", labels=["queue", "status"])
        heartbeats = GaugeMetricFamily(
            "fanclub_worker_heartbeat_age_seconds",
            "Seconds since each live worker's last heartbeat",
            labels=["worker_id"],
        )
        workers = GaugeMetricFamily("fanclub_workers_seen", "Workers with a heartbeat in the last minute")
        try:
            for queue, status, count in selectors.job_counts():
                jobs.add_metric([queue, status], count)
            ages = selectors.worker_heartbeat_ages()
        except Exception:
            return
        for worker_id, age in ages:
            heartbeats.add_metric([str(worker_id)], age)
        workers.add_metric([], sum(1 for _, age in ages if age < 60))
        yield jobs
        yield heartbeats
        yield workers

    def describe(self) -> list[Any]:
        return []


# --- Per-request metrics, buffered -------------------------------------------------------------
#
# Every request adds to five values (a counter, and the sum and one bucket of two histograms). In
# multiprocess mode each prometheus_client write takes a lock, checks the pid and packs into the
# process's mmap file: a good share of the middleware's cost on a small request. The middleware
# adds into a dict instead, and the dict is written to those values by whichever comes first: a
# request finding the last write FLUSH_SECONDS old, a background thread every FLUSH_SECONDS (so an
# idle process's last requests appear too), a scrape served by this process, process exit. Another
# process's scrape sees a request at most FLUSH_SECONDS late (Prometheus scrapes every 15 s or so);
# a process killed outright loses at most that much of its request metrics.

FLUSH_SECONDS = 1.0
_ChildMetrics = tuple[Any, Any, Any]
_children_cache: dict[tuple[str, str, int], _ChildMetrics] = {}
_pending: dict[Any, float] = {}
_pending_lock = threading.Lock()
_last_flush = time.monotonic()
_flusher_pid = 0


def _children(route: str, method: str, status: int) -> _ChildMetrics:
    """The labelled children for one (route, method, status), looked up once per process."""
    key = (route, method, status)
    children = _children_cache.get(key)
    if children is None:
        children = (
            REQUESTS.labels(route, method, str(status)),
            LATENCY.labels(route, method),
            DB_QUERIES.labels(route),
        )
        _children_cache[key] = children
    return children


def record_request(*, route: str, method: str, status: int, seconds: float, queries: int) -> None:
    """``REQUESTS.inc()``, ``LATENCY.observe(seconds)`` and ``DB_QUERIES.observe(queries)``, buffered."""
    requests, latency, db_queries = _children(route, method, status)
    # The values the public calls would write (a histogram's buckets are "less than or equal"
    # upper bounds ending with +Inf; prometheus_client stores them non-cumulative, one per bucket).
    latency_bucket = latency._buckets[bisect.bisect_left(latency._upper_bounds, seconds)]
    queries_bucket = db_queries._buckets[bisect.bisect_left(db_queries._upper_bounds, queries)]
    now = time.monotonic()
    with _pending_lock:
        pending = _pending
        pending[requests._value] = pending.get(requests._value, 0) + 1
        pending[latency._sum] = pending.get(latency._sum, 0) + seconds
        pending[latency_bucket] = pending.get(latency_bucket, 0) + 1
        pending[db_queries._sum] = pending.get(db_queries._sum, 0) + queries
        pending[queries_bucket] = pending.get(queries_bucket, 0) + 1
    if now - _last_flush >= FLUSH_SECONDS or _flusher_pid != os.getpid():
        flush()


def flush() -> None:
    """Write the buffered request metrics to prometheus_client (and start this process's flusher)."""
    global _pending, _last_flush
    _ensure_flusher()
    with _pending_lock:
        pending, _pending = _pending, {}
        _last_flush = time.monotonic()
    for value, amount in pending.items():
        value.inc(amount)


def _ensure_flusher() -> None:
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    _flusher_pid = os.getpid()  # a forked child starts its own (threads do not survive a fork)

    def run() -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            flush()

    threading.Thread(target=run, name="metrics-flush", daemon=True).start()


atexit.register(flush)


def render() -> tuple[bytes, str]:
    """The exposition text: this process's (or every process's) metrics plus database gauges."""
    from prometheus_client import REGISTRY

    flush()

    process_registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)  # type: ignore[no-untyped-call]
    database_registry = CollectorRegistry()
    database_registry.register(JobQueueCollector())
    return generate_latest(process_registry) + generate_latest(database_registry), CONTENT_TYPE_LATEST
