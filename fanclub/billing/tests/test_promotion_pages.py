"""Pages of session 2: promotions (creator), promo code and gift checkout, tier change, payout schedule."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from fanclub.billing import services
from fanclub.billing.constants import ChargeKind
from fanclub.billing.models import Charge, PayoutAccount, Promotion, Subscription
from fanclub.billing.processors import SandboxCards
from fanclub.billing.tests.factories import CARD, make_creator, make_payable, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants, ledger_snapshot
from fanclub.creators.models import Membership

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _key(response) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


@pytest.fixture
def shop(make_user):
    creator = make_creator(make_user, "page.creator")
    return creator, make_tier(creator, 1000)


def test_creator_creates_and_disables_a_promotion_on_the_page(shop):
    creator, tier = shop
    client = _client(creator)
    assert client.get("/billing/promotions/").status_code == 200

    created = client.post(
        "/billing/promotions/",
        {
            "kind": "percent_off",
            "code": "summer",
            "tier_id": str(tier.pk),
            "percent_off": "25",
            "discount_months": "2",
            "is_public": "on",
        },
    )
    bad = client.post("/billing/promotions/", {"kind": "percent_off", "code": "x y", "percent_off": "25"})

    assert created.status_code == 302, created.content.decode()[:2000]
    promotion = Promotion.objects.get()
    assert (promotion.code, promotion.discount_bps, promotion.discount_months, promotion.tier_id) == (
        "SUMMER",
        2500,
        2,
        tier.pk,
    )
    assert bad.status_code == 422 and "3 to 32 letters" in bad.content.decode()
    assert Promotion.objects.count() == 1
    page = client.get("/billing/promotions/").content.decode()
    assert "SUMMER" in page and "25% off \u00d7 2" in page
    assert client.post(f"/billing/promotions/{promotion.pk}/disable/").status_code == 302
    promotion.refresh_from_db()
    assert promotion.is_active is False


def test_a_fan_sees_public_offers_and_subscribes_with_a_code(make_user, fan, shop):
    creator, tier = shop
    services.promotion_create(
        creator=creator, kind="bundle", code="SIX", bundle_months=6, discount_bps=1000, is_public=True
    )
    services.promotion_create(creator=creator, kind="trial", code="SECRET", trial_days=7)
    client = _client(fan)

    page = client.get(f"/billing/subscribe/{tier.pk}/")
    html = page.content.decode()
    assert "6 months in one payment, 10% off" in html and "SIX" in html
    assert "SECRET" not in html  # not public
    wrong = client.post(
        f"/billing/subscribe/{tier.pk}/",
        {
            "idempotency_key": _key(page),
            "funding": "card",
            "card_number": SandboxCards.SUCCEEDS,
            "promo_code": "NOPE",
        },
    )
    assert wrong.status_code == 422 and "not valid for this tier" in wrong.content.decode()
    assert not Charge.objects.exists()
    ok = client.post(
        f"/billing/subscribe/{tier.pk}/",
        {
            "idempotency_key": _key(wrong),
            "funding": "card",
            "card_number": SandboxCards.SUCCEEDS,
            "promo_code": "six",
        },
    )
    assert ok.status_code == 302
    assert Charge.objects.get().amount_minor == 5400
    assert_ledger_invariants()


def test_gift_page_sends_a_gift(make_user, fan, shop):
    creator, tier = shop
    friend = make_user(handle="page.friend")
    client = _client(fan)

    page = client.get(f"/billing/gift/{tier.pk}/")
    assert page.status_code == 200
    unknown = client.post(
        f"/billing/gift/{tier.pk}/",
        {
            "idempotency_key": _key(page),
            "funding": "card",
            "card_number": SandboxCards.SUCCEEDS,
            "recipient_handle": "nobody",
            "months": "3",
        },
    )
    assert unknown.status_code == 422 and "No user has this handle" in unknown.content.decode()
    sent = client.post(
        f"/billing/gift/{tier.pk}/",
        {
            "idempotency_key": _key(unknown),
            "funding": "card",
            "card_number": SandboxCards.SUCCEEDS,
            "recipient_handle": "page.friend",
            "months": "3",
        },
    )

    assert sent.status_code == 302
    charge = Charge.objects.get()
    assert sent["Location"] == f"/billing/receipts/{charge.pk}/"
    assert (charge.kind, charge.amount_minor, charge.recipient_id) == (ChargeKind.GIFT, 3000, friend.pk)
    assert Membership.objects.get(fan=friend, creator=creator).status == "active"
    assert _client(friend).get(f"/billing/receipts/{charge.pk}/").status_code == 200


def test_change_tier_button_upgrades_once(fan, shop):
    creator, basic = shop
    premium = make_tier(creator, 2500)
    subscription = services.subscription_create(fan=fan, tier_id=basic.pk, payment=CARD, idempotency_key="s")
    client = _client(fan)
    page = client.get("/billing/subscriptions/")
    html = page.content.decode()
    assert "Change tier now" in html and f'value="{premium.pk}"' in html
    key = _key(page)

    first = client.post(
        f"/billing/subscriptions/{subscription.pk}/change-tier/",
        {"idempotency_key": key, "tier_id": premium.pk},
    )
    again = client.post(
        f"/billing/subscriptions/{subscription.pk}/change-tier/",
        {"idempotency_key": key, "tier_id": premium.pk},
    )

    assert first.status_code == again.status_code == 302
    assert Charge.objects.filter(kind=ChargeKind.UPGRADE).count() == 1
    assert Subscription.objects.get().tier_id == premium.pk
    before = ledger_snapshot()
    same = client.post(
        f"/billing/subscriptions/{subscription.pk}/change-tier/",
        {"idempotency_key": "other", "tier_id": premium.pk},
    )
    assert same.status_code == 302
    assert ledger_snapshot() == before
    messages = [m.message for m in same.wsgi_request._messages]
    assert messages[-1] == "You are already on this tier."
    assert_ledger_invariants()


def test_payout_schedule_form(shop):
    creator, _ = shop
    client = _client(creator)
    assert "Automatic payouts" in client.get("/billing/payouts/").content.decode()
    refused = client.post("/billing/payouts/schedule/", {"schedule": "weekly"})
    assert refused.status_code == 302
    assert not PayoutAccount.objects.filter(payout_schedule="weekly").exists()  # no MFA yet
    make_payable(creator)
    client.post("/billing/payouts/schedule/", {"schedule": "weekly"})
    assert PayoutAccount.objects.get(creator=creator).payout_schedule == "weekly"
