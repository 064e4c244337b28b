"""The one error shape of the JSON API.

``{"error": {"code", "message", "details", "requestId", "timestamp"}}`` for every failure: domain
errors raised by services, validation errors, HTTP errors produced by Django itself (unknown route,
wrong method, oversized body) and unhandled exceptions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, JsonResponse

from fanclub.core.request_id import current_request_id

CODES_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A failure to report to the client. Services raise subclasses; interfaces render them."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class NotFound(ApiError):
    status = 404
    code = "not_found"


class PermissionDenied(ApiError):
    status = 403
    code = "forbidden"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


def error_payload(
    *, status: int, message: str | None = None, code: str | None = None, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or CODES_BY_STATUS.get(status, f"http_{status}"),
            "message": message or _reason(status),
            "details": details,
            "requestId": current_request_id.get(),
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
    }


def error_response(
    request: HttpRequest | None,
    *,
    status: int,
    message: str | None = None,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        error_payload(status=status, message=message, code=code, details=details), status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")
