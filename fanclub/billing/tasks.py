"""Billing jobs (queue "billing"): webhooks, payouts, hold release, renewals, audit, reconciliation."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from fanclub.core.jobs import retry

QUEUE = "billing"
logger = logging.getLogger("fanclub.billing")


@app.task(queue=QUEUE, retry=retry(max_attempts=10, exponential_wait=3))
def webhook_event_process_task(event_pk: int) -> str:
    from fanclub.billing import services

    return services.webhook_event_process(event_pk=event_pk)


@app.task(queue=QUEUE, retry=retry(max_attempts=10, exponential_wait=3))
def sandbox_webhook_deliver_task(body: str, signature: str) -> bool:
    """The sandbox processor delivering a signed event to our endpoint (through the same code)."""
    from fanclub.billing import services
    from fanclub.billing.processors import SANDBOX_SIGNATURE_HEADER

    _, created = services.webhook_receive(
        processor="sandbox", body=body.encode(), headers={SANDBOX_SIGNATURE_HEADER: signature}
    )
    return created


@app.task(queue=QUEUE, retry=retry(max_attempts=10, exponential_wait=3))
def payout_send_task(payout_id: str) -> None:
    from fanclub.billing import services

    services.payout_send(payout_id=payout_id)


@app.periodic(cron="*/5 * * * *", periodic_id="billing_holds_release")
@app.task(queue=QUEUE, queueing_lock="billing_holds_release", retry=retry(max_attempts=3))
def holds_release_task(timestamp: int) -> int:
    from fanclub.billing import services

    return services.holds_release_due()


@app.periodic(cron="*/10 * * * *", periodic_id="billing_subscriptions_renew")
@app.task(queue=QUEUE, queueing_lock="billing_subscriptions_renew", retry=retry(max_attempts=3))
def subscriptions_renew_task(timestamp: int) -> int:
    from fanclub.billing import services

    return services.subscriptions_renew_due()


@app.periodic(cron="17 3 * * *", periodic_id="billing_audit")
@app.task(queue=QUEUE, queueing_lock="billing_audit")
def ledger_audit_task(timestamp: int) -> int:
    """Prove every cached balance equals its postings and the reconciliation with the processor."""
    from fanclub.billing import selectors

    drift = selectors.balance_drift()
    mismatches = selectors.reconciliation_mismatches()
    for item in drift:
        logger.error("ledger balance drift", extra={"account": item})
    for mismatch in mismatches:
        logger.error("processor reconciliation mismatch", extra={"mismatch": mismatch})
    return len(drift) + len(mismatches)


@app.periodic(cron="41 * * * *", periodic_id="billing_payouts_schedule")
@app.task(queue=QUEUE, queueing_lock="billing_payouts_schedule", retry=retry(max_attempts=3))
def payouts_schedule_task(timestamp: int) -> int:
    """Scheduled payouts (weekly/monthly opt-in): hourly, so a due creator waits at most an hour."""
    from fanclub.billing import services

    return services.payouts_schedule_run()
