"""Messaging jobs (queue "messaging"): mass-message batches, welcome messages, partitions."""

from __future__ import annotations

from procrastinate.contrib.django import app

from fanclub.core.jobs import retry
from fanclub.messaging.constants import QUEUE


@app.task(queue=QUEUE, retry=retry(max_attempts=10))
def mass_message_send_task(mass_message_id: int) -> int:
    from fanclub.messaging import services

    return services.mass_message_send_batch(mass_message_id=mass_message_id)


@app.task(queue=QUEUE, retry=retry(max_attempts=5))
def welcome_message_send_task(fan_id: int, tier_id: int) -> bool:
    from fanclub.messaging import services

    return services.welcome_message_send(fan_id=fan_id, tier_id=tier_id)


@app.periodic(cron="17 3 * * *", periodic_id="message_partitions_ensure")
@app.task(queue=QUEUE, queueing_lock="message_partitions_ensure", retry=retry(max_attempts=3))
def message_partitions_ensure_task(timestamp: int) -> list[str]:
    """Create next months' partitions of the message table ahead of time (daily; idempotent)."""
    from fanclub.messaging import partitions

    return partitions.partitions_ensure()


@app.periodic(cron="41 4 * * *", periodic_id="message_send_keys_prune")
@app.task(queue=QUEUE, queueing_lock="message_send_keys_prune", retry=retry(max_attempts=3))
def message_send_keys_prune_task(timestamp: int) -> int:
    """Forget client send keys older than a week (retries come within seconds or minutes)."""
    from datetime import timedelta

    from django.utils import timezone

    from fanclub.messaging.models import SendKey

    deleted, _ = SendKey.objects.filter(created_at__lt=timezone.now() - timedelta(days=7)).delete()
    return int(deleted)
