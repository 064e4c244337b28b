"""Billing pages: checkout with server-side idempotency keys, history, subscriptions, earnings, payouts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from fanclub.billing import selectors
from fanclub.billing.constants import AccountKind, SubscriptionStatus
from fanclub.billing.models import Charge, IdempotencyRecord, Payout, Posting, Subscription
from fanclub.billing.processors import SandboxCards
from fanclub.billing.services import tip_send
from fanclub.billing.services.payments import holds_release_due
from fanclub.billing.tests.factories import CARD, make_creator, make_payable, make_ppv_post, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _key(response) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode())
    assert match, "the form carries a server-generated idempotency key"
    return match.group(1)


def _card(key: str, number: str = SandboxCards.SUCCEEDS, **extra) -> dict:
    return {"idempotency_key": key, "funding": "card", "card_number": number, **extra}


def test_subscribe_checkout_charges_once_on_double_submit_and_grants_access(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    tier = make_tier(creator, 1000)
    client = _client(fan)

    page = client.get(f"/billing/subscribe/{tier.pk}/")
    assert page.status_code == 200
    key = _key(page)
    first = client.post(f"/billing/subscribe/{tier.pk}/", _card(key))
    again = client.post(f"/billing/subscribe/{tier.pk}/", _card(key))

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == "/c/bill.creator/"
    assert Charge.objects.count() == 1 and Subscription.objects.count() == 1
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE
    assert selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=creator.pk) == 800
    assert_ledger_invariants()


def test_every_checkout_page_gets_a_fresh_key(make_user, fan):
    tier = make_tier(make_creator(make_user, "bill.creator"))
    client = _client(fan)

    assert _key(client.get(f"/billing/subscribe/{tier.pk}/")) != _key(
        client.get(f"/billing/subscribe/{tier.pk}/")
    )


def test_declined_card_shows_the_reason_changes_nothing_and_a_retry_with_the_new_key_succeeds(make_user, fan):
    tier = make_tier(make_creator(make_user, "bill.creator"))
    client = _client(fan)
    key = _key(client.get(f"/billing/subscribe/{tier.pk}/"))

    declined = client.post(f"/billing/subscribe/{tier.pk}/", _card(key, SandboxCards.DECLINED))

    assert declined.status_code == 422
    assert "The card was declined." in declined.content.decode()
    assert (Charge.objects.count(), Posting.objects.count(), IdempotencyRecord.objects.count()) == (0, 0, 0)
    retry_key = _key(declined)
    assert retry_key != key
    assert client.post(f"/billing/subscribe/{tier.pk}/", _card(retry_key)).status_code == 302
    assert Charge.objects.count() == 1


def test_card_number_is_required_for_card_payments(make_user, fan):
    tier = make_tier(make_creator(make_user, "bill.creator"))
    client = _client(fan)
    response = client.post(f"/billing/subscribe/{tier.pk}/", _card("k1", "12ab"))

    assert response.status_code == 422
    assert "Enter the card number" in response.content.decode()
    assert Charge.objects.count() == 0


def test_profile_subscribe_and_unlock_links_lead_to_the_checkout(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    tier = make_tier(creator)
    post = make_ppv_post(creator)
    client = _client(fan)

    assert (
        client.get(f"/c/bill.creator/subscribe/?tier={tier.pk}")["Location"]
        == f"/billing/subscribe/{tier.pk}/"
    )
    assert (
        client.get(f"/c/bill.creator/subscribe/?post={post.pk}")["Location"] == f"/billing/unlock/{post.pk}/"
    )
    tiers_page = client.get("/c/bill.creator/subscribe/").content.decode()
    assert f"/billing/subscribe/{tier.pk}/" in tiers_page and "/billing/tip/bill.creator/" in tiers_page


def test_unlock_checkout_unlocks_the_post_with_wallet_credit_or_card(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    post = make_ppv_post(creator, 500)
    client = _client(fan)

    wallet = client.post(f"/billing/unlock/{post.pk}/", {"idempotency_key": "w1", "funding": "wallet"})
    assert wallet.status_code == 422 and "Not enough wallet credit." in wallet.content.decode()

    key = _key(client.get(f"/billing/unlock/{post.pk}/"))
    response = client.post(f"/billing/unlock/{post.pk}/", _card(key))

    assert response.status_code == 302 and response["Location"] == f"/p/{post.pk}/"
    assert client.get(f"/billing/unlock/{post.pk}/")["Location"] == f"/p/{post.pk}/"  # already yours
    assert Charge.objects.get().kind == "unlock"


def test_unlock_of_a_post_that_is_not_for_sale_is_404(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    tier = make_tier(creator)
    assert _client(fan).get(f"/billing/unlock/{tier.pk + 999_999}/").status_code == 404


def test_tip_checkout_sends_the_tip_and_shows_a_receipt(make_user, fan):
    make_creator(make_user, "bill.creator")
    client = _client(fan)
    key = _key(client.get("/billing/tip/bill.creator/"))

    response = client.post("/billing/tip/bill.creator/", _card(key, amount="12.34", note="thanks"))
    again = client.post("/billing/tip/bill.creator/", _card(key, amount="12.34", note="thanks"))

    charge = Charge.objects.get()
    assert response["Location"] == again["Location"] == f"/billing/receipts/{charge.pk}/"
    assert (charge.amount_minor, charge.fee_minor, charge.note) == (1234, 247, "thanks")
    receipt = client.get(response["Location"]).content.decode()
    assert "USD 12.34" in receipt and "thanks" in receipt
    history = client.get("/billing/").content.decode()
    assert f"/billing/receipts/{charge.pk}/" in history


def test_same_key_with_another_amount_is_refused(make_user, fan):
    make_creator(make_user, "bill.creator")
    client = _client(fan)
    client.post("/billing/tip/bill.creator/", _card("k1", amount="5.00"))
    response = client.post("/billing/tip/bill.creator/", _card("k1", amount="6.00"))

    assert response.status_code == 422
    assert "used with different parameters" in response.content.decode()
    assert Charge.objects.count() == 1


def test_receipts_are_private_to_the_fan(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    charge = tip_send(
        fan=fan,
        creator_handle="bill.creator",
        amount_minor=500,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    assert _client(creator).get(f"/billing/receipts/{charge.pk}/").status_code == 404
    assert _client(make_user(handle="someone")).get(f"/billing/receipts/{charge.pk}/").status_code == 404


def test_cancel_at_period_end_then_resume(make_user, fan):
    tier = make_tier(make_creator(make_user, "bill.creator"))
    client = _client(fan)
    client.post(f"/billing/subscribe/{tier.pk}/", _card("s1"))
    subscription = Subscription.objects.get()

    assert client.post(f"/billing/subscriptions/{subscription.pk}/cancel/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is True
    assert "Resume" in client.get("/billing/subscriptions/").content.decode()
    client.post(f"/billing/subscriptions/{subscription.pk}/resume/")
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False


def test_someone_elses_subscription_is_404_and_unchanged(make_user, fan):
    tier = make_tier(make_creator(make_user, "bill.creator"))
    _client(fan).post(f"/billing/subscribe/{tier.pk}/", _card("s1"))
    subscription = Subscription.objects.get()

    response = _client(make_user(handle="intruder")).post(f"/billing/subscriptions/{subscription.pk}/cancel/")

    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False


def test_earnings_page_shows_gross_fee_net_by_type_and_pending(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    tier = make_tier(creator, 1000)
    client = _client(fan)
    client.post(f"/billing/subscribe/{tier.pk}/", _card("s1"))
    client.post("/billing/tip/bill.creator/", _card("t1", amount="5.00"))

    page = _client(creator).get("/billing/earnings/")

    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'data-kind="subscription">.*?USD 10\.00.*?USD 2\.00.*?USD 8\.00', html, re.S)
    assert re.search(r'data-kind="tip">.*?USD 5\.00.*?USD 1\.00.*?USD 4\.00', html, re.S)
    assert re.search(r'class="pending">USD 12\.00', html)
    assert html.count('class="chart-bar"') == 30
    assert "style=" not in html


def test_earnings_and_payouts_are_for_creators_only(fan):
    client = _client(fan)
    assert client.get("/billing/earnings/").status_code == 403
    assert client.get("/billing/payouts/").status_code == 403


def test_payout_needs_mfa_and_identity_with_a_clear_reason(make_user):
    creator = make_creator(make_user, "bill.creator")
    client = _client(creator)

    page = client.get("/billing/payouts/").content.decode()
    assert "two-factor authentication" in page
    response = client.post("/billing/payouts/", {"idempotency_key": "p1", "currency": "USD"})
    assert response.status_code == 200 and Payout.objects.count() == 0


def test_payout_request_moves_available_to_transit_once(make_user, fan, settings):
    settings.BILLING_HOLD_DAYS = 0
    creator = make_creator(make_user, "bill.creator")
    make_payable(creator)
    tip_send(
        fan=fan,
        creator_handle="bill.creator",
        amount_minor=5000,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    holds_release_due()
    client = _client(creator)
    key = _key(client.get("/billing/payouts/"))

    first = client.post("/billing/payouts/", {"idempotency_key": key, "currency": "USD"})
    again = client.post("/billing/payouts/", {"idempotency_key": key, "currency": "USD"})

    assert first.status_code == again.status_code == 302
    payout = Payout.objects.get()
    assert payout.amount_minor == 4000
    assert selectors.balance(kind=AccountKind.CREATOR_AVAILABLE, currency="USD", owner_id=creator.pk) == 0
    assert "USD 40.00" in client.get("/billing/payouts/").content.decode()
    assert_ledger_invariants()


def test_statement_csv_for_creator_and_fan(make_user, fan):
    creator = make_creator(make_user, "bill.creator")
    tip_send(
        fan=fan,
        creator_handle="bill.creator",
        amount_minor=999,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )

    creator_rows = list(
        csv.reader(io.StringIO(_client(creator).get("/billing/statement.csv").content.decode()))
    )
    fan_rows = list(csv.reader(io.StringIO(_client(fan).get("/billing/statement.csv").content.decode())))

    assert creator_rows[0][-4:] == ["gross_minor", "fee_minor", "net_minor", "refunded_minor"]
    assert creator_rows[1][2] == "tip" and creator_rows[1][-4:] == ["999", "200", "799", "0"]
    assert len(fan_rows) == 2 and fan_rows[1][-4:] == ["999", "200", "799", "0"]


def test_pages_need_sign_in():
    client = Client()
    for path in ("/billing/", "/billing/subscriptions/", "/billing/earnings/", "/billing/payouts/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/")
