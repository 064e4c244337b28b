"""The refund API (admin or the paid creator; full or partial; Idempotency-Key) and scheduled payouts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.accounts.constants import Role
from fanclub.billing import selectors, services
from fanclub.billing.constants import AccountKind, ChargeStatus, PayoutSchedule
from fanclub.billing.models import Charge, Payout, PayoutAccount
from fanclub.billing.tests.factories import CARD, WALLET, make_creator, make_payable, make_ppv_post, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot
from fanclub.content.models import PostUnlock
from fanclub.creators.models import Membership


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refund(client: Client, charge_id, body: dict | None = None, key: str | None = "r1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/billing/charges/{charge_id}/refunds",
        json.dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def creator(make_user):
    return make_creator(make_user, "refund.creator")


@pytest.mark.django_db
def test_creator_refunds_part_then_the_rest_of_a_tip(fan, creator):
    charge = services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=1001,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    client = _client(creator)

    part = _refund(client, charge.pk, {"amountMinor": 333})
    repeat = _refund(client, charge.pk, {"amountMinor": 333})
    rest = _refund(client, charge.pk, {}, key="r2")

    assert part.status_code == 201, part.json()
    assert repeat.json() == part.json()  # the same key returns the first result, refunds once
    assert (part.json()["refundedMinor"], part.json()["status"]) == (333, ChargeStatus.PARTIALLY_REFUNDED)
    assert (rest.json()["refundedMinor"], rest.json()["status"]) == (1001, ChargeStatus.REFUNDED)
    charge.refresh_from_db()
    # Fee of 1001 = 200; the partial refund reversed round_half_up(333 x 20%) = 67, the final one 133.
    assert (charge.fee_refunded_minor, charge.fee_minor) == (200, 200)
    assert selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=creator.pk) == 0
    assert selectors.balance(kind=AccountKind.PLATFORM_FEES, currency="USD") == 0
    assert_ledger_invariants()


@pytest.mark.django_db
def test_admin_refund_of_an_unlock_revokes_access(make_user, fan, creator):
    admin = make_user(Role.ADMIN, handle="refund.admin")
    post = make_ppv_post(creator, price_minor=700)
    charge = services.post_unlock_buy(fan=fan, post_id=post.pk, payment=CARD, idempotency_key="u")
    assert PostUnlock.objects.filter(fan=fan, post=post).exists()

    response = _refund(_client(admin), charge.pk)

    assert response.status_code == 201, response.json()
    assert not PostUnlock.objects.filter(fan=fan, post=post).exists()
    assert_ledger_invariants()


@pytest.mark.django_db
def test_refund_of_a_subscription_from_wallet_credit_goes_back_to_the_wallet(fan, creator):
    services.wallet_top_up(fan=fan, amount_minor=5000, currency="USD", payment=CARD, idempotency_key="w")
    tier = make_tier(creator, price_minor=1200)
    subscription = services.subscription_create(fan=fan, tier_id=tier.pk, payment=WALLET, idempotency_key="s")
    charge = subscription.charges.get()

    response = _refund(_client(creator), charge.pk)

    assert response.status_code == 201
    assert selectors.wallet_balance(fan_id=fan.pk, currency="USD") == 5000
    assert Membership.objects.get(fan=fan, creator=creator).status != "active"
    assert_ledger_invariants()


@pytest.mark.django_db
def test_who_may_refund_and_bad_refunds_change_nothing(make_user, fan, creator):
    other_creator = make_creator(make_user, "refund.other")
    moderator = make_user(Role.MODERATOR, handle="refund.mod")
    charge = services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=1000,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    top_up = services.wallet_top_up(
        fan=fan, amount_minor=1000, currency="USD", payment=CARD, idempotency_key="w"
    )
    before = ledger_snapshot()

    cases = [
        (fan, charge.pk, {}, "k1", 404, "not_found"),  # the payer asks the creator instead
        (other_creator, charge.pk, {}, "k2", 404, "not_found"),
        (moderator, charge.pk, {}, "k3", 404, "not_found"),
        (creator, top_up.pk, {}, "k4", 404, "not_found"),  # no creator was paid: admins only
        (creator, "00000000-0000-0000-0000-000000000000", {}, "k5", 404, "not_found"),
        (creator, charge.pk, {"amountMinor": 0}, "k6", 422, "amount_out_of_bounds"),
        (creator, charge.pk, {"amountMinor": -5}, "k7", 422, "amount_out_of_bounds"),
        (creator, charge.pk, {"amountMinor": 1001}, "k8", 422, "amount_out_of_bounds"),
        (creator, charge.pk, {}, None, 422, "idempotency_key_required"),
    ]
    for actor, charge_id, body, key, status, code in cases:
        response = _refund(_client(actor), charge_id, body, key)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), actor
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_refund_after_chargeback_is_409(fan, creator):
    charge = services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=1000,
        currency="USD",
        payment=CARD,
        idempotency_key="t",
    )
    services.charge_chargeback(charge_id=charge.pk)
    before = ledger_snapshot()

    response = _refund(_client(creator), charge.pk)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "nothing_to_refund")
    assert ledger_snapshot() == before


# --- Scheduled payouts --------------------------------------------------------------------------------
def _earn(fan, creator, amount: int) -> None:
    services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=amount,
        currency="USD",
        payment=CARD,
        idempotency_key=f"earn-{amount}-{Charge.objects.count()}",
    )
    services.holds_release_due(now=timezone.now() + timedelta(days=30))


@pytest.mark.django_db
def test_weekly_schedule_pays_out_available_balance_once_a_week(fan, creator, settings):
    settings.BILLING_MIN_PAYOUT_MINOR = 2000
    make_payable(creator)
    services.payout_schedule_set(creator=creator, schedule=PayoutSchedule.WEEKLY)
    _earn(fan, creator, 5000)  # net 4000 available
    now = timezone.now()

    assert services.payouts_schedule_run(now=now) == 1
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.status) == (4000, "requested")
    _earn(fan, creator, 5000)
    assert services.payouts_schedule_run(now=now + timedelta(days=6)) == 0  # not due yet
    assert services.payouts_schedule_run(now=now + timedelta(days=7)) == 1
    assert list(Payout.objects.order_by("created_at").values_list("amount_minor", flat=True)) == [4000, 4000]
    assert selectors.balance(kind=AccountKind.CREATOR_AVAILABLE, currency="USD", owner_id=creator.pk) == 0
    assert_ledger_invariants()


@pytest.mark.django_db
def test_monthly_schedule_skips_small_balances_and_unverified_creators(make_user, fan, creator, settings):
    settings.BILLING_MIN_PAYOUT_MINOR = 2000
    make_payable(creator)
    services.payout_schedule_set(creator=creator, schedule=PayoutSchedule.MONTHLY)
    unverified = make_creator(make_user, "refund.unverified")
    make_payable(unverified)
    services.payout_schedule_set(creator=unverified, schedule=PayoutSchedule.MONTHLY)
    PayoutAccount.objects.filter(creator=unverified).update(is_identity_verified=False)
    _earn(fan, unverified, 10000)
    _earn(fan, creator, 2000)  # net 1600: below the minimum
    now = timezone.now()

    assert services.payouts_schedule_run(now=now) == 0
    assert not Payout.objects.exists()
    _earn(fan, creator, 2000)  # 3200 now: paid at the next run, which marks this month as done
    assert services.payouts_schedule_run(now=now + timedelta(hours=1)) == 1
    assert Payout.objects.get().amount_minor == 3200
    _earn(fan, creator, 5000)
    assert services.payouts_schedule_run(now=now + timedelta(hours=2)) == 0  # once per month
    next_month = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert services.payouts_schedule_run(now=next_month) == 1
    assert list(Payout.objects.order_by("created_at").values_list("amount_minor", flat=True)) == [3200, 4000]
    assert_ledger_invariants()


@pytest.mark.django_db
def test_opting_in_needs_mfa_and_the_api_reports_the_schedule(creator):
    client = _client(creator)
    refused = client.put(
        "/api/v1/billing/payouts/schedule",
        json.dumps({"schedule": "weekly"}),
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "mfa_required")
    assert client.get("/api/v1/billing/payouts/schedule").json() == {
        "schedule": "off",
        "lastScheduledPayoutAt": None,
    }
    make_payable(creator)
    bad = client.put(
        "/api/v1/billing/payouts/schedule", json.dumps({"schedule": "daily"}), content_type="application/json"
    )
    assert bad.status_code == 422
    ok = client.put(
        "/api/v1/billing/payouts/schedule",
        json.dumps({"schedule": "monthly"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["schedule"] == "monthly"
    assert PayoutAccount.objects.get(creator=creator).payout_schedule == "monthly"


@pytest.mark.django_db
def test_a_failed_payout_recovers_chargeback_debt_first(fan, creator, settings):
    """Then a chargeback before or after the failure leaves the same balances."""
    settings.BILLING_MIN_PAYOUT_MINOR = 100
    make_payable(creator)
    first = services.tip_send(
        fan=fan,
        creator_handle=creator.handle,
        amount_minor=5000,
        currency="USD",
        payment=CARD,
        idempotency_key="a",
    )
    services.holds_release_due(now=timezone.now() + timedelta(days=30))
    payout = services.payout_send(payout_id=services.payout_request(creator=creator, currency="USD").pk)
    assert payout is not None
    services.charge_chargeback(charge_id=first.pk)  # available is 0: the creator's 4000 become debt
    assert selectors.balance(kind=AccountKind.CREATOR_DEBT, currency="USD", owner_id=creator.pk) == -4000

    services.payout_settle(processor="sandbox", reference=payout.processor_ref, paid=False)

    assert selectors.balance(kind=AccountKind.CREATOR_DEBT, currency="USD", owner_id=creator.pk) == 0
    assert selectors.balance(kind=AccountKind.CREATOR_AVAILABLE, currency="USD", owner_id=creator.pk) == 0
    assert_ledger_invariants()
