"""Prometheus metrics. With several web processes set PROMETHEUS_MULTIPROC_DIR (`fanclub serve`
does) so one scrape aggregates every process."""

from __future__ import annotations

import os
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


def render() -> tuple[bytes, str]:
    """The exposition text: this process's (or every process's) metrics plus database gauges."""
    from prometheus_client import REGISTRY

    process_registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)  # type: ignore[no-untyped-call]
    database_registry = CollectorRegistry()
    database_registry.register(JobQueueCollector())
    return generate_latest(process_registry) + generate_latest(database_registry), CONTENT_TYPE_LATEST
