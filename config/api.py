"""The one NinjaAPI: /api/v1, its error handlers and the routers of every app.

Default-deny: every operation needs credentials unless it declares ``auth=None`` explicitly: a
session-bound JWT access token, a personal API token (scoped: read/write/billing), or the browser's
session cookie (with CSRF on writes). The authorization matrix test pins each operation's access.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.parser import Parser

from fanclub.accounts.auth import API_AUTH
from fanclub.core import errors
from fanclub.core.renderers import OrjsonRenderer

logger = logging.getLogger("fanclub.errors")


class JsonParser(Parser):
    """Bodies must be declared as JSON; anything else is a 415, not a guess."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise errors.UnsupportedMediaType(
                f"Expected Content-Type application/json, got {content_type or 'none'}."
            )
        return cast(dict[str, Any], json.loads(request.body))


class FanclubAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The endpoint's own name (``list_creators``): STYLE.md's operation ids, stable for clients."""
        return operation.view_func.__name__


api = FanclubAPI(
    title="Fanclub API",
    version="1",
    description="The Fanclub JSON API. Every error uses the shape documented under `Error`.",
    urls_namespace="api",
    auth=API_AUTH,
    parser=JsonParser(),
    renderer=OrjsonRenderer(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(errors.ApiError)
def _api_error(request: HttpRequest, exc: errors.ApiError) -> HttpResponse:
    return errors.error_response(
        request,
        status=exc.status,
        code=exc.code,
        message=exc.message,
        details=exc.details,
        headers=getattr(exc, "headers", None),
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"loc": list(item.get("loc", [])), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in exc.errors
    ]
    return errors.error_response(
        request, status=422, message="The request did not pass validation.", details=details
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return errors.error_response(request, status=401, message="Authentication is required.")


@api.exception_handler(AuthorizationError)
def _authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return errors.error_response(request, status=403, message="You may not do this.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, errors.ApiError):
        return _api_error(request, cause)
    if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError):
        return errors.error_response(
            request, status=400, code="malformed_json", message="The request body is not valid JSON."
        )
    if exc.status_code == 403 and "CSRF" in str(exc):
        return errors.error_response(request, status=403, code="csrf_failed", message=str(exc))
    return errors.error_response(request, status=exc.status_code, message=str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return errors.error_response(request, status=404, message="Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from django.conf import settings

    return errors.error_response(
        request,
        status=413,
        message=f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
        details={"maxBytes": settings.API_MAX_BODY_BYTES},
    )


@api.exception_handler(Exception)
def _unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled exception in API", exc_info=exc)
    return errors.error_response(request, status=500, message="An unexpected error occurred.")


api.add_router("/", "fanclub.accounts.api.router")
api.add_router("/", "fanclub.media.api.router")
api.add_router("/", "fanclub.creators.api.router")
api.add_router("/", "fanclub.social.api.router")
api.add_router("/", "fanclub.feeds.api.router")
api.add_router("/", "fanclub.content.api.router")
api.add_router("/", "fanclub.billing.api.router")
api.add_router("/", "fanclub.community.api.router")
api.add_router("/", "fanclub.search.api.router")
api.add_router("/", "fanclub.notifications.api.router")
api.add_router("/", "fanclub.messaging.api.router")
api.add_router("/", "fanclub.moderation.api.router")
