"""Reads about the platform itself: readiness of dependencies, job queues, workers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def job_counts() -> list[tuple[str, str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return [(queue, status, int(count)) for queue, status, count in cursor.fetchall()]


def worker_heartbeat_ages() -> list[tuple[int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, EXTRACT(EPOCH FROM (now() - last_heartbeat)) FROM procrastinate_workers ORDER BY id"
        )
        return [(int(worker_id), float(age)) for worker_id, age in cursor.fetchall()]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, type(exc).__name__)
    return Check("database", True)


def check_redis() -> Check | None:
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:
        return Check("redis", False, type(exc).__name__)
    return Check("redis", True)


def check_storage() -> Check:
    name = f".readyz/{uuid.uuid4().hex}"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(saved)
    except Exception as exc:
        return Check("storage", False, type(exc).__name__)
    return Check("storage", True)


def check_worker() -> Check:
    try:
        ages = worker_heartbeat_ages()
    except Exception as exc:
        return Check("worker", False, type(exc).__name__)
    fresh = [age for _, age in ages if age <= settings.WORKER_STALE_SECONDS]
    if not fresh:
        return Check("worker", False, f"no worker heartbeat in the last {settings.WORKER_STALE_SECONDS}s")
    return Check("worker", True, f"{len(fresh)} alive")


def readiness() -> list[Check]:
    checks = [check_database(), check_redis(), check_storage(), check_worker()]
    return [check for check in checks if check is not None]
