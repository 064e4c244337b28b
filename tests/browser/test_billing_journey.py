"""The money journey in headless Chromium: a fan subscribes with a sandbox card and the
subscribers-only post unlocks, the fan tips; the creator sees the split (gross, fee, net) on the
earnings page and requests a payout. No console errors anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from fanclub.billing.models import Payout
from fanclub.billing.services.payments import holds_release_due
from fanclub.billing.tests.factories import make_payable
from fanclub.content import services as content_services
from fanclub.content.constants import Access
from fanclub.creators import services as creator_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    # Playwright's sync API runs an event loop in this thread; our ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.RATE_LIMIT_ENABLED = False
    settings.BILLING_HOLD_DAYS = 0  # earnings are released by the first hold-release run


@pytest.fixture
def close_connections_in_playwright_context(chromium) -> Iterator[None]:
    yield
    from django.db import connections

    connections.close_all()


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_load_state("networkidle")


def _session_cookie(user, base: str) -> dict[str, str]:
    """A signed-in session for a user with a second factor (the TOTP step has its own tests)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


def test_fan_subscribes_unlocks_tips_and_creator_sees_split_and_requests_payout(
    live_server, websocket_server, make_user, chromium, close_connections_in_playwright_context
):
    from allauth.account.models import EmailAddress
    from playwright.sync_api import expect

    base = live_server.url
    # --- Data first, then the browser ---------------------------------------------------------------
    creator = make_user(handle="till.creator")
    creator_services.creator_become(user=creator, display_name="Till Creator")
    creator.refresh_from_db()
    creator_services.tier_create(user=creator, name="Inner circle", price_minor=900, currency="USD")
    content_services.post_create(
        creator=creator, text="Behind the scenes, subscribers only", access=Access.SUBSCRIBERS, publish=True
    )
    make_payable(creator)  # MFA + verified identity
    fan = make_user(handle="till.fan")
    for user in (creator, fan):
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    creator_cookie = _session_cookie(creator, base)
    errors: list[str] = []

    # --- The fan subscribes with a sandbox card: the post unlocks ---------------------------------
    context = chromium.new_context()
    page = context.new_page()
    _watch(page, errors)
    _sign_in(page, base, fan.email)
    page.goto(f"{base}/c/till.creator/")
    expect(page.get_by_text("Behind the scenes")).to_have_count(0)
    page.locator(".tier-card").get_by_role("link", name="Subscribe").click()
    page.wait_for_url(re.compile(r"/billing/subscribe/\d+/$"))
    expect(page.locator(".checkout-amount")).to_have_text("USD 9.00")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile(r"^Subscribe")).click()
    page.wait_for_url(f"{base}/c/till.creator/")
    expect(page.get_by_text("Behind the scenes, subscribers only")).to_be_visible()
    expect(page.get_by_text("Your tier")).to_be_visible()

    # --- The fan tips: a receipt, and the history lists it -------------------------------------------
    page.get_by_role("link", name="Send a tip").click()
    page.get_by_label("Amount (USD)").fill("20.00")
    page.get_by_label("Note (optional)").fill("Loved it")
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Send tip").click()
    page.wait_for_url(re.compile(r"/billing/receipts/[0-9a-f-]+/$"))
    expect(page.locator(".receipt-amount")).to_have_text("USD 20.00")
    page.goto(f"{base}/billing/")
    expect(page.locator("table.data-table tbody tr")).to_have_count(2)
    context.close()

    assert holds_release_due() == 2  # the hold-release job's work (hold is 0 days here)

    # --- The creator sees the split and requests a payout ------------------------------------------
    context = chromium.new_context()
    context.add_cookies([creator_cookie])
    page = context.new_page()
    _watch(page, errors)
    page.goto(f"{base}/billing/earnings/")
    subscription = page.locator("tr[data-kind=subscription]")
    expect(subscription.locator(".gross")).to_have_text("USD 9.00")
    expect(subscription.locator(".fee")).to_have_text("USD 1.80")
    expect(subscription.locator(".net")).to_have_text("USD 7.20")
    tip = page.locator("tr[data-kind=tip]")
    expect(tip.locator(".gross")).to_have_text("USD 20.00")
    expect(tip.locator(".fee")).to_have_text("USD 4.00")
    expect(tip.locator(".net")).to_have_text("USD 16.00")
    expect(page.locator("dd.available")).to_have_text("USD 23.20")
    expect(page.locator(".earnings-chart .chart-bar")).to_have_count(30)
    page.get_by_role("link", name="Payouts").first.click()
    page.wait_for_url(f"{base}/billing/payouts/")
    page.get_by_role("button", name="Request payout").click()
    page.wait_for_url(f"{base}/billing/payouts/")
    expect(page.get_by_text("Payout requested")).to_be_visible()
    expect(page.locator("#payout-list")).to_contain_text("USD 23.20")
    context.close()

    payout = Payout.objects.get()
    assert (payout.creator_id, payout.amount_minor) == (creator.pk, 2320)
    assert errors == []


def test_creator_offers_a_promo_code_fan_subscribes_with_it_then_upgrades(
    live_server, websocket_server, make_user, chromium, close_connections_in_playwright_context
):
    from allauth.account.models import EmailAddress
    from playwright.sync_api import expect

    from fanclub.billing.models import Charge, Subscription

    base = live_server.url
    creator = make_user(handle="promo.till")
    creator_services.creator_become(user=creator, display_name="Promo Till")
    creator.refresh_from_db()
    basic = creator_services.tier_create(user=creator, name="Basic", price_minor=1000, currency="USD")
    premium = creator_services.tier_create(user=creator, name="Premium", price_minor=3000, currency="USD")
    fan = make_user(handle="promo.fan")
    for user in (creator, fan):
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    errors: list[str] = []

    # --- The creator creates a public 50%-off-for-2-months code on the promotions page --------------
    context = chromium.new_context()
    context.add_cookies([_session_cookie(creator, base)])
    page = context.new_page()
    _watch(page, errors)
    page.goto(f"{base}/billing/promotions/")
    page.get_by_label("Kind").select_option("percent_off")
    page.get_by_label("Code").fill("half")
    page.get_by_label("Tier").select_option(str(basic.pk))
    page.get_by_label("Percent off").fill("50")
    page.get_by_label("Discounted months").fill("2")
    page.get_by_label("Show on the checkout page").check()
    page.get_by_role("button", name="Create promotion").click()
    page.wait_for_url(f"{base}/billing/promotions/")
    expect(page.locator("#promotion-list")).to_contain_text("HALF")
    context.close()

    # --- The fan sees the offer, subscribes with the code, then upgrades on the manage page ----------
    context = chromium.new_context()
    page = context.new_page()
    _watch(page, errors)
    _sign_in(page, base, fan.email)
    page.goto(f"{base}/billing/subscribe/{basic.pk}/")
    expect(page.locator("#offers")).to_contain_text("50% off for 2 months")
    page.get_by_label("Promo code (optional)").fill("half")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile(r"^Subscribe")).click()
    page.wait_for_url(f"{base}/c/promo.till/")
    page.goto(f"{base}/billing/subscriptions/")
    expect(page.locator(".session-card")).to_contain_text("discount for 1 more renewal")
    page.get_by_label("Change tier").select_option(str(premium.pk))
    page.get_by_role("button", name="Change tier now").click()
    page.wait_for_url(f"{base}/billing/subscriptions/")
    expect(page.get_by_text("Tier changed.")).to_be_visible()
    expect(page.locator(".session-card")).to_contain_text("Premium")
    context.close()

    # 1000 at 50% = 500 paid; upgrading at once credits those 500 against 3000: 2500 due.
    assert list(Charge.objects.order_by("created_at").values_list("kind", "amount_minor")) == [
        ("subscription", 500),
        ("upgrade", 2500),
    ]
    assert Subscription.objects.get(fan=fan).tier_id == premium.pk
    assert errors == []
