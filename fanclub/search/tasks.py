"""Search jobs (queue "search"): the hourly rebuild of the spelling correction's word table."""

from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.core.jobs import retry
from fanclub.search.constants import QUEUE


@app.periodic(cron="23 * * * *", periodic_id="search_words_rebuild")
@app.task(queue=QUEUE, queueing_lock="search_words_rebuild", retry=retry(max_attempts=3))
def search_words_rebuild_task(timestamp: int) -> int:
    """Words no longer used by any live post disappear; new ones are added as posts go live."""
    from fanclub.search import services

    return services.search_words_rebuild().words
