"""Procrastinate conventions: queues named by app, retries only for errors that can recover."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app


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
