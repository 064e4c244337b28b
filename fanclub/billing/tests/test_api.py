from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from fanclub.billing import selectors
from fanclub.billing.constants import AccountKind
from fanclub.billing.models import Charge, JournalEntry, Payout, Posting, WebhookEvent
from fanclub.billing.processors import SandboxCards, sandbox_event_build
from fanclub.billing.tests.factories import make_creator, make_payable
from fanclub.billing.tests.helpers import assert_ledger_invariants


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict, key: str | None = "k1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _tip(amount=1000, card=SandboxCards.SUCCEEDS, handle="bill.creator"):
    return {
        "creatorHandle": handle,
        "amountMinor": amount,
        "currency": "USD",
        "note": "great work",
        "payment": {"funding": "card", "cardToken": card},
    }


@pytest.mark.django_db
def test_tip_splits_fee_and_a_repeated_key_returns_the_first_result(make_user, fan):
    make_creator(make_user, "bill.creator")
    client = _client(fan)

    first = _post(client, "/api/v1/billing/tips", _tip(999))
    again = _post(client, "/api/v1/billing/tips", _tip(999))

    assert first.status_code == 201 and again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["amountMinor"] == 999 and first.json()["feeMinor"] == 200
    assert Charge.objects.count() == 1
    creator_id = first.json()["creatorId"]
    assert selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=creator_id) == 799
    assert selectors.balance(kind=AccountKind.PLATFORM_FEES, currency="USD") == 200
    assert_ledger_invariants()


@pytest.mark.django_db
def test_same_key_other_parameters_is_422_and_nothing_changes(make_user, fan):
    make_creator(make_user, "bill.creator")
    client = _client(fan)
    _post(client, "/api/v1/billing/tips", _tip(1000))
    postings = Posting.objects.count()

    response = _post(client, "/api/v1/billing/tips", _tip(2000))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Posting.objects.count() == postings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "key", "status", "code"),
    [
        (_tip(1000), None, 422, "idempotency_key_required"),
        (_tip(1000, card=SandboxCards.DECLINED), "k", 402, "card_declined"),
        (_tip(1000, card=SandboxCards.INSUFFICIENT_FUNDS), "k", 402, "card_declined"),
        (_tip(5), "k", 422, "amount_out_of_bounds"),
        (_tip(10**9), "k", 422, "amount_out_of_bounds"),
        ({**_tip(1000), "currency": "XXX"}, "k", 422, "unsupported_currency"),
        ({**_tip(1000), "payment": {"funding": "wallet"}}, "k", 409, "insufficient_wallet_credit"),
        (_tip(1000, handle="nobody"), "k", 404, "not_found"),
    ],
)
def test_bad_payments_leave_the_ledger_exactly_as_it_was(make_user, fan, body, key, status, code):
    make_creator(make_user, "bill.creator")
    response = _post(_client(fan), "/api/v1/billing/tips", body, key=key)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "details", "requestId", "timestamp"}
    assert Posting.objects.count() == 0 and JournalEntry.objects.count() == 0 and Charge.objects.count() == 0


@pytest.mark.django_db
def test_retryable_processor_error_is_retried_with_the_same_key_and_charges_once(make_user, fan):
    make_creator(make_user, "bill.creator")
    response = _post(_client(fan), "/api/v1/billing/tips", _tip(1000, card=SandboxCards.RETRY_THEN_SUCCEEDS))

    assert response.status_code == 201
    assert selectors.reconciliation_mismatches() == []


@pytest.mark.django_db
def test_wallet_top_up_then_pay_from_wallet(make_user, fan):
    make_creator(make_user, "bill.creator")
    client = _client(fan)
    top_up = {"amountMinor": 1500, "currency": "USD", "cardToken": SandboxCards.SUCCEEDS}
    assert _post(client, "/api/v1/billing/wallet/top-ups", top_up, key="t1").status_code == 201

    paid = _post(client, "/api/v1/billing/tips", {**_tip(1000), "payment": {"funding": "wallet"}}, key="t2")
    refused = _post(
        client, "/api/v1/billing/tips", {**_tip(1000), "payment": {"funding": "wallet"}}, key="t3"
    )

    assert paid.status_code == 201
    assert refused.status_code == 409
    assert client.get("/api/v1/billing/wallet").json() == [{"currency": "USD", "balanceMinor": 500}]
    assert_ledger_invariants()


# --- Webhooks -------------------------------------------------------------------------------------------


def _webhook(client: Client, body: bytes, headers: dict[str, str]):
    return client.post(
        "/api/v1/billing/webhooks/sandbox", body, content_type="application/json", headers=headers
    )


@pytest.mark.django_db
def test_forged_and_replayed_webhooks_change_nothing(make_user, fan):
    client = Client()
    body, headers = sandbox_event_build(type="charge.disputed", data={"reference": "x"})
    forged = dict(headers)
    forged["Fanclub-Signature"] = forged["Fanclub-Signature"][:-4] + "0000"
    stale_body, stale_headers = sandbox_event_build(
        type="charge.disputed", data={"reference": "x"}, timestamp=int(time.time()) - 3600
    )

    assert _webhook(client, body, forged).json()["error"]["code"] == "webhook_bad_signature"
    assert _webhook(client, body + b" ", headers).status_code == 400
    assert _webhook(client, stale_body, stale_headers).json()["error"]["code"] == "webhook_replayed"
    assert _webhook(client, body, {}).status_code == 400
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_duplicate_webhook_is_stored_once(fan):
    client = Client()
    body, headers = sandbox_event_build(type="something.else", data={})

    assert _webhook(client, body, headers).json() == {"received": True, "duplicate": False}
    assert _webhook(client, body, headers).json() == {"received": True, "duplicate": True}
    assert WebhookEvent.objects.count() == 1


def test_stripe_webhooks_are_verified_with_stripes_own_scheme(settings):
    import stripe

    from fanclub.billing.processors import StripeProcessor, WebhookRejected

    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    body = json.dumps({"id": "evt_1", "type": "payout.paid", "data": {"object": {"id": "po_1"}}})
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body}", "whsec_test_secret")
    header = f"t={timestamp},v1={signature}"

    event = StripeProcessor().verify_webhook(body=body.encode(), headers={"Stripe-Signature": header})

    assert (event.event_id, event.type, event.data) == ("evt_1", "payout.paid", {"reference": "po_1"})
    with pytest.raises(WebhookRejected):
        StripeProcessor().verify_webhook(body=body.encode() + b" ", headers={"Stripe-Signature": header})


# --- Concurrency ----------------------------------------------------------------------------------------


def _parallel(count: int, work) -> list:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_identical_tips_with_one_key_charge_exactly_once(make_user):
    from fanclub.accounts.constants import Role

    fan = make_user(Role.FAN, handle="race.fan")
    make_creator(make_user, "bill.creator")

    def tip():
        response = _post(_client(fan), "/api/v1/billing/tips", _tip(1000), key="same-key")
        return response.status_code, response.json()

    results = _parallel(12, tip)

    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert Charge.objects.count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_parallel_payouts_never_exceed_the_available_balance(make_user):
    from fanclub.accounts.constants import Role
    from fanclub.billing import services
    from fanclub.billing.tests.factories import CARD

    fan = make_user(Role.FAN, handle="race.fan")
    creator = make_creator(make_user, "bill.creator")
    make_payable(creator)
    services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=10_000,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    services.holds_release_due(
        now=__import__("django.utils.timezone").utils.timezone.now()
        + __import__("datetime").timedelta(days=8)
    )

    def payout():
        try:
            services.payout_request(creator=creator, currency="USD", amount_minor=3_000)
            return "ok"
        except Exception as exc:
            return getattr(exc, "code", repr(exc))

    results = _parallel(8, payout)

    assert results.count("ok") == 2  # 8000 available: two payouts of 3000
    assert set(results) == {"ok", "insufficient_balance"}
    assert Payout.objects.count() == 2
    assert selectors.balance(kind=AccountKind.CREATOR_AVAILABLE, currency="USD", owner_id=creator.pk) == 2000
    assert_ledger_invariants()
