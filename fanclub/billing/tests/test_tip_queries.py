"""The per-tip query budget of the API (the benchmark's hot path: docs/benchmarks.md)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fanclub.accounts import services as account_services
from fanclub.accounts.client import ClientInfo
from fanclub.billing import ledger
from fanclub.billing.constants import AccountKind
from fanclub.billing.models import Charge
from fanclub.billing.processors import SandboxCards
from fanclub.billing.tests.factories import make_creator
from fanclub.billing.tests.helpers import assert_ledger_invariants

# Auth user (with its session), savepoint (BEGIN in production), idempotency record, the creator
# (with the block check and the post check), sandbox record, one statement for the charge, its hold,
# the journal entry and its postings (ledger.entry_post), the creator's notification job
# (notifications.hooks.tip_received), stored response, release (COMMIT): every platform/owner
# account is cached. (Was 12 before the charge, hold, entry and postings shared one statement.)
TIP_QUERY_BUDGET = 9


@pytest.mark.django_db
def test_a_card_tip_through_the_api_stays_within_its_query_budget(make_user, fan, settings):
    settings.RATE_LIMIT_ENABLED = False
    make_creator(make_user, "q.creator")
    pair = account_services.token_pair_issue(user=fan, client=ClientInfo(ip="127.0.0.1", user_agent="test"))
    client = Client(headers={"Authorization": f"Bearer {pair.access_token}"})
    body = {
        "creatorHandle": "q.creator",
        "amountMinor": 999,
        "currency": "USD",
        "note": "bench",
        "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
    }

    def tip(key: str):
        return client.post(
            "/api/v1/billing/tips",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    assert tip("warm").status_code == 201  # accounts created, the per-process cache filled
    # Tests never commit, so fill the account cache as the committed first tip would have.
    creator_id = Charge.objects.get().creator_id
    for kind, owner_id in (
        (AccountKind.PROCESSOR_CLEARING, None),
        (AccountKind.PLATFORM_FEES, None),
        (AccountKind.CREATOR_PENDING, creator_id),
    ):
        account = ledger.account_for(kind=kind, owner_id=owner_id, currency="USD")
        ledger._ACCOUNTS[(str(kind), owner_id, "USD")] = account
    try:
        with CaptureQueriesContext(connection) as queries:
            response = tip("measured")
    finally:
        ledger.accounts_forget()
    assert response.status_code == 201
    assert Charge.objects.count() == 2
    sql = [q["sql"][:80] for q in queries.captured_queries]
    assert len(sql) == TIP_QUERY_BUDGET, sql
    assert_ledger_invariants()
