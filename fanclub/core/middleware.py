"""Cross-cutting HTTP behaviour: request ids, metrics, API error shape, rate limits."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import csp.constants
import csp.middleware
import csp.utils
import structlog
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from fanclub.core import errors, ratelimit
from fanclub.core.metrics import DB_QUERIES, LATENCY, REQUESTS
from fanclub.core.request_id import HEADER, accept_or_generate, current_request_id

logger = structlog.get_logger("fanclub.request")
_HTTP_EXCEPTIONS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Binds a request id to the request, the log context and the response header."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_generate(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Log lines pick the id up from this ContextVar (fanclub.core.logging.add_request_id).
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            return response
        finally:
            current_request_id.reset(token)


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class MetricsMiddleware:
    """Request count, latency and database queries per request, labelled by route pattern.

    Also converts any error response on an /api/ path that Django produced itself (unknown route,
    wrong method, CSRF failure, an unhandled exception) into the standard JSON error shape, and
    writes one access log line per request.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        if errors.is_api_path(request.path) and response.status_code >= 400 and not _is_json(response):
            response = _as_api_error(response)
        route = _route_label(request)
        method = request.method if request.method in _KNOWN_METHODS else "other"
        requests, latency, queries = _children(route, method, response.status_code)
        requests.inc()
        latency.observe(elapsed)
        queries.observe(counter.count)
        status = response.status_code
        if _access_log.isEnabledFor(logging.WARNING if status >= 500 else logging.INFO):
            log = logger.warning if status >= 500 else logger.info
            log(
                "request",
                method=request.method,
                path=request.path,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                db_queries=counter.count,
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Http404, PermissionDenied, BadRequest and SuspiciousOperation are Django's own HTTP answers
        # (404/403/400), not crashes: Django renders them and the error-shape conversion above applies.
        if not errors.is_api_path(request.path) or isinstance(exception, _HTTP_EXCEPTIONS):
            return None
        logging.getLogger("fanclub.errors").exception("unhandled exception", exc_info=exception)
        return errors.error_response(request, status=500, message="An unexpected error occurred.")


_access_log = logging.getLogger("fanclub.request")
# Label values stay bounded: a client can send any method name.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_ChildMetrics = tuple[Any, Any, Any]
_children_cache: dict[tuple[str, str, int], _ChildMetrics] = {}


def _children(route: str, method: str, status: int) -> _ChildMetrics:
    """The labelled metric children for one (route, method, status), looked up once per process:
    ``labels()`` takes a lock and builds a key on every call, a dict lookup does not."""
    key = (route, method, status)
    children = _children_cache.get(key)
    if children is None:
        children = (
            REQUESTS.labels(route, method, str(status)),
            LATENCY.labels(route, method),
            DB_QUERIES.labels(route),
        )
        _children_cache[key] = children
    return children


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _as_api_error(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    details = None
    message = None
    if status == 405 and response.has_header("Allow"):
        # Sorted: Django Ninja builds the list from a set, so its order changes between processes.
        allowed = sorted(m.strip() for m in response["Allow"].split(","))
        response["Allow"] = ", ".join(allowed)
        details = {"allowed": allowed}
        message = f"Method not allowed. Allowed: {response['Allow']}"
    if status == 404:
        message = "No API endpoint matches this path."
    replacement = errors.error_response(None, status=status, message=message, details=details)
    # Keep what the inner middleware added (security headers, Allow, Retry-After, Vary, cookies).
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            replacement[header] = value
    replacement.cookies = response.cookies
    return replacement


def view_name(request: HttpRequest) -> str | None:
    """The URL name of what serves this request: for an API path, the operation for its method.

    Django Ninja routes every operation on one path through the URL pattern named after the path's
    first operation (GET /me and PATCH /me both resolve to ``api:get_me``); per-route rules are
    declared by the operation's own name (``api:update_me``), so look the operation up by method.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    path_view = _ninja_path_view(match.func)
    if path_view is None:
        return str(match.view_name)
    for operation in path_view.operations:
        if request.method in operation.methods:
            name = getattr(operation, "url_name", None) or operation.view_func.__name__
            return f"{match.namespace}:{name}" if match.namespace else str(name)
    return str(match.view_name)


def _ninja_path_view(func: Any) -> Any:
    from ninja.operation import PathView

    for cell in getattr(func, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def _route_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + str(match.route)


def client_ip(request: HttpRequest) -> str:
    """The client address, trusting X-Forwarded-For only for the configured number of proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


_EXEMPT_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")


class RateLimitMiddleware:
    """Applies the per-route limit to the client IP and, when signed in, to the user as well."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision = getattr(request, "rate_limit", None)
        if decision is not None and decision.allowed:
            for name, value in ratelimit.headers_for(decision).items():
                response[name] = value
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not settings.RATE_LIMIT_ENABLED or request.path.startswith(_EXEMPT_PREFIXES):
            return None
        name = view_name(request)
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        rule = ratelimit.rules_for(name, authenticated=authenticated)
        backend = ratelimit.get_backend()
        scope = name if name in ratelimit.ROUTE_LIMITS else "default"
        keys = [f"{scope}:ip:{client_ip(request)}"]
        if authenticated:
            keys.append(f"{scope}:user:{user.pk}")  # type: ignore[union-attr]
        decisions = [ratelimit.decide(backend, key, rule) for key in keys]
        worst = min(decisions, key=lambda d: (d.allowed, d.remaining))
        request.rate_limit = worst  # type: ignore[attr-defined]
        if worst.allowed:
            return None
        headers = ratelimit.headers_for(worst)
        message = f"Too many requests. Try again in {worst.retry_after_seconds} seconds."
        if errors.is_api_path(request.path):
            return errors.error_response(request, status=429, message=message, headers=headers)
        from django.shortcuts import render

        response = render(request, "429.html", {"message": message}, status=429)
        for name, value in headers.items():
            response[name] = value
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp with the common case precomputed: a response that neither overrides the policy
    (``_csp_update`` and friends) nor used a nonce gets the policy string built once per process.
    Anything else goes through django-csp's own code, unchanged."""

    _OVERRIDES = (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    )

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in self._OVERRIDES)
        ):
            return super().process_response(request, response)
        if csp.constants.HEADER not in response and not _csp_excluded(request.path_info):
            response[csp.constants.HEADER] = _default_csp_policy()
        return response


@functools.cache
def _default_csp_policy() -> str:
    return csp.utils.build_policy()


def _csp_excluded(path: str) -> bool:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return path.startswith(tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ()))


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, with the message storage built only when a request touches it
    (adding or reading a message): most API and asset requests never do, and then the response
    pass has nothing to store."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:  # type: ignore[attr-defined]
            return response
        return super().process_response(request, response)


@receiver(setting_changed)
def _csp_settings_changed(*, setting: str, **kwargs: Any) -> None:
    # Tests override the policy with ``settings``; a cached string must not outlive it.
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _default_csp_policy.cache_clear()
