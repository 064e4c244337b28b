"""Sign-in with Google and X: allauth's real OAuth2 flow (PKCE, state, token exchange, profile) in
headless Chromium against a local HTTP server that plays the provider.

Rules proven here (see SocialAccountAdapter): a provider exists only when configured; the first
sign-in asks for a handle and a date of birth (18+); a verified provider email needs no mail; an
email that already has an account is never connected by itself (no account is created, the owner
gets a mail), its owner connects the provider after signing in.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from django.core import mail
from django.test import Client

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
GOOGLE_CLIENT = {"client_id": "google-client-id.apps.example", "secret": "google-secret"}
X_CLIENT = {"client_id": "x-client-id", "secret": "x-secret"}


@dataclass
class FakeProvider:
    """An OAuth2 authorization server: /authorize, /token and a profile endpoint, on loopback.

    It checks what a real provider checks: the client, the redirect URI, single-use codes and the
    PKCE verifier. ``profile`` is who "signs in" at the provider next.
    """

    client_id: str
    secret: str
    profile: dict[str, Any] = field(default_factory=dict)
    id_token_issuer: str = ""  # set: the token response carries an OpenID Connect id_token
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def _client_ok(self, headers: Any, form: dict[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return (client_id, secret) == (self.client_id, self.secret)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    assert query["client_id"] == provider.client_id
                    assert query["response_type"] == "code"
                    assert query["code_challenge_method"] == "S256"
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {**query, "profile": dict(provider.profile)}
                    self.send_response(302)
                    back = urlencode({"code": code, "state": query["state"]})
                    self.send_header("Location", f"{query['redirect_uri']}?{back}")
                    self.end_headers()
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                grant = provider.tokens.get(token)
                if grant is None:
                    self._json(401, {"error": "invalid_token"})
                elif url.path == "/userinfo":
                    self._json(200, grant["profile"])
                elif url.path == "/2/users/me":
                    self._json(200, {"data": grant["profile"]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                grant = provider.codes.pop(form.get("code", ""), None)
                if urlsplit(self.path).path != "/token" or not provider._client_ok(self.headers, form):
                    return self._json(401, {"error": "invalid_client"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if (
                    grant is None
                    or form.get("grant_type") != "authorization_code"
                    or form.get("redirect_uri") != grant["redirect_uri"]
                    or challenge.decode() != grant["code_challenge"]
                ):
                    return self._json(400, {"error": "invalid_grant"})
                access = secrets.token_urlsafe(24)
                provider.tokens[access] = grant
                body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": 3600}
                if provider.id_token_issuer:
                    now = int(time.time())
                    claims = {
                        "iss": provider.id_token_issuer,
                        "aud": provider.client_id,
                        "iat": now,
                        "exp": now + 600,
                        **grant["profile"],
                    }
                    key = "signing-key-of-the-local-fake-provider"
                    body["id_token"] = jwt.encode(claims, key, algorithm="HS256")
                return self._json(200, body)

        return Handler


def _serve(provider: FakeProvider) -> Iterator[FakeProvider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), provider.handler())
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-oauth-provider", daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def google(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """Google configured (as OAUTH_GOOGLE_CLIENT_ID/SECRET would) and played by a local server."""
    from allauth.socialaccount.providers.google import views

    provider = FakeProvider(**GOOGLE_CLIENT, id_token_issuer="https://accounts.google.com")
    for served in _serve(provider):
        providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
        providers["google"]["APPS"] = [dict(GOOGLE_CLIENT)]
        settings.SOCIALACCOUNT_PROVIDERS = providers
        monkeypatch.setattr(views.GoogleOAuth2Adapter, "authorize_url", f"{served.url}/authorize")
        monkeypatch.setattr(views.GoogleOAuth2Adapter, "access_token_url", f"{served.url}/token")
        monkeypatch.setattr(views.GoogleOAuth2Adapter, "identity_url", f"{served.url}/userinfo")
        yield served


@pytest.fixture
def x_provider(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """X configured (as OAUTH_X_CLIENT_ID/SECRET would) and played by a local server."""
    from allauth.socialaccount.providers.twitter_oauth2 import views

    provider = FakeProvider(**X_CLIENT)
    for served in _serve(provider):
        providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
        providers["twitter_oauth2"]["APPS"] = [dict(X_CLIENT)]
        settings.SOCIALACCOUNT_PROVIDERS = providers
        monkeypatch.setattr(views.TwitterOAuth2Adapter, "authorize_url", f"{served.url}/authorize")
        monkeypatch.setattr(views.TwitterOAuth2Adapter, "access_token_url", f"{served.url}/token")
        monkeypatch.setattr(views.TwitterOAuth2Adapter, "profile_url", f"{served.url}/2/users/me")
        yield served


@pytest.fixture
def page(live_server, websocket_server, chromium, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh Chromium page; the test fails on any console error (CSP violations included)."""
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    # No service worker: it would pass the cross-origin OAuth redirects through fetch().
    context = chromium.new_context(service_workers="block")
    context.on(
        "console",
        lambda msg: msg.type == "error" and problems.append(f"console: {msg.text} ({msg.location})"),
    )
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    yield context.new_page()
    context.close()
    assert problems == []


def _continue_with(page: Any, base: str, provider_name: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_role("link", name=provider_name, exact=True).click()
    page.get_by_role("button", name="Continue").click()


def _sign_out(page: Any, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
def test_google_first_sign_in_asks_handle_and_age_then_signs_in_directly(live_server, google, page):
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount
    from playwright.sync_api import expect

    from fanclub.accounts.constants import SecurityEventKind
    from fanclub.accounts.models import DeviceSession, SecurityEvent, User

    base = live_server.url
    google.profile = {
        "sub": "108234567890",
        "email": "ada@example.org",
        "email_verified": True,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    _continue_with(page, base, "Google")

    # Back from "Google" with a verified email: our sign-up form asks for the handle and age.
    page.wait_for_url(re.compile(r"/accounts/3rdparty/signup/"))
    assert page.get_by_label("Email").input_value() == "ada@example.org"
    page.get_by_label("Handle").fill("ada_l")
    page.get_by_label("Date of birth").fill("2015-01-01")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("You must be 18")).to_be_visible()
    assert not User.objects.filter(email="ada@example.org").exists()
    page.get_by_label("Date of birth").fill("1990-12-10")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@ada_l"
    assert mail.outbox == []  # the provider verified the email: no verification mail

    user = User.objects.get(email="ada@example.org")
    assert (user.handle, str(user.date_of_birth), user.has_usable_password()) == (
        "ada_l",
        "1990-12-10",
        False,
    )
    assert EmailAddress.objects.filter(
        user=user, email="ada@example.org", verified=True, primary=True
    ).exists()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", "108234567890")
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.SIGN_UP).count() == 1
    # allauth exchanged the code once, with the PKCE verifier and the client's credentials.
    assert len(google.token_requests) == 1
    assert google.token_requests[0]["client_id"] == GOOGLE_CLIENT["client_id"]
    assert google.token_requests[0]["code_verifier"]

    # Next time: straight in, no form.
    _sign_out(page, base)
    _continue_with(page, base, "Google")
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@ada_l"
    assert User.objects.count() == 1
    assert DeviceSession.objects.filter(user=user).count() == 2


@pytest.mark.browser
def test_google_email_of_an_existing_account_is_refused_until_its_owner_connects(
    live_server, google, page, make_user
):
    from allauth.socialaccount.models import SocialAccount

    from fanclub.accounts.models import User

    owner = make_user(handle="grace", password=PASSWORD)
    base = live_server.url
    google.profile = {"sub": "2001", "email": "grace@example.com", "email_verified": True, "name": "Grace"}

    # Someone signs in with a Google account showing the owner's address: no account, no link;
    # the address gets a mail, and the page looks like any sign-up (no enumeration).
    _continue_with(page, base, "Google")
    page.wait_for_url(re.compile(r"/accounts/3rdparty/signup/"))
    page.get_by_label("Handle").fill("grace_two")
    page.get_by_label("Date of birth").fill("1985-03-04")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()
    assert [m.to for m in mail.outbox] == [["grace@example.com"]]
    assert "already" in mail.outbox[0].subject.lower()

    # The owner signs in with the password and connects Google from the connected-accounts page.
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/accounts/3rdparty/")
    page.get_by_role("link", name="Google", exact=True).click()
    if "reauthenticate" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/accounts/3rdparty/"))
    account = SocialAccount.objects.get()
    assert (account.user_id, account.provider, account.uid) == (owner.pk, "google", "2001")

    # From now on Google signs the owner in.
    _sign_out(page, base)
    _continue_with(page, base, "Google")
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@grace"


@pytest.mark.browser
def test_x_sign_in_without_email_verifies_the_typed_address(live_server, x_provider, page):
    from allauth.socialaccount.models import SocialAccount

    from fanclub.accounts.models import User

    base = live_server.url
    x_provider.profile = {"id": "1500", "name": "Lin", "username": "lin_x", "verified": False}
    _continue_with(page, base, "X")

    # X shares no email: the form asks for one, and it is verified by mail before signing in.
    page.wait_for_url(re.compile(r"/accounts/3rdparty/signup/"))
    assert page.get_by_label("Email").input_value() == ""
    page.get_by_label("Email").fill("lin@example.net")
    page.get_by_label("Handle").fill("lin_x")
    page.get_by_label("Date of birth").fill("1999-09-09")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    user = User.objects.get(email="lin@example.net")
    assert SocialAccount.objects.get(user=user).uid == "1500"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".nav-user").inner_text() == "@lin_x"
    # X's client authenticates with HTTP Basic: the secret is not in the form body.
    assert "client_secret" not in x_provider.token_requests[0]


def test_providers_hidden_and_their_urls_404_when_not_configured(client: Client):
    text = client.get("/accounts/sign-in/").content.decode()
    assert "/accounts/google/" not in text and "/accounts/twitter_oauth2/" not in text
    for path in (
        "/accounts/google/login/",
        "/accounts/google/login/callback/?code=x&state=y",
        "/accounts/twitter_oauth2/login/",
        "/accounts/twitter_oauth2/login/callback/?code=x&state=y",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/accounts/google/login/").status_code == 404


def test_configured_providers_are_offered_with_their_origin_in_form_action(client: Client, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = [dict(GOOGLE_CLIENT)]
    providers["twitter_oauth2"]["APPS"] = [dict(X_CLIENT)]
    settings.SOCIALACCOUNT_PROVIDERS = providers

    text = client.get("/accounts/sign-in/").content.decode()
    assert 'href="/accounts/google/login/?process=login"' in text
    assert 'href="/accounts/twitter_oauth2/login/?process=login"' in text
    google = client.get("/accounts/google/login/?process=login")
    assert google.status_code == 200
    assert "form-action 'self' https://accounts.google.com" in google["Content-Security-Policy"]
    x = client.get("/accounts/twitter_oauth2/login/?process=login")
    assert "form-action 'self' https://x.com" in x["Content-Security-Policy"]
    # Everywhere else form-action stays 'self'.
    assert "form-action 'self';" in client.get("/accounts/sign-in/")["Content-Security-Policy"]
