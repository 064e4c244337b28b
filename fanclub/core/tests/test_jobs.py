"""Jobs: deferred in the caller's transaction, run once by a real worker, retried only when useful."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from asgiref.sync import async_to_sync
from django.db import InterfaceError, OperationalError, connection, transaction
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob
from procrastinate.contrib.django.utils import connector_params
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision

from fanclub.accounts import services
from fanclub.accounts import tasks as account_tasks
from fanclub.accounts.models import User
from fanclub.core import jobs
from fanclub.core.tasks import jobs_stalled_retry_task

AVATAR_TASK = "fanclub.accounts.tasks.user_avatar_generate_task"


class Rollback(Exception):
    pass


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _avatar_jobs(user_id: int):
    return ProcrastinateJob.objects.filter(task_name=AVATAR_TASK, args={"user_id": user_id})


def _events(job_id: int) -> list[str]:
    return list(
        ProcrastinateEvent.objects.filter(job_id=job_id).order_by("id").values_list("type", flat=True)
    )


def _create(handle: str) -> User:
    return services.user_create(email=f"{handle}@example.com", handle=handle, password="a-long-test-password")


def _rows_seen_by_another_connection(user_id: int) -> int:
    with psycopg.connect(**connector_params("default"), autocommit=True) as other:
        (count,) = other.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND args->>'user_id' = %s",
            [AVATAR_TASK, str(user_id)],
        ).fetchone()
    return int(count)


@pytest.mark.django_db(transaction=True)  # the job queue starts empty
class TestTransactionalDeferral:
    def test_job_deferred_in_a_rolled_back_transaction_never_exists_nor_runs(self, media, run_jobs):
        started_before = ProcrastinateEvent.objects.filter(type="started").count()

        with pytest.raises(Rollback), transaction.atomic():
            user_id = _create("rolled.back").pk
            assert _avatar_jobs(user_id).count() == 1  # queued, inside the transaction
            raise Rollback

        assert _avatar_jobs(user_id).count() == 0
        run_jobs(queues=["accounts"])
        assert ProcrastinateEvent.objects.filter(type="started").count() == started_before
        assert not User.objects.filter(pk=user_id).exists()
        assert list(media.rglob("*.png")) == []

    def test_deferral_shares_the_callers_transaction(self, media):
        """Procrastinate writes through Django's connection: nobody sees the job before the commit."""
        with transaction.atomic():
            user_id = _create("same.transaction").pk
            assert _avatar_jobs(user_id).count() == 1
            assert _rows_seen_by_another_connection(user_id) == 0

        assert _rows_seen_by_another_connection(user_id) == 1

    def test_job_deferred_in_a_committed_transaction_runs_exactly_once(self, media, run_jobs):
        user = _create("committed")
        (job,) = _avatar_jobs(user.pk)
        assert (job.status, job.queue_name, job.attempts) == ("todo", "accounts", 0)

        run_jobs(queues=["accounts"])
        run_jobs(queues=["accounts"])

        job.refresh_from_db()
        assert (job.status, job.attempts) == ("succeeded", 1)
        assert _events(job.id) == ["deferred", "started", "succeeded"]
        user.refresh_from_db()
        assert user.avatar.name
        avatar = Path(user.avatar.path)
        assert avatar.is_relative_to(media)
        assert avatar.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    def test_avatar_job_is_idempotent(self, media, run_jobs):
        user = _create("twice")
        run_jobs(queues=["accounts"])
        user.refresh_from_db()
        first = user.avatar.name

        account_tasks.user_avatar_generate_task.defer(user_id=user.pk)
        run_jobs(queues=["accounts"])

        user.refresh_from_db()
        assert user.avatar.name == first
        assert len(list(media.rglob("*.png"))) == 1


def _job(attempts: int) -> Job:
    return Job(
        id=1, queue="accounts", lock=None, queueing_lock=None, task_name=AVATAR_TASK, attempts=attempts
    )


class TestRetryPolicy:
    @pytest.mark.parametrize(
        "error",
        [
            jobs.RetryableJobError("payment provider answered 503"),
            OperationalError("server closed the connection unexpectedly"),
            InterfaceError("connection already closed"),
            ConnectionError("reset by peer"),
            TimeoutError("read timed out"),
        ],
    )
    def test_recoverable_errors_are_retried(self, error):
        decision = jobs.retry().get_retry_decision(exception=error, job=_job(attempts=0))

        assert isinstance(decision, RetryDecision)

    @pytest.mark.parametrize("error", [ValueError("bad input"), KeyError("missing"), RuntimeError("bug")])
    def test_other_errors_fail_the_job_at_once(self, error):
        strategy = jobs.retry()

        assert strategy.get_retry_decision(exception=error, job=_job(attempts=0)) is None
        assert strategy.get_retry_exception(error, _job(attempts=0)) is None

    @pytest.mark.parametrize(("attempts", "wait"), [(0, 2), (1, 4), (2, 8), (3, 16), (4, 32)])
    def test_backoff_is_exponential(self, attempts, wait):
        before = datetime.now(UTC)

        decision = jobs.retry().get_retry_decision(exception=jobs.RetryableJobError(), job=_job(attempts))

        assert decision is not None
        assert decision.retry_at is not None
        expected = before + timedelta(seconds=wait)
        assert expected - timedelta(seconds=1) <= decision.retry_at <= expected + timedelta(seconds=1)

    def test_gives_up_after_max_attempts(self):
        strategy = jobs.retry(max_attempts=3)

        assert strategy.get_retry_decision(exception=jobs.RetryableJobError(), job=_job(2)) is not None
        assert strategy.get_retry_decision(exception=jobs.RetryableJobError(), job=_job(3)) is None

    def test_retry_exception_carries_the_decision(self):
        retry_exception = jobs.retry().get_retry_exception(OperationalError("gone"), _job(0))

        assert retry_exception is not None
        assert retry_exception.retry_decision.retry_at is not None

    def test_the_avatar_task_uses_the_policy(self):
        assert account_tasks.user_avatar_generate_task.retry_strategy == jobs.retry()
        assert account_tasks.user_avatar_generate_task.queue == "accounts"


@pytest.mark.django_db(transaction=True)  # the job queue starts empty
def test_stalled_job_of_a_dead_worker_goes_back_to_the_queue(media, run_jobs):
    manager = app.job_manager
    abandoned_user, busy_user = _create("abandoned"), _create("busy")
    (abandoned,) = _avatar_jobs(abandoned_user.pk)
    (busy,) = _avatar_jobs(busy_user.pk)
    dead_worker = async_to_sync(manager.register_worker)()
    live_worker = async_to_sync(manager.register_worker)()
    assert async_to_sync(manager.fetch_job)(queues=["accounts"], worker_id=dead_worker).id == abandoned.id
    assert async_to_sync(manager.fetch_job)(queues=["accounts"], worker_id=live_worker).id == busy.id
    # The first worker dies mid-job: its heartbeat stops while its job stays in "doing".
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '5 minutes' WHERE id = %s",
            [dead_worker],
        )

    jobs_stalled_retry_task.configure(queueing_lock=f"test-{uuid.uuid4().hex}").defer(
        timestamp=int(time.time())
    )
    run_jobs(queues=["core"])

    abandoned.refresh_from_db()
    busy.refresh_from_db()
    assert (abandoned.status, abandoned.attempts, abandoned.worker_id) == ("todo", 1, None)
    assert (busy.status, busy.worker_id) == ("doing", live_worker)
    assert _events(abandoned.id) == ["deferred", "started", "scheduled", "deferred_for_retry"]

    run_jobs(queues=["accounts"])

    abandoned.refresh_from_db()
    assert abandoned.status == "succeeded"
    abandoned_user.refresh_from_db()
    assert Path(abandoned_user.avatar.path).is_file()
    # Let the live worker's job finish cleanly so no later test finds it in "doing".
    async_to_sync(manager.retry_job)(busy.procrastinate_job)
    async_to_sync(manager.unregister_worker)(live_worker)
    run_jobs(queues=["accounts"])
    busy.refresh_from_db()
    assert busy.status == "succeeded"


@pytest.mark.django_db(transaction=True)  # the job queue starts empty
class TestJobDefer:
    """``jobs.job_defer``: the job row ``task.defer`` writes, cheaper, in the caller's transaction."""

    def _rows(self) -> list[tuple]:
        return list(
            ProcrastinateJob.objects.order_by("id").values_list(
                "queue_name",
                "task_name",
                "priority",
                "lock",
                "queueing_lock",
                "args",
                "status",
                "scheduled_at",
            )
        )

    def test_it_writes_the_row_task_defer_writes(self):
        from fanclub.notifications import tasks as notification_tasks

        kwargs = {"recipient_id": 7, "kind": "tip_received", "actor_id": 8, "data": {"amount_minor": 999}}
        slow_id = notification_tasks.notify_task.defer(**kwargs)
        fast_id = jobs.job_defer(notification_tasks.notify_task, **kwargs)

        assert fast_id > slow_id
        slow, fast = self._rows()
        assert fast == slow
        assert fast[:3] == ("notifications", "fanclub.notifications.tasks.notify_task", 0)

    def test_it_is_rolled_back_with_the_callers_transaction(self):
        from fanclub.notifications import tasks as notification_tasks

        with pytest.raises(Rollback), transaction.atomic():
            jobs.job_defer(
                notification_tasks.notify_task, recipient_id=1, kind="tip_received", actor_id=None, data={}
            )
            assert len(self._rows()) == 1
            raise Rollback

        assert self._rows() == []

    def test_a_task_with_a_queueing_lock_goes_through_procrastinate(self):
        from procrastinate.exceptions import AlreadyEnqueued

        from fanclub.notifications import tasks as notification_tasks

        task = notification_tasks.digests_due_task  # queueing_lock="notification_digests"
        jobs.job_defer(task, timestamp=1)
        with pytest.raises(AlreadyEnqueued):
            jobs.job_defer(task, timestamp=2)
        assert [row[4] for row in self._rows()] == ["notification_digests"]
