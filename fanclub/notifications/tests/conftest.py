from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fanclub.media import storage


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.MEDIA_STORAGE = "local"
    settings.RATE_LIMIT_ENABLED = False
    settings.SITE_URL = "https://fans.example"
    storage.get_storage.cache_clear()
    yield root
    storage.get_storage.cache_clear()


def deferred_jobs(task_suffix: str = "") -> list[dict[str, Any]]:
    """Jobs in the real Procrastinate queue (deferred in the test's transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT task_name, args, queueing_lock FROM procrastinate_jobs ORDER BY id")
        rows = cursor.fetchall()
    return [
        {
            "task": name.rsplit(".", 1)[-1],
            "args": json.loads(args) if isinstance(args, str) else args,
            "lock": lock,
        }
        for name, args, lock in rows
        if name.endswith(task_suffix)
    ]
