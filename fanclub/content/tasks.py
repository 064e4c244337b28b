"""Content jobs (queue "content"): scheduled publishing and the masked-mode face scan."""

from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.content.constants import QUEUE
from fanclub.core.jobs import RetryableJobError, retry


@app.periodic(cron="* * * * *", periodic_id="posts_publish_due")
@app.task(queue=QUEUE, queueing_lock="posts_publish_due", retry=retry(max_attempts=3))
def posts_publish_due_task(timestamp: int) -> int:
    """Publish due scheduled posts (the policy also hides them until due, whatever the job does)."""
    from fanclub.content import services

    return services.posts_publish_due()


@app.task(queue=QUEUE, retry=retry(max_attempts=10, exponential_wait=3))
def post_faces_scan_task(post_id: int) -> int:
    from fanclub.content import services

    found = services.post_faces_scan(post_id=post_id)
    if found is None:
        raise RetryableJobError("media still processing")
    return found
