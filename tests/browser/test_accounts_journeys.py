"""Accounts journeys in headless Chromium against a live server (real PostgreSQL, locmem email)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _totp(secret: str, offset: int = 0) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls (fixtures,
    # assertions) are still plain synchronous code, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(chromium: object) -> object:
    return chromium


@pytest.fixture
def api_request(live_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.request.new_context(base_url=live_server.url)
        yield context
        context.dispose()


def _sign_in(page, base: str, email: str, secret: str | None, offset: int = 0) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    if secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("Code").fill(_totp(secret, offset))
        page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url(f"{base}/")


def test_sign_up_verify_totp_sign_in_devices_and_revoke(live_server, browser, settings):
    from playwright.sync_api import expect

    settings.MFA_TOTP_TOLERANCE = 1  # codes of the neighbouring windows too (each still used once)
    base = live_server.url
    laptop = browser.new_context(
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    )
    page = laptop.new_page()

    # Sign up (18+), get the verification email, confirm: signed in.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Email").fill("journey@example.com")
    page.get_by_label("Handle").fill("journey_fan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Date of birth").fill("1994-05-06")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@journey_fan"

    # Turn on TOTP with the secret shown on the page.
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    if "reauthenticate" in page.url:  # signed in by the email link: confirm the password first
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1  # the QR code
    page.get_by_label("Authenticator code").fill(_totp(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/"))

    # Sign out, sign in again: the second factor is asked for.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")
    _sign_in(page, base, "journey@example.com", secret, offset=1)

    # A second device signs in.
    phone = browser.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    phone_page = phone.new_page()
    _sign_in(phone_page, base, "journey@example.com", secret, offset=-1)

    # The devices page lists both; revoke the phone.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Security").click()
    page.get_by_role("link", name="Sessions and devices").click()
    cards = page.locator(".session-card")
    assert cards.count() == 2
    assert "Firefox 128 on Linux" in cards.filter(has_text="This device").inner_text()
    phone_card = cards.filter(has_text="iPhone")
    phone_card.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/accounts/security/sessions/"))
    expect(page.locator(".session-card")).to_have_count(1)

    phone_page.goto(f"{base}/")
    assert phone_page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").is_visible()

    # The security page shows what happened.
    page.goto(f"{base}/accounts/security/")
    events = page.locator("tbody").inner_text()
    for text in ("Account created", "Email verified", "Authenticator app enabled", "Session revoked"):
        assert text in events
    laptop.close()
    phone.close()


def test_rate_limit_lockout_and_recovery(live_server, browser, settings, make_user):
    from playwright.sync_api import expect

    from fanclub.core import ratelimit

    settings.LOGIN_FAILURES_SLOWDOWN = (3, 60)
    make_user(handle="locked", password=PASSWORD)
    base = live_server.url
    page = browser.new_context().new_page()
    for _ in range(3):
        page.goto(f"{base}/accounts/sign-in/")
        page.get_by_label("Email").fill("locked@example.com")
        page.get_by_label("Password").fill("wrong password here")
        page.get_by_role("button", name="Sign In", exact=True).click()
        expect(
            page.get_by_text("The email address and/or password you specified are not correct.")
        ).to_be_visible()

    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill("locked@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as response_info:
        page.get_by_role("button", name="Sign In", exact=True).click()
    assert response_info.value.status == 429
    expect(page.get_by_role("heading", name="Too many requests")).to_be_visible()
    assert "Too many failed sign-in attempts" in page.locator("main").inner_text()

    ratelimit.set_backend(None)  # the window passes
    _sign_in(page, base, "locked@example.com", None)
    assert page.locator(".nav-user").inner_text() == "@locked"


def test_refresh_token_reuse_is_detected(live_server, api_request, make_user):
    from fanclub.accounts.constants import SecurityEventKind
    from fanclub.accounts.models import SecurityEvent

    user = make_user(handle="mobile", password=PASSWORD)
    first = api_request.post(
        "/api/v1/auth/token", data={"email": "mobile@example.com", "password": PASSWORD}
    ).json()
    rotated = api_request.post("/api/v1/auth/refresh", data={"refreshToken": first["refreshToken"]})
    assert rotated.status == 200
    second = rotated.json()
    me = api_request.get("/api/v1/me", headers={"Authorization": f"Bearer {second['accessToken']}"})
    assert me.status == 200 and me.json()["handle"] == "mobile"

    replay = api_request.post("/api/v1/auth/refresh", data={"refreshToken": first["refreshToken"]})
    assert replay.status == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    after = api_request.get("/api/v1/me", headers={"Authorization": f"Bearer {second['accessToken']}"})
    assert after.status == 401
    assert after.json()["error"]["code"] == "session_revoked"
    assert (
        api_request.post("/api/v1/auth/refresh", data={"refreshToken": second["refreshToken"]}).status == 401
    )
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.REFRESH_TOKEN_REUSED).count() == 1
