"""Platform housekeeping jobs."""

from __future__ import annotations

import structlog
from procrastinate import JobContext
from procrastinate.contrib.django import app

logger = structlog.get_logger(__name__)

# A worker whose heartbeat is older than this is considered dead; its running jobs are retried.
STALLED_WORKER_SECONDS = 60


@app.periodic(cron="* * * * *", periodic_id="jobs_stalled_retry")
@app.task(queue="core", queueing_lock="jobs_stalled_retry", pass_context=True)
async def jobs_stalled_retry_task(context: JobContext, timestamp: int) -> int:
    """Put back in the queue the jobs whose worker died mid-job (no heartbeat for a minute)."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_WORKER_SECONDS))
    for job in stalled:
        logger.warning("retrying stalled job", job_id=job.id, task=job.task_name, queue=job.queue)
        await manager.retry_job(job)
    return len(stalled)
