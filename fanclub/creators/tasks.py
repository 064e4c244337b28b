"""Creators jobs (queue "creators")."""

from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.core.jobs import retry


@app.periodic(cron="*/5 * * * *", periodic_id="memberships_expire_due")
@app.task(queue="creators", queueing_lock="memberships_expire_due", retry=retry(max_attempts=3))
def memberships_expire_due_task(timestamp: int) -> int:
    """Bookkeeping only: the policy already ignores memberships whose period has ended."""
    from fanclub.creators import services

    return services.memberships_expire_due()


@app.periodic(cron="41 4 * * *", periodic_id="followers_count_reconcile")
@app.task(queue="creators", queueing_lock="followers_count_reconcile", retry=retry(max_attempts=3))
def followers_count_reconcile_task(timestamp: int) -> int:
    """Daily check of the trigger-kept follower counters; returns (and logs) the rows corrected."""
    from fanclub.creators import services

    return services.followers_count_reconcile()
