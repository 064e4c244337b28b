"""JSON API: sign-up, tokens, rotation and reuse, session binding, personal tokens, MFA, bad input."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import jwt
import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from fanclub.accounts import services
from fanclub.accounts.constants import Role, SecurityEventKind
from fanclub.accounts.models import ApiToken, DeviceSession, RefreshToken, SecurityEvent, User
from fanclub.accounts.tests.factories import (
    PASSWORD,
    bearer,
    enable_totp,
    obtain_tokens,
    post_json,
    recovery_codes,
    totp_now,
)
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db


def _state(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.password,
        user.is_active,
        user.deletion_requested_at,
        DeviceSession.objects.filter(user=user, revoked_at__isnull=True).count(),
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
    )


# --- Sign-up and verification ---------------------------------------------------------------------


def test_api_sign_up_then_verify_email_then_sign_in(client: Client):
    body = {
        "email": "api@example.com",
        "handle": "api_fan",
        "password": "correct horse battery staple",
        "dateOfBirth": "1990-02-03",
    }
    response = post_json(client, "/api/v1/auth/signup", body)
    assert response.status_code == 202
    user = User.objects.get(handle="api_fan")
    assert_api_error(
        post_json(client, "/api/v1/auth/token", {"email": "api@example.com", "password": body["password"]}),
        status=403,
        code="email_unverified",
    )
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert post_json(client, "/api/v1/auth/verify-email", {"key": key}).status_code == 200
    assert EmailAddress.objects.get(user=user).verified
    assert obtain_tokens(client, user, body["password"])["tokenType"] == "Bearer"


def test_api_sign_up_under_18_is_422_and_stores_nothing(client: Client):
    body = {
        "email": "kid@example.com",
        "handle": "kid",
        "password": "correct horse battery staple",
        "dateOfBirth": (timezone.localdate() - timedelta(days=17 * 365)).isoformat(),
    }
    response = post_json(client, "/api/v1/auth/signup", body)
    error = assert_api_error(response, status=422, code="validation_error")
    assert error["details"][0]["loc"] == ["body", "dateOfBirth"]
    assert "18" in error["details"][0]["msg"]
    assert not User.objects.exists() and not EmailAddress.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"handle": "admin"}, "handle"),
        ({"handle": "x" * 200}, "handle"),
        ({"password": "password1"}, "password"),
        ({"password": "p" * 1025}, "password"),
    ],
)
def test_api_sign_up_bad_input_is_422_in_the_error_shape(client: Client, body, field):
    base = {
        "email": "ok@example.com",
        "handle": "okay_handle",
        "password": "correct horse battery staple",
        "dateOfBirth": "1990-01-01",
    }
    response = post_json(client, "/api/v1/auth/signup", {**base, **body})
    error = assert_api_error(response, status=422, code="validation_error")
    assert any(field in "".join(map(str, d["loc"])) for d in error["details"])
    assert not User.objects.exists()


def test_api_sign_up_wrong_types_are_422(client: Client):
    response = post_json(
        client, "/api/v1/auth/signup", {"email": 5, "handle": [], "password": None, "dateOfBirth": "x"}
    )
    assert_api_error(response, status=422, code="validation_error")
    assert not User.objects.exists()


def test_verify_email_with_forged_key_is_400(client: Client):
    assert_api_error(
        post_json(client, "/api/v1/auth/verify-email", {"key": "forged:key"}), status=400, code="invalid_key"
    )


# --- Password grant, refresh rotation, reuse ------------------------------------------------------


def test_token_pair_and_authenticated_get(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    assert claims["typ"] == "access" and claims["sid"] == tokens["sessionId"]
    assert claims["exp"] - claims["iat"] == 900
    assert tokens["expiresIn"] == 900
    fresh = Client()
    response = fresh.get("/api/v1/me", **bearer(tokens["accessToken"]))
    assert response.status_code == 200 and response.json()["handle"] == user.handle
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.SIGN_IN).count() == 1


def test_wrong_password_and_unknown_email_are_the_same_401(client: Client, make_user):
    user = make_user()
    a = assert_api_error(
        post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "nope-nope"}),
        status=401,
        code="invalid_credentials",
    )
    b = assert_api_error(
        post_json(client, "/api/v1/auth/token", {"email": "x@example.com", "password": "nope-nope"}),
        status=401,
        code="invalid_credentials",
    )
    assert a["message"] == b["message"]


def test_refresh_rotates_and_reuse_revokes_the_family(client: Client, make_user):
    user = make_user()
    first = obtain_tokens(client, user)
    second = post_json(client, "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]}).json()
    assert second["refreshToken"] != first["refreshToken"]
    assert second["sessionId"] == first["sessionId"]
    third = post_json(client, "/api/v1/auth/refresh", {"refreshToken": second["refreshToken"]}).json()

    # An attacker replays the first (spent) token: the whole family dies.
    response = post_json(client, "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert_api_error(response, status=401, code="refresh_token_reused")
    assert DeviceSession.objects.get(pk=first["sessionId"]).revoked_at is not None
    assert_api_error(
        post_json(client, "/api/v1/auth/refresh", {"refreshToken": third["refreshToken"]}),
        status=401,
        code="session_revoked",
    )
    assert_api_error(
        Client().get("/api/v1/me", **bearer(third["accessToken"])), status=401, code="session_revoked"
    )
    event = SecurityEvent.objects.get(user=user, kind=SecurityEventKind.REFRESH_TOKEN_REUSED)
    assert event.details["session"] == first["sessionId"]


def test_expired_refresh_token_is_401(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_api_error(
        post_json(client, "/api/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}),
        status=401,
        code="token_expired",
    )


@pytest.mark.parametrize("token", ["fcr_unknown", "garbage", ""])
def test_unknown_refresh_token_is_401(client: Client, token):
    assert_api_error(
        post_json(client, "/api/v1/auth/refresh", {"refreshToken": token}), status=401, code="invalid_token"
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_alg_none_forged_and_expired_access_tokens_are_401(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    forged = jwt.encode(claims, "not-the-key-not-the-key-not-the-key", algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": claims["iat"] - 1}, services.tokens._signing_key(), algorithm="HS256"
    )
    mfa_typ = services.mfa_token_encode(user_id=user.pk)
    for token, code in [
        (alg_none, "invalid_token"),
        (forged, "invalid_token"),
        (expired, "token_expired"),
        (mfa_typ, "invalid_token"),
        ("a.b.c", "invalid_token"),
    ]:
        assert_api_error(Client().get("/api/v1/me", **bearer(token)), status=401, code=code)


def test_logout_revokes_the_session_immediately(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    api = Client()
    assert api.post("/api/v1/auth/logout", **bearer(tokens["accessToken"])).status_code == 204
    assert_api_error(
        api.get("/api/v1/me", **bearer(tokens["accessToken"])), status=401, code="session_revoked"
    )
    assert_api_error(
        post_json(api, "/api/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}),
        status=401,
        code="session_revoked",
    )


def test_sessions_list_and_revoke_over_the_api(client: Client, make_user):
    user = make_user()
    a, b = obtain_tokens(client, user), obtain_tokens(client, user)
    api = Client()
    listed = api.get("/api/v1/me/sessions", **bearer(a["accessToken"])).json()
    assert {s["id"] for s in listed} == {a["sessionId"], b["sessionId"]}
    assert [s["isCurrent"] for s in listed if s["id"] == a["sessionId"]] == [True]
    assert api.delete(f"/api/v1/me/sessions/{b['sessionId']}", **bearer(a["accessToken"])).status_code == 204
    assert api.get("/api/v1/me", **bearer(b["accessToken"])).status_code == 401
    c = obtain_tokens(client, user)
    response = post_json(api, "/api/v1/me/sessions/revoke-others", {}, **bearer(a["accessToken"]))
    assert response.json() == {"revoked": 1}
    assert api.get("/api/v1/me", **bearer(c["accessToken"])).status_code == 401
    assert api.get("/api/v1/me", **bearer(a["accessToken"])).status_code == 200


def test_revoking_another_users_session_is_404_and_changes_nothing(client: Client, make_user):
    owner, other = make_user(), make_user()
    theirs = obtain_tokens(client, owner)
    mine = obtain_tokens(client, other)
    response = Client().delete(f"/api/v1/me/sessions/{theirs['sessionId']}", **bearer(mine["accessToken"]))
    assert_api_error(response, status=404, code="not_found")
    assert DeviceSession.objects.get(pk=theirs["sessionId"]).revoked_at is None


def test_password_change_and_ban_revoke_every_session_and_token(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    pat = services.api_token_create(user=user, name="ci", scopes=["read"])
    web = Client()
    web.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    response = web.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another long passphrase",
            "password2": "another long passphrase",
        },
    )
    assert response.status_code == 302
    assert Client().get("/api/v1/me", **bearer(tokens["accessToken"])).status_code == 401
    assert Client().get("/api/v1/me", **bearer(pat.secret)).status_code == 401
    assert web.get("/api/v1/me").status_code == 200  # the browser that changed it stays signed in

    admin = make_user(role=Role.ADMIN)
    tokens = obtain_tokens(client, user, "another long passphrase")
    admin_tokens = obtain_tokens(client, admin)
    response = post_json(
        Client(),
        f"/api/v1/users/{user.handle}/ban",
        {"reason": "spam"},
        **bearer(admin_tokens["accessToken"]),
    )
    assert response.status_code == 204
    assert Client().get("/api/v1/me", **bearer(tokens["accessToken"])).status_code == 401
    assert web.get("/api/v1/me").status_code == 401
    assert_api_error(
        post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "another long passphrase"}),
        status=401,
        code="invalid_credentials",
    )


def test_fan_cannot_ban_and_nothing_changes(client: Client, make_user):
    target, fan = make_user(), make_user()
    before = _state(target)
    tokens = obtain_tokens(client, fan)
    response = post_json(
        Client(), f"/api/v1/users/{target.handle}/ban", {"reason": "x"}, **bearer(tokens["accessToken"])
    )
    assert_api_error(response, status=403, code="forbidden")
    assert _state(target) == before


# --- Personal API tokens --------------------------------------------------------------------------


def test_personal_tokens_are_shown_once_hashed_scoped_and_revocable(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    api = Client()
    created = post_json(
        api, "/api/v1/me/tokens", {"name": "script", "scopes": ["read"]}, **bearer(tokens["accessToken"])
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    stored = ApiToken.objects.get()
    assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash == services.hash_secret(
        secret
    )
    assert "token" not in api.get("/api/v1/me/tokens", **bearer(tokens["accessToken"])).json()[0]

    assert api.get("/api/v1/me", **bearer(secret)).status_code == 200
    assert_api_error(
        api.patch("/api/v1/me", {"displayName": "x"}, content_type="application/json", **bearer(secret)),
        status=403,
        code="insufficient_scope",
    )
    # A token cannot mint tokens or manage sessions.
    assert (
        post_json(api, "/api/v1/me/tokens", {"name": "x", "scopes": ["write"]}, **bearer(secret)).status_code
        == 401
    )

    assert api.delete(f"/api/v1/me/tokens/{stored.pk}", **bearer(tokens["accessToken"])).status_code == 204
    assert_api_error(api.get("/api/v1/me", **bearer(secret)), status=401, code="invalid_token")


def test_personal_token_bad_scopes_are_422(client: Client, make_user):
    tokens = obtain_tokens(client, make_user())
    response = post_json(
        Client(), "/api/v1/me/tokens", {"name": "x", "scopes": ["root"]}, **bearer(tokens["accessToken"])
    )
    assert_api_error(response, status=422, code="validation_error")
    assert not ApiToken.objects.exists()


def test_require_scope_declares_billing(rf, make_user):
    from fanclub.accounts.auth import require_scope
    from fanclub.accounts.errors import InsufficientScope

    @require_scope("billing")
    def view(request):
        return "ok"

    request = rf.get("/")
    request.token_scopes = frozenset({"read", "write"})
    with pytest.raises(InsufficientScope):
        view(request)
    request.token_scopes = None  # JWT or session: full access
    assert view(request) == "ok"


# --- MFA over the API -----------------------------------------------------------------------------


def test_mfa_sign_in_with_totp_and_replay_is_refused(client: Client, make_user):
    user = make_user()
    secret = enable_totp(user)
    assert user.has_mfa
    response = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD})
    error = assert_api_error(response, status=401, code="mfa_required")
    mfa_token = error["details"]["mfaToken"]
    code = totp_now(secret)
    ok = post_json(client, "/api/v1/auth/token/mfa", {"mfaToken": mfa_token, "code": code})
    assert ok.status_code == 200 and ok.json()["accessToken"]

    # Same code again within its window, with a fresh MFA token: refused.
    again = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}).json()
    replay = post_json(
        client, "/api/v1/auth/token/mfa", {"mfaToken": again["error"]["details"]["mfaToken"], "code": code}
    )
    assert_api_error(replay, status=401, code="invalid_mfa_code")
    # And a spent MFA token cannot complete a second sign-in.
    reuse = post_json(client, "/api/v1/auth/token/mfa", {"mfaToken": mfa_token, "code": totp_now(secret, 1)})
    assert reuse.status_code == 401


def test_mfa_sign_in_with_single_use_recovery_code(client: Client, make_user):
    user = make_user()
    enable_totp(user)
    codes = recovery_codes(user)
    assert len(codes) == 10
    mfa = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}).json()[
        "error"
    ]["details"]["mfaToken"]
    assert post_json(client, "/api/v1/auth/token/mfa", {"mfaToken": mfa, "code": codes[0]}).status_code == 200
    mfa = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}).json()[
        "error"
    ]["details"]["mfaToken"]
    assert_api_error(
        post_json(client, "/api/v1/auth/token/mfa", {"mfaToken": mfa, "code": codes[0]}),
        status=401,
        code="invalid_mfa_code",
    )
    assert len(recovery_codes(user)) == 9


def test_security_status_exposes_has_mfa(client: Client, make_user):
    user = make_user(role=Role.CREATOR)
    tokens = obtain_tokens(client, user)
    body = Client().get("/api/v1/me/security", **bearer(tokens["accessToken"])).json()
    assert body == {"hasMfa": False, "emailVerified": True, "deletionRequestedAt": None, "purgeAfter": None}
    from fanclub.accounts import permissions

    assert not permissions.can_request_payout(user)
    enable_totp(user)
    assert permissions.can_request_payout(user)


# --- Throttling -----------------------------------------------------------------------------------


def test_api_sign_in_lockout_is_429_and_success_resets(client: Client, make_user, settings):
    settings.LOGIN_FAILURES_SLOWDOWN = (3, 60)
    user = make_user()
    for _ in range(3):
        post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "bad-password"})
    response = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD})
    error = assert_api_error(response, status=429, code="rate_limited")
    assert "Too many failed sign-in attempts" in error["message"]
    assert int(response["Retry-After"]) >= 1
    assert error["details"]["retryAfterSeconds"] == int(response["Retry-After"])

    from fanclub.core import ratelimit

    ratelimit.set_backend(None)  # the window passes
    obtain_tokens(client, user)
    for _ in range(2):
        post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "bad-password"})
    obtain_tokens(client, user)  # counter was reset by the success


def test_ip_lockout_across_accounts(client: Client, make_user, settings):
    settings.LOGIN_FAILURES_IP_BLOCK = (4, 900)
    users = [make_user() for _ in range(5)]
    for user in users[:4]:
        post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "bad-password"})
    assert_api_error(
        post_json(client, "/api/v1/auth/token", {"email": users[4].email, "password": PASSWORD}),
        status=429,
        code="rate_limited",
    )
    other_ip = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        post_json(other_ip, "/api/v1/auth/token", {"email": users[4].email, "password": PASSWORD}).status_code
        == 200
    )


# --- Password reset and deletion over the API -----------------------------------------------------


def test_api_password_reset_single_use(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    assert post_json(client, "/api/v1/auth/password/reset", {"email": user.email.upper()}).status_code == 202
    assert post_json(client, "/api/v1/auth/password/reset", {"email": "ghost@example.com"}).status_code == 202
    assert len(mail.outbox) == 2
    key = re.search(r"/accounts/password/reset/key/([^/\s]+)/", mail.outbox[0].body).group(1)
    weak = post_json(client, "/api/v1/auth/password/reset/confirm", {"key": key, "password": "password"})
    assert_api_error(weak, status=422, code="validation_error")
    ok = post_json(
        client, "/api/v1/auth/password/reset/confirm", {"key": key, "password": "a fresh long passphrase"}
    )
    assert ok.status_code == 200
    assert Client().get("/api/v1/me", **bearer(tokens["accessToken"])).status_code == 401
    again = post_json(
        client, "/api/v1/auth/password/reset/confirm", {"key": key, "password": "yet another passphrase"}
    )
    assert_api_error(again, status=400, code="invalid_key")
    user.refresh_from_db()
    assert user.check_password("a fresh long passphrase")


def test_api_deletion_request(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    api = Client()
    before = _state(user)
    assert_api_error(
        post_json(api, "/api/v1/me/delete", {"password": "wrong"}, **bearer(tokens["accessToken"])),
        status=403,
        code="invalid_password",
    )
    assert _state(user) == before
    response = post_json(api, "/api/v1/me/delete", {"password": PASSWORD}, **bearer(tokens["accessToken"]))
    assert response.status_code == 202
    assert api.get("/api/v1/me", **bearer(tokens["accessToken"])).status_code == 401
    user.refresh_from_db()
    assert user.purge_after is not None
    obtain_tokens(client, user)  # signing in cancels
    user.refresh_from_db()
    assert user.purge_after is None


def test_security_events_listed_newest_first(client: Client, make_user):
    user = make_user()
    tokens = obtain_tokens(client, user)
    post_json(client, "/api/v1/auth/token", {"email": user.email, "password": "bad-password"})
    body = Client().get("/api/v1/me/security-events", **bearer(tokens["accessToken"])).json()
    assert [item["kind"] for item in body["items"]] == ["sign_in_failed", "sign_in"]


def test_cookie_session_api_write_without_csrf_is_403(make_user):
    user = make_user()
    web = Client(enforce_csrf_checks=True)
    web.force_login(user)
    web.get("/")
    response = web.post(
        "/api/v1/me/tokens", {"name": "x", "scopes": ["read"]}, content_type="application/json"
    )
    assert_api_error(response, status=403, code="csrf_failed")
    assert not ApiToken.objects.exists()
