"""Notification jobs (queue "notifications"): delivery by email and push, new-post fan-out, digests."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from procrastinate.contrib.django import app

from fanclub.core.jobs import retry
from fanclub.notifications.constants import QUEUE


@app.task(queue=QUEUE, retry=retry(max_attempts=5))
def notification_deliver_task(
    channel: str, kind: str, actor_id: int | None, data: dict[str, Any], recipient_ids: list[int]
) -> int:
    """Email or push one notice to each of ``recipient_ids`` (preferences re-read at send time)."""
    from fanclub.notifications import delivery

    if channel == "email":
        return delivery.email_send(kind=kind, actor_id=actor_id, data=data, recipient_ids=recipient_ids)
    if channel == "push":
        return delivery.push_send(kind=kind, actor_id=actor_id, data=data, recipient_ids=recipient_ids)
    raise ValueError(f"unknown channel {channel!r}")


@app.task(queue=QUEUE, retry=retry(max_attempts=5))
def notify_task(recipient_id: int, kind: str, actor_id: int | None, data: dict[str, Any]) -> None:
    """``services.notify`` for callers on a hot path (``services.notify_later``)."""
    from fanclub.notifications import services

    services.notify(recipient_id=recipient_id, kind=kind, actor_id=actor_id, data=data)


@app.task(queue=QUEUE, retry=retry(max_attempts=10))
def new_post_fanout_task(post_id: int) -> int:
    """Notify a creator's audience of a new post (idempotent: safe to retry after a crash)."""
    from fanclub.notifications import fanout

    return fanout.new_post_fanout(post_id=post_id)


@app.task(queue=QUEUE, retry=retry(max_attempts=5))
def digest_send_task(user_id: int) -> bool:
    from fanclub.notifications import delivery

    with transaction.atomic():
        return delivery.digest_send(user_id=user_id)


@app.periodic(cron="0 7 * * *", periodic_id="notification_digests")
@app.task(queue=QUEUE, queueing_lock="notification_digests", retry=retry(max_attempts=3))
def digests_due_task(timestamp: int) -> int:
    """Every morning: one digest job per user who chose the daily digest."""
    from fanclub.notifications import delivery

    user_ids = delivery.digest_due_user_ids()
    with transaction.atomic():
        for user_id in user_ids:
            digest_send_task.defer(user_id=user_id)
    return len(user_ids)
