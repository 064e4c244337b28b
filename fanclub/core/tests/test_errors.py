"""Every failure of the JSON API uses one shape: {"error": {code, message, details, requestId, timestamp}}."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from fanclub.accounts import selectors as account_selectors
from fanclub.accounts.models import User
from fanclub.core import ratelimit
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db


def _user_state(user: Any) -> dict[str, Any]:
    return {"count": User.objects.count(), "row": User.objects.values().get(pk=user.pk)}


def _patch_me(client: Client, body: str | bytes, content_type: str = "application/json", **extra: Any):
    return client.patch("/api/v1/me", body, content_type=content_type, **extra)


@pytest.fixture
def fan(make_user):
    return make_user(handle="fan1")


@pytest.fixture
def signed_in(fan) -> Client:
    client = Client()
    client.force_login(fan)
    return client


@pytest.mark.parametrize("limit", ["0", "101", "-1"])
def test_limit_out_of_bounds_is_422(client, limit):
    response = client.get(f"/api/v1/creators?limit={limit}")

    error = assert_api_error(response, status=422, code="validation_error", details=None)
    assert error["message"] == "limit must be between 1 and 100."


def test_limit_not_a_number_is_422_with_the_failing_field(client):
    response = client.get("/api/v1/creators?limit=abc")

    error = assert_api_error(response, status=422, code="validation_error")
    assert error["message"] == "The request did not pass validation."
    assert error["details"] == [
        {
            "loc": ["query", "limit"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }
    ]


def test_body_validation_error_is_422_and_changes_nothing(signed_in, fan):
    before = _user_state(fan)

    response = _patch_me(signed_in, json.dumps({"displayName": "x" * 81}))

    assert_api_error(
        response,
        status=422,
        code="validation_error",
        details=[
            {
                "loc": ["body", "payload", "displayName"],
                "msg": "String should have at most 80 characters",
                "type": "string_too_long",
            }
        ],
    )
    assert _user_state(fan) == before


def test_anonymous_is_401(client):
    response = client.get("/api/v1/me")

    error = assert_api_error(response, status=401, code="unauthorized", details=None)
    assert error["message"] == "Authentication is required."


def test_anonymous_write_is_401_and_changes_nothing(client, fan):
    before = _user_state(fan)

    response = _patch_me(client, json.dumps({"displayName": "Hacked"}))

    assert_api_error(response, status=401, code="unauthorized")
    assert _user_state(fan) == before


def test_cookie_authenticated_write_without_csrf_token_is_403_and_changes_nothing(fan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(fan)
    client.get("/")  # the page sets the CSRF cookie; the request below still omits the token
    assert "csrftoken" in client.cookies
    before = _user_state(fan)

    response = _patch_me(client, json.dumps({"displayName": "Forged"}))

    error = assert_api_error(response, status=403, code="csrf_failed", details=None)
    assert "CSRF" in error["message"]
    assert _user_state(fan) == before


def test_cookie_authenticated_write_with_csrf_token_succeeds(fan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(fan)
    client.get("/")

    response = _patch_me(
        client,
        json.dumps({"displayName": "Fan One"}),
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": fan.pk,
        "email": "fan1@example.com",
        "handle": "fan1",
        "displayName": "Fan One",
        "role": "fan",
    }
    fan.refresh_from_db()
    assert fan.display_name == "Fan One"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/", "/api/v1/no/such/endpoint", "/api/v2/creators"])
def test_unknown_api_route_is_404(client, path):
    response = client.get(path)

    error = assert_api_error(response, status=404, code="not_found", details=None)
    assert error["message"] == "No API endpoint matches this path."


def test_wrong_method_is_405_with_the_allowed_methods(client):
    response = client.post("/api/v1/creators", "{}", content_type="application/json")

    error = assert_api_error(response, status=405, code="method_not_allowed", details={"allowed": ["GET"]})
    assert error["message"] == "Method not allowed. Allowed: GET"
    assert response["Allow"] == "GET"


def test_wrong_method_on_a_path_with_two_operations_lists_both(signed_in):
    response = signed_in.delete("/api/v1/me")

    assert_api_error(response, status=405, code="method_not_allowed", details={"allowed": ["GET", "PATCH"]})
    assert response["Allow"] == "GET, PATCH"


def test_body_over_the_limit_is_413_and_changes_nothing(signed_in, fan, settings):
    before = _user_state(fan)
    body = json.dumps({"displayName": "Big"}) + " " * settings.API_MAX_BODY_BYTES

    response = _patch_me(signed_in, body)

    error = assert_api_error(
        response, status=413, code="payload_too_large", details={"maxBytes": settings.API_MAX_BODY_BYTES}
    )
    assert error["message"] == f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."
    assert _user_state(fan) == before


def test_body_at_the_limit_is_accepted(signed_in, fan, settings):
    payload = json.dumps({"displayName": "Padded"})
    body = payload + " " * (settings.API_MAX_BODY_BYTES - len(payload))
    assert len(body) == settings.API_MAX_BODY_BYTES

    response = _patch_me(signed_in, body)

    assert response.status_code == 200
    fan.refresh_from_db()
    assert fan.display_name == "Padded"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_body_is_415_and_changes_nothing(signed_in, fan, content_type):
    before = _user_state(fan)

    response = _patch_me(signed_in, "displayName=Plain", content_type=content_type)

    error = assert_api_error(response, status=415, code="unsupported_media_type", details=None)
    assert error["message"] == f"Expected Content-Type application/json, got {content_type}."
    assert _user_state(fan) == before


@pytest.mark.parametrize("body", [b"{bad", b'{"displayName": "x"', b"\xff\xfe{}", b"[1,]"])
def test_malformed_json_is_400_and_changes_nothing(signed_in, fan, body):
    before = _user_state(fan)

    response = _patch_me(signed_in, body)

    error = assert_api_error(response, status=400, code="malformed_json", details=None)
    assert error["message"] == "The request body is not valid JSON."
    assert _user_state(fan) == before


def test_empty_body_is_a_missing_payload_422_and_changes_nothing(signed_in, fan):
    before = _user_state(fan)

    response = _patch_me(signed_in, b"")

    assert_api_error(
        response,
        status=422,
        code="validation_error",
        details=[{"loc": ["body", "payload"], "msg": "Field required", "type": "missing"}],
    )
    assert _user_state(fan) == before


def test_rate_limited_is_429_and_changes_nothing(signed_in, fan, monkeypatch):
    monkeypatch.setitem(ratelimit.ROUTE_LIMITS, "api:update_me", ratelimit.Rule(limit=1, window_seconds=60))
    assert _patch_me(signed_in, json.dumps({"displayName": "First"})).status_code == 200
    before = _user_state(fan)

    response = _patch_me(signed_in, json.dumps({"displayName": "Second"}))

    error = assert_api_error(response, status=429, code="rate_limited", details=None)
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 120
    assert error["message"] == f"Too many requests. Try again in {retry_after} seconds."
    assert _user_state(fan) == before
    assert before["row"]["display_name"] == "First"


def test_unhandled_exception_is_500_without_leaking_details(monkeypatch, caplog):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(account_selectors, "creator_list", broken)
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR, logger="fanclub.errors"):
        response = client.get("/api/v1/creators")

    error = assert_api_error(response, status=500, code="internal_error", details=None)
    assert error["message"] == "An unexpected error occurred."
    assert b"secret internal detail" not in response.content
    logged = [record for record in caplog.records if record.name == "fanclub.errors"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], RuntimeError)


def test_error_response_carries_the_client_request_id(client):
    response = client.get("/api/v1/me", headers={"X-Request-ID": "client-supplied-id-42"})

    error = assert_api_error(response, status=401, code="unauthorized")
    assert error["requestId"] == "client-supplied-id-42"
