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
