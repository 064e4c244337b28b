"""The same processor webhooks delivered in order, or shuffled, duplicated and mixed with forgeries,
give the identical final ledger: every balance, charge and payout state (property-based). The journal
itself is a history and may differ (debt taken then recovered in one order, never taken in another)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanclub.accounts import services as account_services
from fanclub.billing import services
from fanclub.billing.models import Charge, Payout, Posting, WebhookEvent
from fanclub.billing.processors import WebhookRejected, sandbox_event_build
from fanclub.billing.tests.factories import CARD, make_payable
from fanclub.billing.tests.helpers import assert_ledger_invariants
from fanclub.core.errors import ApiError
from fanclub.core.jobs import RetryableJobError
from fanclub.creators import services as creator_services

_counter = itertools.count()
Delivery = tuple[bytes, dict[str, str]]


def _world(
    amounts: list[int], disputed: list[bool], refunds: list[int], payouts: list[bool]
) -> list[Delivery]:
    """Charges (some partly refunded), released earnings and sent payouts; returns the events the
    processor would send about them (one per disputed charge, one per payout)."""
    n = next(_counter)
    fan = account_services.user_create(
        email=f"wo{n}f@example.com", handle=f"wo{n}f", password="a-long-test-password"
    )
    creator = account_services.user_create(
        email=f"wo{n}c@example.com", handle=f"wo{n}c", password="a-long-test-password"
    )
    creator_services.creator_become(user=creator, display_name="Creator")
    creator.refresh_from_db()
    make_payable(creator)
    events: list[Delivery] = []
    charges = []
    for index, amount in enumerate(amounts):
        charge = services.tip_send(
            fan=fan,
            creator_handle=creator.handle,
            amount_minor=amount,
            currency="USD",
            payment=CARD,
            idempotency_key=f"tip{index}",
        )
        if refunds[index % len(refunds)] and index % 2:
            services.charge_refund(
                charge_id=charge.pk, amount_minor=min(amount, refunds[index % len(refunds)])
            )
        charges.append(charge)
    # Half the earnings become available (so chargebacks also hit available and debt).
    services.holds_release_due(now=timezone.now() + timedelta(days=30), limit=max(1, len(charges) // 2))
    for index, paid in enumerate(payouts):
        try:
            payout = services.payout_request(creator=creator, currency="USD", amount_minor=2000)
        except ApiError:  # not enough available: this payout simply does not exist
            break
        payout = services.payout_send(payout_id=payout.pk)
        assert payout is not None
        events.append(
            sandbox_event_build(
                type="payout.paid" if paid else "payout.failed",
                data={"reference": payout.processor_ref},
                event_id=f"evt_payout_{n}_{index}",
            )
        )
    for index, charge in enumerate(charges):
        if disputed[index % len(disputed)]:
            charge.refresh_from_db()
            events.append(
                sandbox_event_build(
                    type="charge.disputed",
                    data={"reference": charge.processor_ref, "amountMinor": charge.amount_minor},
                    event_id=f"evt_dispute_{n}_{index}",
                )
            )
    return events


def _deliver_all(deliveries: list[Delivery]) -> None:
    """The endpoint then the job, as production runs them; a job that must wait retries later."""
    queue: list[int] = []
    for body, headers in deliveries:
        try:
            event, created = services.webhook_receive(processor="sandbox", body=body, headers=headers)
        except WebhookRejected:
            continue
        if created:
            queue.append(event.pk)
    attempts = 0
    while queue:
        attempts += 1
        assert attempts < 1000
        event_pk = queue.pop(0)
        try:
            with transaction.atomic():
                services.webhook_event_process(event_pk=event_pk)
        except RetryableJobError:
            queue.append(event_pk)
            continue
        # The queue may run a job twice: the second run changes nothing.
        services.webhook_event_process(event_pk=event_pk)


def _final_state() -> Any:
    """Every account's balance (sum of its postings; zero balances left out, as an account touched
    and restored in one order may never be touched in another), charge and payout states."""
    balances = sorted(
        (kind, owner, currency, sum(amounts))
        for (kind, owner, currency), amounts in _platform_sums().items()
        if sum(amounts) != 0
    )
    return (
        balances,
        sorted(Charge.objects.values_list("pk", "status", "refunded_minor", "fee_refunded_minor")),
        sorted(Payout.objects.values_list("pk", "status")),
        WebhookEvent.objects.filter(processed_at__isnull=False).count(),
    )


def _platform_sums() -> dict[tuple[str, Any, str], list[int]]:
    sums: dict[tuple[str, Any, str], list[int]] = {}
    for kind, owner, currency, amount in Posting.objects.values_list(
        "account__kind", "account__owner_id", "account__currency", "amount_minor"
    ):
        sums.setdefault((kind, owner, currency), []).append(amount)
    return sums


def _forged(delivery: Delivery) -> Delivery:
    body, headers = delivery
    return body.replace(b'"type"', b'"type" ', 1), headers  # body changed: the signature no longer matches


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.integers(min_value=500, max_value=20_000), min_size=1, max_size=6),
    disputed=st.lists(st.booleans(), min_size=1, max_size=6),
    refunds=st.lists(st.integers(min_value=0, max_value=3_000), min_size=1, max_size=3),
    payouts=st.lists(st.booleans(), max_size=3),
    data=st.data(),
)
def test_shuffled_and_duplicated_webhooks_give_the_same_ledger(
    amounts: list[int], disputed: list[bool], refunds: list[int], payouts: list[bool], data: st.DataObject
) -> None:
    with transaction.atomic():
        events = _world(amounts, disputed, refunds, payouts)
        with transaction.atomic():
            _deliver_all(events)
            in_order = _final_state()
            assert_ledger_invariants()
            transaction.set_rollback(True)
        if events:
            shuffled = data.draw(st.permutations(events))
            duplicates = data.draw(st.lists(st.sampled_from(events), max_size=2 * len(events)))
            forgeries = [_forged(e) for e in data.draw(st.lists(st.sampled_from(events), max_size=2))]
            stream = data.draw(st.permutations([*shuffled, *duplicates, *forgeries]))
        else:
            stream = []
        with transaction.atomic():
            _deliver_all(stream)
            assert _final_state() == in_order
            assert WebhookEvent.objects.count() == len(events)
            assert_ledger_invariants()
            transaction.set_rollback(True)
        transaction.set_rollback(True)
