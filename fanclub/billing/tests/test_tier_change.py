"""Upgrade/downgrade with the documented proration rule (docs/billing.md), exact minor units."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from fanclub.billing import services
from fanclub.billing.constants import ChargeKind
from fanclub.billing.models import Charge, Subscription
from fanclub.billing.services.subscriptions import proration_quote
from fanclub.billing.tests.factories import CARD, make_creator, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot
from fanclub.core.errors import ApiError
from fanclub.creators.models import Membership

MONTH = timedelta(days=30)
START = timezone.now().replace(microsecond=0)


@given(
    paid=st.integers(min_value=0, max_value=1_000_000),
    elapsed=st.integers(min_value=0, max_value=int(MONTH.total_seconds()) + 86_400),
    new_price=st.integers(min_value=100, max_value=1_000_000),
    minimum=st.integers(min_value=1, max_value=1_000),
)
def test_proration_rule(paid: int, elapsed: int, new_price: int, minimum: int) -> None:
    plan = proration_quote(
        paid_minor=paid,
        period_start=START,
        period_end=START + MONTH,
        now=START + timedelta(seconds=elapsed),
        new_price_minor=new_price,
        min_charge_minor=minimum,
    )
    whole = int(MONTH.total_seconds())
    unused = max(0, whole - elapsed)
    # The credit is the unused fraction, rounded half up: within half a minor unit of exact.
    assert abs(plan.credit_minor * whole - paid * unused) * 2 <= whole
    assert 0 <= plan.credit_minor <= paid
    if new_price - plan.credit_minor >= minimum:
        assert plan.due_minor == new_price - plan.credit_minor
        assert plan.period == MONTH
    else:
        # Nothing charged; the credit buys time on the new tier, never more than it is worth.
        assert plan.due_minor == 0
        seconds = int(plan.period.total_seconds())
        assert seconds * new_price <= whole * plan.credit_minor < (seconds + 1) * new_price


@pytest.mark.parametrize(
    ("elapsed_days", "paid", "new_price", "credit", "due", "period_seconds"),
    [
        (10, 1000, 3000, 667, 2333, 30 * 86400),  # 20/30 of 1000 = 666.67 -> 667
        (15, 1000, 3000, 500, 2500, 30 * 86400),
        (0, 1000, 1000, 1000, 0, 30 * 86400),  # same price, nothing used: a full month again
        (15, 3000, 1000, 1500, 0, 45 * 86400),  # downgrade: 1500 of credit buys 45 days at 1000
        (30, 1000, 2000, 0, 2000, 30 * 86400),
        (10, 0, 1000, 0, 1000, 30 * 86400),  # a free trial leaves no credit
    ],
)
def test_proration_examples(elapsed_days, paid, new_price, credit, due, period_seconds) -> None:
    plan = proration_quote(
        paid_minor=paid,
        period_start=START,
        period_end=START + MONTH,
        now=START + timedelta(days=elapsed_days),
        new_price_minor=new_price,
        min_charge_minor=100,
    )
    assert (plan.credit_minor, plan.due_minor, int(plan.period.total_seconds())) == (
        credit,
        due,
        period_seconds,
    )


@pytest.fixture
def tiers(make_user):
    creator = make_creator(make_user, "tier.creator")
    return creator, make_tier(creator, price_minor=1000), make_tier(creator, price_minor=3000)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(client, subscription_id, tier_id, key="c1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/billing/subscriptions/{subscription_id}/change-tier",
        json.dumps({"tierId": tier_id}),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.django_db
def test_upgrade_charges_the_difference_now_and_is_idempotent(fan, tiers):
    creator, basic, premium = tiers
    subscription = services.subscription_create(fan=fan, tier_id=basic.pk, payment=CARD, idempotency_key="s")
    ten_days_in = subscription.current_period_start - timedelta(days=10)
    Subscription.objects.filter(pk=subscription.pk).update(
        current_period_start=ten_days_in, current_period_end=ten_days_in + MONTH
    )
    client = _client(fan)

    first = _change(client, subscription.pk, premium.pk)
    again = _change(client, subscription.pk, premium.pk)

    assert first.status_code == 200, first.json()
    assert again.json() == first.json()
    upgrade = Charge.objects.get(kind=ChargeKind.UPGRADE)
    # Unused: 20 of 30 days of 1000 (to the second; a few ms elapsed, so 666.66.. -> 667).
    assert upgrade.amount_minor == 3000 - 667
    assert upgrade.fee_minor == 467  # round_half_up(2333 x 20%) = 466.6 -> 467
    body = first.json()
    assert (body["tierId"], body["priceMinor"], body["periodPaidMinor"]) == (premium.pk, 3000, 3000)
    assert Membership.objects.get(fan=fan, creator=creator).tier_id == premium.pk
    assert_ledger_invariants()


@pytest.mark.django_db
def test_downgrade_turns_the_credit_into_time(fan, tiers):
    creator, basic, premium = tiers
    subscription = services.subscription_create(
        fan=fan, tier_id=premium.pk, payment=CARD, idempotency_key="s"
    )
    before = Charge.objects.count()

    changed = services.subscription_change_tier(
        fan=fan, subscription_id=subscription.pk, tier_id=basic.pk, idempotency_key="d"
    )

    assert Charge.objects.count() == before  # no money moves on a downgrade
    # Almost all of 3000 is unused: about 90 days at 1000 a month.
    length = changed.current_period_end - changed.current_period_start
    assert timedelta(days=89, hours=23) < length <= timedelta(days=90)
    assert changed.period_paid_minor == 3000
    membership = Membership.objects.get(fan=fan, creator=creator)
    assert (membership.tier_id, membership.current_period_end) == (basic.pk, changed.current_period_end)
    assert_ledger_invariants()


@pytest.mark.django_db
def test_bad_tier_changes_are_refused_and_change_nothing(make_user, fan, tiers):
    creator, basic, premium = tiers
    subscription = services.subscription_create(fan=fan, tier_id=basic.pk, payment=CARD, idempotency_key="s")
    elsewhere = make_tier(make_creator(make_user, "tier.other"), price_minor=2000)
    archived = make_tier(creator, price_minor=5000)
    archived.is_archived = True
    archived.save(update_fields=["is_archived"])
    stranger = make_user(handle="tier.stranger")
    before = ledger_snapshot()

    cases = [
        (_client(fan), subscription.pk, basic.pk, "k1", 409, "same_tier"),
        (_client(fan), subscription.pk, elsewhere.pk, "k2", 404, "tier_unavailable"),
        (_client(fan), subscription.pk, archived.pk, "k3", 404, "tier_unavailable"),
        (_client(fan), 999999, premium.pk, "k4", 404, "not_found"),
        (_client(stranger), subscription.pk, premium.pk, "k5", 404, "not_found"),
        (_client(fan), subscription.pk, premium.pk, None, 422, "idempotency_key_required"),
    ]
    for client, subscription_id, tier_id, key, status, code in cases:
        response = _change(client, subscription_id, tier_id, key)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_a_declined_card_leaves_the_old_tier(fan, tiers):
    from fanclub.billing.processors import SandboxCards

    _creator, basic, premium = tiers
    subscription = services.subscription_create(fan=fan, tier_id=basic.pk, payment=CARD, idempotency_key="s")
    Subscription.objects.filter(pk=subscription.pk).update(payment_token=SandboxCards.DECLINED)
    before = ledger_snapshot()

    with pytest.raises(ApiError) as error:
        services.subscription_change_tier(
            fan=fan, subscription_id=subscription.pk, tier_id=premium.pk, idempotency_key="d"
        )

    assert error.value.status == 402
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_discount_months_end_with_a_tier_change(fan, tiers):
    creator, basic, premium = tiers
    services.promotion_create(
        creator=creator, kind="percent_off", code="HALF", discount_bps=5000, discount_months=3
    )
    subscription = services.subscription_create(
        fan=fan, tier_id=basic.pk, payment=CARD, idempotency_key="s", promo_code="HALF"
    )
    assert subscription.period_paid_minor == 500

    changed = services.subscription_change_tier(
        fan=fan, subscription_id=subscription.pk, tier_id=premium.pk, idempotency_key="u"
    )

    assert (changed.promo_periods_left, changed.promo_price_minor) == (0, None)
    # The credit is based on what this period really cost (500), not the list price.
    assert Charge.objects.get(kind=ChargeKind.UPGRADE).amount_minor == 3000 - 500
    services.subscriptions_renew_due(now=changed.current_period_end + timedelta(seconds=1))
    assert Charge.objects.filter(kind=ChargeKind.RENEWAL).get().amount_minor == 3000
    assert_ledger_invariants()
