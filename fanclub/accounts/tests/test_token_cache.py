"""Verified access tokens are remembered per process; expiry, the signing key and revocation still
apply on every request (services.tokens.access_token_decode)."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.accounts import services
from fanclub.accounts.services import tokens
from fanclub.accounts.tests.factories import bearer, obtain_tokens
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    tokens._VERIFIED_ACCESS.clear()
    yield
    tokens._VERIFIED_ACCESS.clear()


def test_a_remembered_token_is_refused_once_it_expires(client: Client, make_user, monkeypatch):
    access = obtain_tokens(client, make_user())["accessToken"]
    assert Client().get("/api/v1/me", **bearer(access)).status_code == 200
    assert len(tokens._VERIFIED_ACCESS) == 1
    (_claims, expires) = next(iter(tokens._VERIFIED_ACCESS.values()))

    monkeypatch.setattr(tokens.time, "time", lambda: expires)

    assert_api_error(Client().get("/api/v1/me", **bearer(access)), status=401, code="token_expired")


def test_a_remembered_token_is_verified_again_under_another_signing_key(client: Client, make_user, settings):
    access = obtain_tokens(client, make_user())["accessToken"]
    assert Client().get("/api/v1/me", **bearer(access)).status_code == 200

    settings.JWT_SIGNING_KEY = "another-signing-key-another-signing-key-0123456789"

    assert_api_error(Client().get("/api/v1/me", **bearer(access)), status=401, code="invalid_token")


def test_a_remembered_token_of_a_revoked_session_is_refused(client: Client, make_user):
    access = obtain_tokens(client, make_user())["accessToken"]
    api = Client()
    assert api.get("/api/v1/me", **bearer(access)).status_code == 200

    assert api.post("/api/v1/auth/logout", **bearer(access)).status_code == 204

    assert_api_error(api.get("/api/v1/me", **bearer(access)), status=401, code="session_revoked")


def test_only_tokens_that_verified_are_remembered(client: Client, make_user):
    access = obtain_tokens(client, make_user())["accessToken"]
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"

    assert_api_error(Client().get("/api/v1/me", **bearer(tampered)), status=401, code="invalid_token")

    assert tokens._VERIFIED_ACCESS == {}
    assert services.access_token_decode(access).user_id > 0
    assert [token for token, _key in tokens._VERIFIED_ACCESS] == [access]
