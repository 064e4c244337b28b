"""The Stripe and CCBill adapters' outbound calls, run for real over HTTP against local servers
that play the providers' APIs (fake_providers.py): first the adapter alone, then end to end
through our API with the deployment set to that processor."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from config.env import Env
from config.options import read_config
from fanclub.billing import selectors
from fanclub.billing import services as billing
from fanclub.billing.constants import AccountKind
from fanclub.billing.models import Charge
from fanclub.billing.processors import CCBillProcessor, ProcessorRetryable, StripeProcessor
from fanclub.billing.tests.factories import make_creator, make_ppv_post
from fanclub.billing.tests.fake_providers import (
    CCBILL_CLIENT_ID,
    CCBILL_CLIENT_SECRET,
    STRIPE_TEST_KEY,
    closed_port_url,
)
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot
from fanclub.core.errors import ApiError

PM = "pm_card_visa"


def _charge(processor: Any, key: str = "fan:k1", amount_minor: int = 1234, currency: str = "EUR") -> Any:
    return processor.charge(token=PM, amount_minor=amount_minor, currency=currency, idempotency_key=key)


# --- Configuration --------------------------------------------------------------------------------
def test_api_bases_default_to_the_providers_and_are_validated() -> None:
    env = Env(source={})
    cfg = read_config(env)
    assert (cfg["STRIPE_API_BASE"], cfg["CCBILL_API_BASE"]) == (
        "https://api.stripe.com",
        "https://api.ccbill.com",
    )

    env = Env(source={"STRIPE_API_BASE": "http://127.0.0.1:12111/", "CCBILL_API_BASE": "ftp://x"})
    cfg = read_config(env)
    assert cfg["STRIPE_API_BASE"] == "http://127.0.0.1:12111"
    assert env.problems == ["CCBILL_API_BASE: expected a URL starting with https or http://"]

    env = Env(source={"FANCLUB_MODE": "production", "STRIPE_API_BASE": "http://stripe.internal"})
    read_config(env)
    assert "STRIPE_API_BASE: production talks to the processor over https:// only" in env.problems


# --- Stripe, the adapter alone --------------------------------------------------------------------
def test_stripe_charge_creates_and_confirms_one_payment_intent(fake_stripe: Any) -> None:
    result = _charge(StripeProcessor())

    assert result.status == "succeeded" and result.reference.startswith("pi_")
    [request] = fake_stripe.requests
    assert request.path == "/v1/payment_intents"
    assert request.header("Authorization") == f"Bearer {STRIPE_TEST_KEY}"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.header("Idempotency-Key") == "fan:k1"
    assert request.params == {
        "amount": "1234",
        "currency": "eur",
        "payment_method": PM,
        "confirm": "true",
        "off_session": "true",
    }
    assert fake_stripe.intents[result.reference]["status"] == "succeeded"


def test_stripe_same_key_replays_the_first_intent_and_other_parameters_are_refused(fake_stripe: Any) -> None:
    import stripe

    first = _charge(StripeProcessor())
    again = _charge(StripeProcessor())

    assert again == first
    assert len(fake_stripe.intents) == 1
    with pytest.raises(stripe.IdempotencyError):
        _charge(StripeProcessor(), amount_minor=999)
    assert len(fake_stripe.intents) == 1


def test_stripe_decline_returns_the_decline_code(fake_stripe: Any) -> None:
    fake_stripe.fail_next("decline")

    result = _charge(StripeProcessor())

    assert (result.status, result.reference, result.decline_code) == ("declined", "", "insufficient_funds")
    assert not fake_stripe.intents


def test_stripe_intent_that_did_not_take_the_money_is_not_a_success(fake_stripe: Any) -> None:
    fake_stripe.fail_next("requires_action")

    result = _charge(StripeProcessor())

    assert (result.status, result.decline_code) == ("declined", "requires_action")


@pytest.mark.parametrize("failure", ["rate_limit", "server_error"])
def test_stripe_rate_limit_and_server_error_are_retryable(fake_stripe: Any, failure: str) -> None:
    fake_stripe.fail_next(failure)

    with pytest.raises(ProcessorRetryable):
        _charge(StripeProcessor())

    assert len(fake_stripe.requests) == 1  # stripe-python does not retry on its own


def test_stripe_rate_limited_call_retried_with_the_same_key_charges_once(fake_stripe: Any) -> None:
    fake_stripe.fail_next("rate_limit")
    with pytest.raises(ProcessorRetryable):
        _charge(StripeProcessor())

    result = _charge(StripeProcessor())

    assert result.status == "succeeded" and len(fake_stripe.intents) == 1
    assert [r.header("Idempotency-Key") for r in fake_stripe.requests] == ["fan:k1", "fan:k1"]


def test_stripe_unreachable_is_retryable(fake_stripe: Any, settings: Any) -> None:
    settings.STRIPE_API_BASE = closed_port_url()

    with pytest.raises(ProcessorRetryable):
        _charge(StripeProcessor())


def test_stripe_wrong_key_is_not_retried(fake_stripe: Any, settings: Any) -> None:
    import stripe

    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(stripe.AuthenticationError):
        _charge(StripeProcessor())


def test_stripe_refund_and_payout_send_what_they_should(fake_stripe: Any) -> None:
    processor = StripeProcessor()
    charged = _charge(processor, amount_minor=2000, currency="USD")

    refund = processor.refund(
        reference=charged.reference, amount_minor=500, currency="USD", idempotency_key="r1"
    )
    payout = processor.payout(amount_minor=3000, currency="GBP", idempotency_key="po1")

    assert refund.reference.startswith("re_") and payout.reference.startswith("po_")
    _, refund_request, payout_request = fake_stripe.requests
    assert (refund_request.path, refund_request.params) == (
        "/v1/refunds",
        {"payment_intent": charged.reference, "amount": "500"},
    )
    assert refund_request.header("Idempotency-Key") == "r1"
    assert (payout_request.path, payout_request.params) == (
        "/v1/payouts",
        {"amount": "3000", "currency": "gbp"},
    )
    assert payout_request.header("Idempotency-Key") == "po1"
    assert fake_stripe.intents[charged.reference]["refunded"] == 500


# --- CCBill, the adapter alone --------------------------------------------------------------------
def test_ccbill_charge_gets_a_token_then_charges_the_payment_token(fake_ccbill: Any) -> None:
    result = CCBillProcessor().charge(
        token="ptok123", amount_minor=1999, currency="EUR", idempotency_key="fan:k1"
    )

    assert result.status == "succeeded" and result.reference
    token_request, charge_request = fake_ccbill.requests
    basic = base64.b64encode(f"{CCBILL_CLIENT_ID}:{CCBILL_CLIENT_SECRET}".encode()).decode()
    assert token_request.path == "/ccbill-auth/oauth/token"
    assert token_request.header("Authorization") == f"Basic {basic}"
    assert token_request.params == {"grant_type": "client_credentials"}
    assert charge_request.path == "/transactions/payment-tokens/ptok123"
    assert charge_request.header("Authorization") == f"Bearer {next(iter(fake_ccbill.tokens))}"
    assert charge_request.header("Accept") == "application/vnd.mcn.transaction-service.api.v.2+json"
    assert charge_request.json == {
        "clientAccnum": 900100,
        "clientSubacc": 0,
        "initialPrice": 19.99,
        "initialPeriod": 30,
        "currencyCode": 978,
        "passThroughInfo": [{"name": "X-idempotencyKey", "value": "fan:k1"}],
    }


def test_ccbill_decline_and_unsupported_currency(fake_ccbill: Any) -> None:
    fake_ccbill.fail_next("decline")
    processor = CCBillProcessor()

    declined = processor.charge(token="ptok", amount_minor=1000, currency="USD", idempotency_key="k")
    unsupported = processor.charge(token="ptok", amount_minor=1000, currency="SEK", idempotency_key="k2")

    assert (declined.status, declined.decline_code) == ("declined", "24")
    assert (unsupported.status, unsupported.decline_code) == ("declined", "currency_not_supported")
    assert len(fake_ccbill.requests) == 2  # the unsupported currency never leaves the platform


@pytest.mark.parametrize("failure", ["server_error", "bad_credentials"])
def test_ccbill_server_error_and_refused_token_are_retryable(fake_ccbill: Any, failure: str) -> None:
    fake_ccbill.fail_next(failure)

    with pytest.raises(ProcessorRetryable):
        CCBillProcessor().charge(token="ptok", amount_minor=1000, currency="USD", idempotency_key="k")


def test_ccbill_unreachable_is_retryable(fake_ccbill: Any, settings: Any) -> None:
    settings.CCBILL_API_BASE = closed_port_url()

    with pytest.raises(ProcessorRetryable) as unreachable:
        CCBillProcessor().charge(token="ptok", amount_minor=1000, currency="USD", idempotency_key="k")
    assert unreachable.value.maybe_charged is False  # never reached CCBill: safe to send again


def test_a_ccbill_server_error_after_sending_may_have_charged(fake_ccbill: Any) -> None:
    fake_ccbill.fail_next("server_error")

    with pytest.raises(ProcessorRetryable) as failed:
        CCBillProcessor().charge(token="ptok", amount_minor=1000, currency="USD", idempotency_key="k")
    assert failed.value.maybe_charged is True
    assert CCBillProcessor.idempotent_charges is False  # CCBill's charge API takes no idempotency key


# --- End to end through the API -------------------------------------------------------------------
def _post(fan: Any, path: str, body: dict[str, Any], key: str) -> Any:
    client = Client()
    client.force_login(fan)
    return client.post(
        path, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def _tip(amount_minor: int = 1000, token: str = PM) -> dict[str, Any]:
    return {
        "creatorHandle": "bill.creator",
        "amountMinor": amount_minor,
        "currency": "USD",
        "payment": {"funding": "card", "cardToken": token},
    }


@pytest.mark.django_db
def test_stripe_tip_through_the_api_charges_once_and_balances(
    make_user: Any, fan: Any, fake_stripe: Any
) -> None:
    make_creator(make_user, "bill.creator")

    first = _post(fan, "/api/v1/billing/tips", _tip(), key="tip-1")
    again = _post(fan, "/api/v1/billing/tips", _tip(), key="tip-1")

    assert first.status_code == 201 and again.json() == first.json()
    [request] = fake_stripe.requests
    assert request.params["amount"] == "1000" and request.params["currency"] == "usd"
    assert request.header("Idempotency-Key") == f"{fan.pk}:tip-1"
    charge = Charge.objects.get()
    assert (charge.processor, charge.processor_ref) == ("stripe", next(iter(fake_stripe.intents)))
    assert selectors.balance(kind=AccountKind.PLATFORM_FEES, currency="USD") == 200
    assert_ledger_invariants()


@pytest.mark.django_db
def test_stripe_unlock_through_the_api_charges_once(make_user: Any, fan: Any, fake_stripe: Any) -> None:
    creator = make_creator(make_user, "bill.creator")
    post = make_ppv_post(creator, price_minor=700)
    body = {"postId": post.pk, "payment": {"funding": "card", "cardToken": PM}}

    first = _post(fan, "/api/v1/billing/unlocks", body, key="unlock-1")
    again = _post(fan, "/api/v1/billing/unlocks", body, key="unlock-1")

    assert first.status_code == 201 and again.json() == first.json()
    assert [r.params["amount"] for r in fake_stripe.calls("/v1/payment_intents")] == ["700"]
    assert Charge.objects.get().processor_ref == next(iter(fake_stripe.intents))
    assert_ledger_invariants()


@pytest.mark.django_db
def test_stripe_decline_through_the_api_leaves_the_ledger_as_it_was(
    make_user: Any, fan: Any, fake_stripe: Any
) -> None:
    make_creator(make_user, "bill.creator")
    assert _post(fan, "/api/v1/billing/tips", _tip(), key="ok").status_code == 201
    before = ledger_snapshot()
    fake_stripe.fail_next("decline")

    response = _post(fan, "/api/v1/billing/tips", _tip(2500), key="declined")

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "card_declined"
    assert response.json()["error"]["details"] == {"declineCode": "insufficient_funds"}
    assert ledger_snapshot() == before
    assert len(fake_stripe.calls("/v1/payment_intents")) == 2
    assert_ledger_invariants()


@pytest.mark.django_db
def test_stripe_rate_limit_through_the_api_is_retried_with_the_same_key(
    make_user: Any, fan: Any, fake_stripe: Any
) -> None:
    make_creator(make_user, "bill.creator")
    fake_stripe.fail_next("rate_limit")

    response = _post(fan, "/api/v1/billing/tips", _tip(), key="tip-429")

    assert response.status_code == 201
    assert [r.header("Idempotency-Key") for r in fake_stripe.requests] == [f"{fan.pk}:tip-429"] * 2
    assert len(fake_stripe.intents) == 1 and Charge.objects.count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db
def test_stripe_down_through_the_api_is_503_and_nothing_is_booked(
    make_user: Any, fan: Any, fake_stripe: Any
) -> None:
    make_creator(make_user, "bill.creator")
    before = ledger_snapshot()
    fake_stripe.fail_next("rate_limit", "rate_limit")

    response = _post(fan, "/api/v1/billing/tips", _tip(), key="tip-down")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "processor_unavailable"
    assert ledger_snapshot() == before and not fake_stripe.intents


@pytest.mark.django_db
def test_stripe_refund_through_the_service_refunds_the_intent(
    make_user: Any, fan: Any, fake_stripe: Any
) -> None:
    make_creator(make_user, "bill.creator")
    assert _post(fan, "/api/v1/billing/tips", _tip(1000), key="tip-r").status_code == 201
    charge = Charge.objects.get()

    billing.charge_refund(charge_id=charge.pk, amount_minor=400)

    refund_request = fake_stripe.calls("/v1/refunds")[0]
    assert refund_request.params == {"payment_intent": charge.processor_ref, "amount": "400"}
    assert refund_request.header("Idempotency-Key") == f"refund:{charge.pk}:0"
    assert_ledger_invariants()


@pytest.mark.django_db
def test_ccbill_tip_through_the_api(make_user: Any, fan: Any, fake_ccbill: Any) -> None:
    make_creator(make_user, "bill.creator")

    response = _post(fan, "/api/v1/billing/tips", _tip(1500, token="ptok-fan"), key="tip-cc")
    fake_ccbill.fail_next("decline")
    declined = _post(fan, "/api/v1/billing/tips", _tip(1500, token="ptok-fan"), key="tip-cc-2")

    assert response.status_code == 201 and declined.status_code == 402
    charges = fake_ccbill.calls("/transactions/")
    assert [c.json["initialPrice"] for c in charges] == [15.0, 15.0]
    assert Charge.objects.get().processor == "ccbill"
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_ccbill_charge_with_an_unknown_outcome_is_not_sent_twice(
    make_user: Any, fan: Any, fake_ccbill: Any
) -> None:
    make_creator(make_user, "bill.creator")
    before = ledger_snapshot()
    fake_ccbill.fail_next("server_error")

    response = _post(fan, "/api/v1/billing/tips", _tip(1500, token="ptok-fan"), key="tip-unknown")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "processor_outcome_unknown"
    assert len(fake_ccbill.calls("/transactions/")) == 1  # no blind retry: CCBill could charge twice
    assert not Charge.objects.exists()
    assert ledger_snapshot() == before


def test_ccbill_refund_and_payout_stay_at_the_processor() -> None:
    with pytest.raises(ApiError) as refund:
        CCBillProcessor().refund(reference="x", amount_minor=1, currency="USD", idempotency_key="k")
    with pytest.raises(ApiError) as payout:
        CCBillProcessor().payout(amount_minor=1, currency="USD", idempotency_key="k")
    assert (refund.value.code, payout.value.code) == ("refund_at_processor", "payouts_unsupported")
