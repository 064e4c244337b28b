"""Procrastinate conventions: queues named by app, retries only for errors that can recover."""

from __future__ import annotations

import json
from typing import Any

from django.db import InterfaceError, OperationalError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector


class RetryableJobError(Exception):
    """Raise from a task for a transient failure worth retrying (remote 5xx, timeout...)."""


RETRYABLE_EXCEPTIONS: set[type[Exception]] = {
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    RetryableJobError,
}


def retry(*, max_attempts: int = 5, exponential_wait: int = 2) -> RetryStrategy:
    """Exponential backoff (2s, 4s, 8s, ...) for retryable errors; any other error fails the job."""
    return RetryStrategy(
        max_attempts=max_attempts, exponential_wait=exponential_wait, retry_exceptions=RETRYABLE_EXCEPTIONS
    )


# procrastinate's own SQL function for deferring (its `defer_jobs` query), given one job as a row.
_DEFER_ONE = (
    "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, %s, %s, %s, %s::jsonb, %s)"
    "::procrastinate_job_to_defer_v1]))[1]"
)


def job_defer(task: Any, **task_kwargs: Any) -> int:
    """``task.defer(**task_kwargs)`` for hot paths: the same job row (procrastinate builds the job
    from the task's queue, lock and priority), written by procrastinate's own SQL function through
    Django's connection, so in the caller's transaction as ``task.defer`` is.

    ``task.defer`` quotes an array of composite values in Python and builds its debug log context
    even when debug logging is off: ~0.3 ms of CPU per job, a tenth of a tip through the API
    (docs/benchmarks.md "Billing tips"). Tasks with a queueing lock, and any connector other than
    Django's, go through ``task.defer`` (its AlreadyEnqueued error, its connection)."""
    connector = app.connector
    job = task.configure().make_new_job(**task_kwargs)
    if job.queueing_lock is not None or not isinstance(connector, DjangoConnector):
        return int(task.defer(**task_kwargs))
    values = [
        job.queue,
        job.task_name,
        job.priority,
        job.lock,
        None,
        json.dumps(job.task_kwargs),
        job.scheduled_at,
    ]
    with connector.connection.cursor() as cursor:
        cursor.execute(_DEFER_ONE, values)
        row = cursor.fetchone()
    return int(row[0])


def run_pending_jobs(*, queues: list[str] | None = None) -> None:
    """Run every job that is due, then return (demo data, tests, one-off operations).

    Uses a real worker with its own connection, exactly as `fanclub worker` does.
    """
    options: dict[str, Any] = {
        "wait": False,
        "install_signal_handlers": False,
        "listen_notify": False,
        "delete_jobs": "never",
    }
    if queues:
        options["queues"] = queues
    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:  # type: ignore[attr-defined]
        worker_app.run_worker(**options)
