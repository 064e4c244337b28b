"""Assertions shared by the test suite: the one API error shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpResponse

ERROR_KEYS = {"code", "message", "details", "requestId", "timestamp"}


def assert_api_error(response: HttpResponse, *, status: int, code: str, details: Any = ...) -> dict[str, Any]:
    """The response is ``{"error": {...}}`` with every key, and its requestId is the response's."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == ERROR_KEYS
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["requestId"] == response["X-Request-ID"]
    assert error["timestamp"].endswith("Z")
    stamped = datetime.fromisoformat(error["timestamp"].removesuffix("Z")).replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=1)
    if details is not ...:
        assert error["details"] == details
    return error
