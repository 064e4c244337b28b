"""Promotions: trials, discounts for the first months, promo codes (limits, expiry, once per fan),
bundles and gift subscriptions; through services and the API, with exact ledger amounts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.billing import selectors, services
from fanclub.billing.constants import AccountKind, ChargeKind, SubscriptionStatus
from fanclub.billing.models import Charge, Promotion, Subscription
from fanclub.billing.processors import SandboxCards
from fanclub.billing.tests.factories import CARD, DECLINED, make_creator, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot
from fanclub.core.errors import ApiError
from fanclub.creators.models import Membership
from fanclub.social import services as social_services


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict, key: str | None = "k1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _renew_all(days: int) -> None:
    services.subscriptions_renew_due(now=timezone.now() + timedelta(days=days))


def _charges(subscription: Subscription) -> list[tuple[str, int]]:
    return list(subscription.charges.order_by("created_at").values_list("kind", "amount_minor"))


@pytest.fixture
def shop(make_user):
    creator = make_creator(make_user, "promo.creator")
    return creator, make_tier(creator, price_minor=1000)


@pytest.mark.django_db
def test_percent_discount_for_the_first_two_months_then_full_price(make_user, fan, shop):
    creator, tier = shop
    services.promotion_create(
        creator=creator, kind="percent_off", code="half2", discount_bps=3333, discount_months=2
    )

    subscription = services.subscription_create(
        fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s1", promo_code=" Half2 "
    )
    _renew_all(31)
    _renew_all(61)
    _renew_all(91)

    # 1000 - round_half_up(1000 x 33.33%) = 1000 - 333 = 667, twice; then full price.
    assert _charges(subscription) == [
        ("subscription", 667),
        ("renewal", 667),
        ("renewal", 1000),
        ("renewal", 1000),
    ]
    subscription.refresh_from_db()
    assert subscription.promo_periods_left == 0
    # Fee and net of the discounted charge: fee = round_half_up(667 x 20%) = 133, net 534.
    first = subscription.charges.order_by("created_at").first()
    assert (first.fee_minor, first.promotion.code) == (133, "HALF2")
    pending = selectors.balance(kind=AccountKind.CREATOR_PENDING, currency="USD", owner_id=creator.pk)
    assert pending == (667 - 133) * 2 + 800 * 2
    assert_ledger_invariants()


@pytest.mark.django_db
def test_fixed_discount_never_goes_below_the_minimum_charge(make_user, fan, settings, shop):
    creator, tier = shop
    settings.BILLING_MIN_CHARGE_MINOR = 100
    services.promotion_create(
        creator=creator, kind="amount_off", code="FIVE", discount_minor=300, discount_months=1
    )
    cheap = make_tier(creator, price_minor=350)
    services.promotion_create(
        creator=creator, kind="amount_off", code="BIG", discount_minor=300, discount_months=1
    )

    first = services.subscription_create(
        fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="a", promo_code="FIVE"
    )
    other = make_user(handle="promo.fan2")
    second = services.subscription_create(
        fan=other, tier_id=cheap.pk, payment=CARD, idempotency_key="b", promo_code="BIG"
    )

    assert _charges(first) == [("subscription", 700)]
    assert _charges(second) == [("subscription", 100)]  # 350 - 300 = 50 is below the minimum
    assert_ledger_invariants()


@pytest.mark.django_db
def test_free_trial_grants_access_without_a_charge_then_renews_at_full_price(make_user, fan, shop):
    creator, tier = shop
    services.promotion_create(creator=creator, kind="trial", code="TRY7", trial_days=7)
    before = ledger_snapshot()[0]

    subscription = services.subscription_create(
        fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="t", promo_code="try7"
    )

    assert ledger_snapshot()[0] == before  # no posting: nothing was charged
    assert Membership.objects.get(fan=fan, creator=creator).status == "active"
    assert subscription.current_period_end - subscription.current_period_start == timedelta(days=7)
    assert subscription.period_paid_minor == 0
    _renew_all(8)
    assert _charges(subscription) == [("renewal", 1000)]
    assert_ledger_invariants()


@pytest.mark.django_db
def test_trial_needs_a_payment_method_for_the_renewal(fan, shop):
    creator, tier = shop
    services.promotion_create(creator=creator, kind="trial", code="TRY7", trial_days=7)
    before = ledger_snapshot()
    from fanclub.billing.services.payments import Payment

    with pytest.raises(ApiError) as error:
        services.subscription_create(
            fan=fan, tier_id=tier.pk, payment=Payment(funding="card"), idempotency_key="t", promo_code="TRY7"
        )
    assert error.value.status == 422
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_bundle_is_one_charge_covering_the_bundle_period(fan, shop):
    creator, tier = shop
    services.promotion_create(creator=creator, kind="bundle", code="SIX", bundle_months=6, discount_bps=1500)

    subscription = services.subscription_create(
        fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="b", promo_code="SIX"
    )

    # 6 x 1000 = 6000, minus round_half_up(6000 x 15%) = 900: 5100, for 180 days.
    assert _charges(subscription) == [("subscription", 5100)]
    assert subscription.current_period_end - subscription.current_period_start == timedelta(days=180)
    assert Membership.objects.get(fan=fan).current_period_end == subscription.current_period_end
    _renew_all(100)
    assert len(_charges(subscription)) == 1  # nothing due inside the bundle
    _renew_all(181)
    assert _charges(subscription) == [("subscription", 5100), ("renewal", 1000)]
    assert_ledger_invariants()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "code", "error"),
    [
        ({}, "NOPE", "promo_code_invalid"),
        ({"expires": True}, "SPRING", "promo_code_expired"),
        ({"limit": 1}, "SPRING", "promo_code_exhausted"),
        ({"used": True}, "SPRING", "promo_code_used"),
        ({"disabled": True}, "SPRING", "promo_code_invalid"),
        ({"other_tier": True}, "SPRING", "promo_code_invalid"),
        ({"other_creator": True}, "SPRING", "promo_code_invalid"),
    ],
)
def test_bad_promo_codes_are_refused_and_leave_everything_as_it_was(make_user, fan, shop, setup, code, error):
    creator, tier = shop
    owner = make_creator(make_user, "promo.other") if setup.get("other_creator") else creator
    target = make_tier(creator, price_minor=2000) if setup.get("other_tier") else None
    promotion = services.promotion_create(
        creator=owner,
        kind="percent_off",
        code="SPRING",
        discount_bps=5000,
        discount_months=1,
        tier_id=target.pk if target else None,
        max_redemptions=setup.get("limit"),
    )
    if setup.get("limit"):
        services.subscription_create(
            fan=make_user(handle="promo.first"),
            tier_id=tier.pk,
            payment=CARD,
            idempotency_key="x",
            promo_code="SPRING",
        )
    if setup.get("used"):
        subscription = services.subscription_create(
            fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="u", promo_code="SPRING"
        )
        services.subscription_cancel(fan=fan, subscription_id=subscription.pk)
        _renew_all(31)  # ended: the fan may subscribe again, but not with the same code
    if setup.get("expires"):
        Promotion.objects.filter(pk=promotion.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    if setup.get("disabled"):
        services.promotion_disable(creator=owner, promotion_id=promotion.pk)
    before = ledger_snapshot()

    response = _post(
        _client(fan),
        "/api/v1/billing/subscriptions",
        {
            "tierId": tier.pk,
            "promoCode": code,
            "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
        },
    )

    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == error
    assert response.json()["error"]["details"] == {"field": "promoCode"}
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_a_declined_card_does_not_use_up_the_promo_code(fan, shop):
    creator, tier = shop
    promotion = services.promotion_create(
        creator=creator,
        kind="percent_off",
        code="ONCE",
        discount_bps=1000,
        discount_months=1,
        max_redemptions=1,
    )
    before = ledger_snapshot()
    with pytest.raises(ApiError):
        services.subscription_create(
            fan=fan, tier_id=tier.pk, payment=DECLINED, idempotency_key="d", promo_code="ONCE"
        )
    assert ledger_snapshot() == before
    services.subscription_create(
        fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="e", promo_code="ONCE"
    )
    promotion.refresh_from_db()
    assert promotion.redemption_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "trial", "code": "T", "trialDays": 7}, "code"),
        ({"kind": "trial", "code": "BAD CODE", "trialDays": 7}, "code"),
        ({"kind": "trial", "code": "TRIAL", "trialDays": 0}, "trialDays"),
        ({"kind": "trial", "code": "TRIAL", "trialDays": 91}, "trialDays"),
        ({"kind": "trial", "code": "TRIAL", "trialDays": 7, "discountBps": 10}, "discountBps"),
        ({"kind": "percent_off", "code": "PCT", "discountBps": 9901, "discountMonths": 1}, "discountBps"),
        ({"kind": "percent_off", "code": "PCT", "discountBps": 100, "discountMonths": 13}, "discountMonths"),
        ({"kind": "amount_off", "code": "AMT", "discountMinor": 0, "discountMonths": 1}, "discountMinor"),
        (
            {
                "kind": "amount_off",
                "code": "AMT",
                "discountMinor": 1000,
                "discountMonths": 1,
                "tierId": "TIER",
            },
            "discountMinor",
        ),
        ({"kind": "bundle", "code": "BUN", "bundleMonths": 4}, "bundleMonths"),
        ({"kind": "trial", "code": "TRIAL", "trialDays": 7, "maxRedemptions": 0}, "maxRedemptions"),
        (
            {"kind": "trial", "code": "TRIAL", "trialDays": 7, "expiresAt": "2001-01-01T00:00:00Z"},
            "expiresAt",
        ),
    ],
)
def test_creating_bad_promotions_is_422(shop, body, field):
    creator, tier = shop
    if body.get("tierId") == "TIER":
        body = {**body, "tierId": tier.pk}

    response = _post(_client(creator), "/api/v1/billing/promotions", body, key=None)

    assert response.status_code == 422, response.json()
    assert response.json()["error"]["details"]["field"] == field
    assert Promotion.objects.count() == 0


@pytest.mark.django_db
def test_creator_api_creates_lists_and_disables_promotions(make_user, fan, shop):
    creator, tier = shop
    client = _client(creator)
    created = _post(
        client,
        "/api/v1/billing/promotions",
        {
            "kind": "bundle",
            "code": "year",
            "bundleMonths": 12,
            "discountBps": 2000,
            "tierId": tier.pk,
            "isPublic": True,
        },
        key=None,
    )
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "YEAR" and created.json()["isActive"] is True
    duplicate = _post(
        client, "/api/v1/billing/promotions", {"kind": "trial", "code": "YEAR", "trialDays": 3}, key=None
    )
    assert duplicate.status_code == 409
    assert [p["code"] for p in client.get("/api/v1/billing/promotions").json()] == ["YEAR"]
    # Only the owner disables it; fans cannot create promotions.
    other = _post(_client(fan), f"/api/v1/billing/promotions/{created.json()['id']}/disable", {}, key=None)
    assert other.status_code == 404
    assert (
        _post(
            _client(fan),
            "/api/v1/billing/promotions",
            {"kind": "trial", "code": "FAN", "trialDays": 3},
            key=None,
        ).status_code
        == 403
    )
    disabled = _post(client, f"/api/v1/billing/promotions/{created.json()['id']}/disable", {}, key=None)
    assert disabled.status_code == 200 and disabled.json()["isActive"] is False
    # A disabled code can be reused for a new promotion.
    again = _post(
        client, "/api/v1/billing/promotions", {"kind": "trial", "code": "YEAR", "trialDays": 3}, key=None
    )
    assert again.status_code == 201


@pytest.mark.django_db
def test_gift_subscription_gives_the_recipient_access_and_shows_in_both_histories(make_user, fan, shop):
    creator, tier = shop
    friend = make_user(handle="promo.friend")
    client = _client(fan)

    response = _post(
        client,
        "/api/v1/billing/gifts",
        {
            "tierId": tier.pk,
            "recipientHandle": "@promo.friend",
            "months": 3,
            "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
        },
    )
    again = _post(
        client,
        "/api/v1/billing/gifts",
        {
            "tierId": tier.pk,
            "recipientHandle": "@promo.friend",
            "months": 3,
            "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
        },
    )

    assert response.status_code == 201, response.json()
    assert again.json() == response.json()
    body = response.json()
    assert (body["amountMinor"], body["months"], body["recipientHandle"]) == (3000, 3, "promo.friend")
    charge = Charge.objects.get()
    assert (charge.fan_id, charge.recipient_id, charge.kind, charge.fee_minor) == (
        fan.pk,
        friend.pk,
        ChargeKind.GIFT,
        600,
    )
    membership = Membership.objects.get(fan=friend, creator=creator)
    assert membership.status == "active" and membership.tier_id == tier.pk
    assert not Membership.objects.filter(fan=fan).exists()
    assert [c["id"] for c in client.get("/api/v1/billing/charges").json()] == [str(charge.pk)]
    assert [c["id"] for c in _client(friend).get("/api/v1/billing/charges").json()] == [str(charge.pk)]
    history = _client(friend).get("/billing/")
    assert b"Gift from @bill.fan" in history.content
    # A gift never renews; the recipient cannot resume it.
    subscription = Subscription.objects.get(fan=friend)
    with pytest.raises(ApiError) as error:
        services.subscription_resume(fan=friend, subscription_id=subscription.pk)
    assert error.value.code == "gift_subscription"
    _renew_all(91)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELLED
    assert Charge.objects.count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recipient", "months", "status", "code"),
    [
        ("nobody.here", 1, 422, "recipient_unknown"),
        ("bill.fan", 1, 422, "recipient_invalid"),
        ("promo.creator", 1, 422, "recipient_invalid"),
        ("promo.friend", 2, 422, "validation_error"),
        ("promo.subscribed", 1, 409, "already_subscribed"),
        ("promo.blocked", 1, 409, "recipient_unavailable"),
    ],
)
def test_bad_gifts_are_refused_and_change_nothing(make_user, fan, shop, recipient, months, status, code):
    creator, tier = shop
    make_user(handle="promo.friend")
    subscribed = make_user(handle="promo.subscribed")
    services.subscription_create(fan=subscribed, tier_id=tier.pk, payment=CARD, idempotency_key="x")
    blocked = make_user(handle="promo.blocked")
    social_services.block_create(blocker=creator, blocked=blocked)
    before = ledger_snapshot()

    response = _post(
        _client(fan),
        "/api/v1/billing/gifts",
        {
            "tierId": tier.pk,
            "recipientHandle": recipient,
            "months": months,
            "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
        },
    )

    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_refunding_a_gift_ends_the_recipients_access(make_user, fan, shop):
    creator, tier = shop
    friend = make_user(handle="promo.friend")
    subscription = services.subscription_gift(
        payer=fan,
        tier_id=tier.pk,
        recipient_handle="promo.friend",
        months=1,
        payment=CARD,
        idempotency_key="g",
    )
    charge = subscription.charges.get()

    services.charge_refund(charge_id=charge.pk)

    assert Membership.objects.get(fan=friend, creator=creator).status != "active"
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELLED
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_fan_the_creator_blocked_cannot_subscribe(make_user, fan, shop):
    creator, tier = shop
    social_services.block_create(blocker=creator, blocked=fan)
    before = ledger_snapshot()
    with pytest.raises(ApiError) as error:
        services.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="x")
    assert error.value.status == 404
    assert ledger_snapshot() == before


@pytest.mark.django_db
def test_concurrent_limit_is_a_database_rule(fan, shop):
    """The CHECK constraint backs the conditional increment: the count never passes the limit."""
    from django.db import IntegrityError, transaction

    creator, _ = shop
    promotion = services.promotion_create(
        creator=creator, kind="trial", code="LIM", trial_days=3, max_redemptions=1
    )
    Promotion.objects.filter(pk=promotion.pk).update(redemption_count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.filter(pk=promotion.pk).update(redemption_count=2)


@pytest.mark.django_db(transaction=True)
def test_parallel_checkouts_never_use_a_code_past_its_limit(make_user):
    from fanclub.billing.tests.test_api import _parallel

    creator = make_creator(make_user, "race.creator")
    tier = make_tier(creator, price_minor=1000)
    services.promotion_create(
        creator=creator,
        kind="percent_off",
        code="FEW",
        discount_bps=5000,
        discount_months=1,
        max_redemptions=3,
    )
    fans = [make_user(handle=f"race.fan{i}") for i in range(8)]

    def checkout(index: int):
        response = _post(
            _client(fans[index]),
            "/api/v1/billing/subscriptions",
            {
                "tierId": tier.pk,
                "promoCode": "FEW",
                "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
            },
            key=f"race-{index}",
        )
        return response.status_code, response.json()

    counter = iter(range(8))
    results = _parallel(8, lambda: checkout(next(counter)))

    assert sorted(status for status, _ in results) == [201] * 3 + [422] * 5
    assert {body["error"]["code"] for status, body in results if status == 422} == {"promo_code_exhausted"}
    assert Promotion.objects.get().redemption_count == 3
    assert list(Charge.objects.values_list("amount_minor", flat=True)) == [500, 500, 500]
    assert_ledger_invariants()
