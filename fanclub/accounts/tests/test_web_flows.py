"""Web journeys through allauth's pages with our adapter, forms and middleware."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from fanclub.accounts.adapters import DEVICE_SESSION_KEY
from fanclub.accounts.constants import SecurityEventKind
from fanclub.accounts.models import DeviceSession, SecurityEvent, User
from fanclub.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "New.Fan@Example.com",
    "username": "NewFan",
    "password1": "correct horse battery staple",
    "date_of_birth": "1995-04-02",
}


def _link(body: str) -> str:
    match = re.search(r"https?://[^\s]+", body)
    assert match, body
    return match.group(0).replace("http://testserver", "")


def test_sign_up_verify_sign_in_and_sign_out(client: Client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(handle__iexact="newfan")
    assert user.email == "new.fan@example.com"
    assert user.handle == "NewFan"
    assert str(user.date_of_birth) == "1995-04-02"
    assert user.password.startswith(("md5$", "argon2"))
    assert not EmailAddress.objects.get(user=user).verified

    # Unverified: signing in sends the link again and does not sign in.
    client.post("/accounts/login/", {"login": "new.fan@example.com", "password": SIGNUP["password1"]})
    assert "_auth_user_id" not in client.session

    link = _link(mail.outbox[0].body)
    assert "/accounts/confirm-email/" in link
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)  # signed in on confirmation
    session = DeviceSession.objects.get(user=user)
    assert client.session[DEVICE_SESSION_KEY] == str(session.pk)

    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    session.refresh_from_db()
    assert session.revoked_at is not None

    response = client.post(
        "/accounts/login/", {"login": "NEW.FAN@example.com", "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    kinds = list(SecurityEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert SecurityEventKind.SIGN_UP in kinds
    assert SecurityEventKind.EMAIL_VERIFIED in kinds
    assert kinds.count(SecurityEventKind.SIGN_IN) == 2


def test_under_18_sign_up_is_refused_and_nothing_is_stored(client: Client):
    response = client.post("/accounts/signup/", {**SIGNUP, "date_of_birth": "2015-01-01"})
    assert response.status_code == 200
    assert "You must be at least 18 years old to join" in response.content.decode()
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert not SecurityEvent.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("handle", "message"),
    [("admin", "reserved"), ("bad-handle!", "letters a-z"), ("x", "3 to 30"), ("TAKEN", "already taken")],
)
def test_bad_handles_are_refused_on_the_form(client: Client, make_user, handle, message):
    make_user(handle="taken")
    response = client.post("/accounts/signup/", {**SIGNUP, "username": handle})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1


def test_weak_password_is_refused_with_a_reason(client: Client):
    response = client.post("/accounts/signup/", {**SIGNUP, "password1": "P@ssw0rd1"})
    assert response.status_code == 200
    assert "common password" in response.content.decode()
    assert not User.objects.exists()


def test_duplicate_email_sign_up_does_not_reveal_the_account(client: Client, make_user):
    make_user(handle="existing")
    response = client.post(
        "/accounts/signup/", {**SIGNUP, "email": "EXISTING@example.com", "username": "other"}
    )
    assert response.status_code == 302  # same answer as a new account
    assert User.objects.count() == 1
    assert len(mail.outbox) == 1  # the owner is told someone tried


def test_wrong_password_and_unknown_email_get_the_same_message(client: Client, make_user):
    user = make_user()
    wrong = client.post("/accounts/login/", {"login": user.email, "password": "wrong-password-1"})
    unknown = client.post("/accounts/login/", {"login": "nobody@example.com", "password": "wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 200
    text = "The email address and/or password you specified are not correct."
    assert text in wrong.content.decode() and text in unknown.content.decode()


def test_failed_sign_ins_slow_down_then_block_and_success_resets(client: Client, make_user, settings):
    settings.LOGIN_FAILURES_SLOWDOWN = (3, 60)
    settings.LOGIN_FAILURES_BLOCK = (6, 900)
    user = make_user()
    for _ in range(3):
        assert (
            client.post("/accounts/login/", {"login": user.email, "password": "nope-nope-1"}).status_code
            == 200
        )
    blocked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.SIGN_IN_BLOCKED).count() == 1


def test_success_resets_the_account_failure_counter(client: Client, make_user, settings):
    settings.LOGIN_FAILURES_SLOWDOWN = (3, 60)
    user = make_user()
    for _ in range(2):
        client.post("/accounts/login/", {"login": user.email, "password": "nope-nope-1"})
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert (
            client.post("/accounts/login/", {"login": user.email, "password": "nope-nope-1"}).status_code
            == 200
        )
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302


def test_password_reset_link_is_single_use_and_signs_out_everywhere(client: Client, make_user):
    user = make_user()
    other_device = Client()
    other_device.force_login(user)
    other_device.get("/")
    assert DeviceSession.objects.filter(user=user, revoked_at__isnull=True).count() == 1

    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    link = _link(mail.outbox[-1].body)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    assert DeviceSession.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert other_device.get("/api/v1/me").status_code == 401
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.PASSWORD_RESET).exists()

    # The same link again is refused.
    fresh = Client()
    response = fresh.get(link, follow=True)
    assert "bad token" in response.content.decode().lower() or "invalid" in response.content.decode().lower()


def test_password_reset_for_unknown_email_looks_the_same(client: Client):
    response = client.post("/accounts/password/reset/", {"email": "ghost@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"


def test_sessions_page_lists_devices_and_revokes_one(make_user):
    user = make_user()
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    phone.force_login(user)
    phone.get("/")
    laptop = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    laptop.force_login(user)
    page = laptop.get("/accounts/security/sessions/")
    text = page.content.decode()
    assert "Firefox 128 on Linux" in text
    assert "Mobile Safari 17 on iOS (iPhone)" in text
    phone_session = DeviceSession.objects.get(user=user, device__contains="iPhone")

    response = laptop.post(f"/accounts/security/sessions/{phone_session.pk}/revoke/")
    assert response.status_code == 302
    assert phone.get("/api/v1/me").status_code == 401  # signed out immediately
    assert laptop.get("/api/v1/me").status_code == 200


def test_cannot_revoke_someone_elses_session(make_user):
    owner, intruder = make_user(), make_user()
    owner_client, intruder_client = Client(), Client()
    owner_client.force_login(owner)
    owner_client.get("/")
    session = DeviceSession.objects.get(user=owner)
    intruder_client.force_login(intruder)
    response = intruder_client.post(f"/accounts/security/sessions/{session.pk}/revoke/")
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.revoked_at is None


def test_security_page_shows_events(client: Client, make_user):
    user = make_user()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    page = client.get("/accounts/security/")
    assert page.status_code == 200
    assert "Signed in" in page.content.decode()


def test_account_deletion_requires_password_then_signs_out_and_sign_in_cancels(client: Client, make_user):
    user = make_user()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    wrong = client.post("/accounts/security/delete/", {"password": "not-my-password"})
    assert wrong.status_code == 422
    user.refresh_from_db()
    assert user.deletion_requested_at is None

    response = client.post("/accounts/security/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.deletion_requested_at is not None
    assert (user.purge_after - user.deletion_requested_at).days == 30
    assert "_auth_user_id" not in client.session
    assert not DeviceSession.objects.filter(user=user, revoked_at__isnull=True).exists()

    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    user.refresh_from_db()
    assert user.deletion_requested_at is None and user.purge_after is None


def test_sign_in_pages_render_in_the_site_layout(client: Client):
    for path in ("/accounts/sign-in/", "/accounts/login/", "/accounts/sign-up/", "/accounts/password/reset/"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert 'class="site-header"' in text and "auth-page" in text
        assert "<script>" not in text and "style=" not in text


def test_oauth_buttons_hidden_when_not_configured(client: Client):
    text = client.get("/accounts/login/").content.decode()
    assert "google" not in text.lower()
