"""Media jobs (queue "media"): processing, file removal after deletion, and the sweeper."""

from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.core.jobs import retry
from fanclub.media.constants import QUEUE


@app.task(queue=QUEUE, retry=retry(max_attempts=5))
def media_process_task(media_id: str) -> str:
    from fanclub.media import services

    return services.media_process(media_id=media_id)


@app.task(queue=QUEUE, retry=retry(max_attempts=10))
def media_purge_task(media_id: str) -> int:
    from fanclub.media import services

    return services.media_purge(media_id=media_id)


@app.periodic(cron="*/10 * * * *", periodic_id="media_sweep")
@app.task(queue=QUEUE, queueing_lock="media_sweep", retry=retry(max_attempts=3))
def media_sweep_task(timestamp: int) -> dict[str, int]:
    """Abandoned uploads and files no row accounts for."""
    from fanclub.media import services

    return services.media_sweep()
