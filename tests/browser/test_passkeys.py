"""Passkeys (WebAuthn) end to end in headless Chromium with a CDP virtual authenticator.

The live server answers on "localhost": a secure context for WebAuthn and a valid RP ID (an IP
address is not). The test fails on any console error, page error or CSP violation.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain
    # synchronous code, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(chromium: object) -> object:
    return chromium


def _watch(context, problems: list[str]) -> None:
    """Collect console errors (CSP violations are reported there), page errors and failed requests."""
    context.on(
        "console",
        lambda msg: (
            msg.type == "error" and problems.append(f"console: {msg.text} ({msg.location.get('url')})")
        ),
    )
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    context.on(
        "requestfailed",
        lambda request: problems.append(f"failed: {request.method} {request.url} {request.failure}"),
    )


def _add_virtual_authenticator(context, page) -> tuple[object, str]:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, created["authenticatorId"]


def _sign_in_with_password(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()


def _sign_out(page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").is_visible()


def test_passkey_added_then_used_as_second_factor_and_for_passwordless_sign_in(
    live_server, websocket_server, browser, make_user
):
    from allauth.mfa.models import Authenticator

    from fanclub.accounts.constants import SecurityEventKind
    from fanclub.accounts.models import DeviceSession, SecurityEvent

    user = make_user(handle="keyholder", password=PASSWORD)
    base = live_server.url.replace("127.0.0.1", "localhost")
    assert base.startswith("http://localhost:")
    problems: list[str] = []
    context = browser.new_context(service_workers="block")
    _watch(context, problems)
    page = context.new_page()
    cdp, authenticator_id = _add_virtual_authenticator(context, page)

    # Sign in with the password, add a passwordless passkey from the two-factor page.
    _sign_in_with_password(page, base, "keyholder@example.com")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/accounts/2fa/")
    assert page.get_by_text("No security keys have been added.").is_visible()
    page.locator("a[href='/accounts/2fa/webauthn/add/']").click()
    # allauth asks for the password again before any change of the second factors.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.get_by_label("Name").fill("Laptop passkey")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add", exact=True).click()
    # The first authenticator comes with recovery codes, shown once.
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    passkey = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().name == "Laptop passkey"
    assert passkey.wrap().is_passwordless is True
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).count() == 1
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"] is True
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.PASSKEY_ADDED).count() == 1

    # Sign out; the password alone is no longer enough: the passkey is the second factor.
    _sign_out(page, base)
    _sign_in_with_password(page, base, "keyholder@example.com")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@keyholder"

    # Sign out; sign in with the passkey alone (no email, no password).
    _sign_out(page, base)
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@keyholder"

    # Each browser sign-in is a recorded device session (password, passkey 2FA, passkey alone).
    assert DeviceSession.objects.filter(user=user).count() == 3
    assert DeviceSession.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert problems == []
    context.close()
