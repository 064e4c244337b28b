"""CCBill: CCBill-shaped webhooks (URL-encoded and JSON, eventType in the query string) through the
real endpoint, verified as CCBill documents (source network, merchant account, MD5 digest with the
salt), stored once and applied by the job code. No network: outbound CCBill calls are not run."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from fanclub.billing import selectors, services
from fanclub.billing.constants import AccountKind, ChargeStatus
from fanclub.billing.models import Charge, WebhookEvent
from fanclub.billing.processors import ccbill_digest, ccbill_form_digest
from fanclub.billing.tests.factories import CARD, make_creator
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot

SALT = "7d901dad245fd0ff6bc20d06"
CCBILL_IP = "64.38.240.17"
TRANSACTION = "0912191101000000159"


@pytest.fixture(autouse=True)
def _ccbill(settings) -> None:
    settings.CCBILL_CLIENT_ACCNUM = "900100"
    settings.CCBILL_CLIENT_SUBACC = "0000"
    settings.CCBILL_SALT = SALT


@pytest.fixture
def ccbill_charge(make_user, fan):
    """A card charge CCBill took: booked by the real services, then attributed to CCBill (the
    outbound charge call cannot run here)."""
    creator = make_creator(make_user, "cc.creator")
    charge = services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=1000,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    Charge.objects.filter(pk=charge.pk).update(processor="ccbill", processor_ref=TRANSACTION)
    charge.refresh_from_db()
    return charge


def _fields(**extra: str) -> dict[str, str]:
    return {
        "transactionId": TRANSACTION,
        "subscriptionId": "1000000000",
        "clientAccnum": "900100",
        "clientSubacc": "0000",
        "timestamp": "2026-11-25 15:18:17",
        **extra,
    }


def _send(event_type: str, fields: dict[str, str], *, as_json: bool = False, ip: str = CCBILL_IP):
    url = f"/api/v1/billing/webhooks/ccbill?eventType={event_type}&eventGroupType=Subscription"
    if as_json:
        return Client().post(url, json.dumps(fields), content_type="application/json", REMOTE_ADDR=ip)
    return Client().post(
        url, urlencode(fields), content_type="application/x-www-form-urlencoded", REMOTE_ADDR=ip
    )


def _apply_all() -> list[str]:
    return [
        services.webhook_event_process(event_pk=pk)
        for pk in WebhookEvent.objects.order_by("pk").values_list("pk", flat=True)
    ]


def test_digests_match_ccbills_documented_examples() -> None:
    # CCBill's formDigest example: "10.00" + "30" + "840" + salt.
    assert ccbill_form_digest(initial_price="10.00", initial_period=30, currency_code="840", salt=SALT) == (
        "a7459445d0e5dc0963fe736dc5cf900b"
    )
    assert ccbill_digest(subscription_id="1", approved=True, salt="s") != ccbill_digest(
        subscription_id="1", approved=False, salt="s"
    )


@pytest.mark.django_db
def test_chargeback_webhook_reverses_the_charge_once(ccbill_charge):
    fields = _fields(amount="10.00", currencyCode="840", reason="Fraud")

    first = _send("Chargeback", fields)
    again = _send("Chargeback", fields)

    assert first.status_code == 200 and first.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    assert _apply_all() == ["charged back"]
    ccbill_charge.refresh_from_db()
    assert ccbill_charge.status == ChargeStatus.CHARGED_BACK
    assert (
        selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=ccbill_charge.creator_id)
        == 0
    )
    assert_ledger_invariants()


@pytest.mark.django_db
def test_refund_webhook_in_json_books_a_partial_refund_without_calling_ccbill(ccbill_charge):
    response = _send(
        "Refund", _fields(amount="2.50", currencyCode="840", reason="Customer request"), as_json=True
    )

    assert response.status_code == 200
    assert _apply_all() == ["refunded 250"]
    ccbill_charge.refresh_from_db()
    # Fee reversed: round_half_up(250 x 20%) = 50; the creator gives back 200.
    assert (ccbill_charge.refunded_minor, ccbill_charge.fee_refunded_minor) == (250, 50)
    assert ccbill_charge.status == ChargeStatus.PARTIALLY_REFUNDED
    assert (
        selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=ccbill_charge.creator_id)
        == 600
    )
    assert_ledger_invariants()


@pytest.mark.django_db
def test_new_sale_with_a_valid_digest_is_stored_for_reconciliation(ccbill_charge):
    digest = ccbill_digest(subscription_id="1000000000", approved=True, salt=SALT)
    before = ledger_snapshot()

    response = _send(
        "NewSaleSuccess",
        _fields(billedInitialPrice="10.00", billedCurrencyCode="840", dynamicPricingValidationDigest=digest),
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().type == "ccbill.NewSaleSuccess"
    assert _apply_all() == ["ignored"]
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_a_refund_event_before_the_charge_is_known_waits(fan):
    from fanclub.core.jobs import RetryableJobError

    _send("Refund", _fields(amount="1.00", currencyCode="840"))
    with pytest.raises(RetryableJobError):
        _apply_all()
    assert WebhookEvent.objects.get().processed_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_type", "fields", "ip", "code"),
    [
        ("Chargeback", _fields(amount="10.00", currencyCode="840"), "203.0.113.9", "webhook_bad_signature"),
        ("Chargeback", _fields(amount="10.00", currencyCode="840"), "not-an-ip", "webhook_bad_signature"),
        (
            "Chargeback",
            _fields(amount="10.00", currencyCode="840", clientAccnum="900999"),
            CCBILL_IP,
            "webhook_bad_signature",
        ),
        (
            "Chargeback",
            _fields(amount="10.00", currencyCode="840", clientSubacc="0001"),
            CCBILL_IP,
            "webhook_bad_signature",
        ),
        (
            "NewSaleSuccess",
            _fields(dynamicPricingValidationDigest="0" * 32),
            CCBILL_IP,
            "webhook_bad_signature",
        ),
        ("NewSaleSuccess", _fields(), CCBILL_IP, "webhook_bad_signature"),
        # A denial's digest (flag 0) does not validate a success.
        (
            "NewSaleSuccess",
            _fields(
                dynamicPricingValidationDigest=ccbill_digest(
                    subscription_id="1000000000", approved=False, salt=SALT
                )
            ),
            CCBILL_IP,
            "webhook_bad_signature",
        ),
        ("Refund", _fields(amount="ten", currencyCode="840"), CCBILL_IP, "webhook_malformed"),
        ("Refund", _fields(amount="1.001", currencyCode="840"), CCBILL_IP, "webhook_malformed"),
        ("Refund", _fields(amount="1.00", currencyCode="999"), CCBILL_IP, "webhook_malformed"),
        ("", _fields(amount="1.00", currencyCode="840"), CCBILL_IP, "webhook_malformed"),
        (
            "Refund",
            {"clientAccnum": "900100", "clientSubacc": "0000", "amount": "1.00", "currencyCode": "840"},
            CCBILL_IP,
            "webhook_malformed",
        ),
    ],
)
def test_forged_or_malformed_ccbill_webhooks_change_nothing(ccbill_charge, event_type, fields, ip, code):
    before = ledger_snapshot()

    response = _send(event_type, fields, ip=ip)

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    assert not WebhookEvent.objects.exists()
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_ccbill_refunds_from_our_side_are_refused_clearly(ccbill_charge, make_user):
    """CCBill has no refund call in its transaction API: the admin issues it, its webhook books it."""
    from fanclub.accounts.constants import Role

    admin = make_user(Role.ADMIN, handle="cc.admin")
    client = Client()
    client.force_login(admin)
    before = ledger_snapshot()

    response = client.post(
        f"/api/v1/billing/charges/{ccbill_charge.pk}/refunds",
        "{}",
        content_type="application/json",
        headers={"Idempotency-Key": "r"},
    )

    assert (response.status_code, response.json()["error"]["code"]) == (409, "refund_at_processor")
    assert ledger_snapshot() == before
