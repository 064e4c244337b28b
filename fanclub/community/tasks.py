"""Periodic jobs of the community: rankings and trending every 10 minutes, badges daily."""

from __future__ import annotations

from datetime import UTC, datetime

from procrastinate.contrib.django import app

from fanclub.community.constants import QUEUE
from fanclub.core.jobs import retry


@app.periodic(cron="*/10 * * * *", periodic_id="rankings_refresh")
@app.task(queue=QUEUE, queueing_lock="rankings_refresh", retry=retry(max_attempts=3))
def rankings_refresh_task(timestamp: int) -> int:
    """Rewrite the open periods' ranking snapshots (and finalize ended ones), then trending."""
    from fanclub.community import rankings

    results = rankings.rankings_refresh(now=datetime.now(UTC))
    return sum(result.entries for result in results)


@app.periodic(cron="20 0 * * *", periodic_id="badges_award")
@app.task(queue=QUEUE, queueing_lock="badges_award", retry=retry(max_attempts=3))
def badges_award_task(timestamp: int) -> int:
    from fanclub.community import badges

    return sum(badges.badges_award(now=datetime.now(UTC)).values())
