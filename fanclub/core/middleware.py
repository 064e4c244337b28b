"""Cross-cutting HTTP behaviour: request ids, metrics, API error shape, rate limits."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
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
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from fanclub.core import errors, metrics, ratelimit
from fanclub.core.request_id import HEADER, accept_or_generate, current_request_id

logger = structlog.get_logger("fanclub.request")
_HTTP_EXCEPTIONS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
Handler = Callable[[HttpRequest], HttpResponse]


class RequestMiddleware:
    """The outermost layer, one pass per request for everything that wraps every response:

    * the request id: accepted from ``X-Request-ID`` when well-formed, generated otherwise; on the
      request, in the log context (a ContextVar read by fanclub.core.logging) and the response;
    * metrics: request count, latency and database queries per request, by route pattern, and one
      access-log line;
    * on /api/ paths, any error response Django produced itself (unknown route, wrong method, CSRF
      failure, an unhandled exception) converted into the standard JSON error shape;
    * the Content-Security-Policy header (django-csp's policy, see :func:`apply_csp`).

    One layer rather than four: each middleware layer costs a Python call chain on every request,
    and this work has no ordering constraint between its parts.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._csp = CSPMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_generate(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        request.csp_nonce = _LazyNonce(self._csp, request)  # type: ignore[attr-defined]
        id_token = current_request_id.set(request_id)
        try:
            counter = _QueryCounter()
            counter_token = _current_query_counter.set(counter)
            started = time.perf_counter()
            try:
                response = self.get_response(request)
            finally:
                _current_query_counter.reset(counter_token)
            elapsed = time.perf_counter() - started
            status = response.status_code
            if status >= 400 and errors.is_api_path(request.path) and not _is_json(response):
                response = _as_api_error(response)
            response = apply_csp(self._csp, request, response)  # type: ignore[assignment]
            _set_known_header(response, _REQUEST_ID_KEY, request_id)
            route = _route_label(request)
            method = request.method if request.method in _KNOWN_METHODS else "other"
            metrics.record_request(
                route=route, method=method, status=status, seconds=elapsed, queries=counter.count
            )
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
        finally:
            current_request_id.reset(id_token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Http404, PermissionDenied, BadRequest and SuspiciousOperation are Django's own HTTP answers
        # (404/403/400), not crashes: Django renders them and the error-shape conversion above applies.
        if not errors.is_api_path(request.path) or isinstance(exception, _HTTP_EXCEPTIONS):
            return None
        logging.getLogger("fanclub.errors").exception("unhandled exception", exc_info=exception)
        return errors.error_response(request, status=500, message="An unexpected error occurred.")


class _QueryCounter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


# The current request's counter. Every database connection carries one execute wrapper for its
# whole life (installed when it connects, :func:`install_query_counter`), which counts into this
# ContextVar's counter when a request is being served, instead of a wrapper pushed and popped on
# the connection for every request.
_current_query_counter: ContextVar[_QueryCounter | None] = ContextVar("fanclub_query_counter", default=None)


def _count_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    counter = _current_query_counter.get()
    if counter is not None:
        counter.count += 1
    return execute(sql, params, many, context)


@receiver(connection_created)
def install_query_counter(*, connection: Any, **kwargs: Any) -> None:
    """Runs for every new database connection (also after a reconnect of the same wrapper)."""
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


_access_log = logging.getLogger("fanclub.request")
# Label values stay bounded: a client can send any method name.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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
    """django-csp's middleware with the common case precomputed (:func:`apply_csp`). The platform
    runs it inside :class:`RequestMiddleware`; it also works on its own."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return apply_csp(self, request, response)

    def django_csp_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return super().process_response(request, response)


# Response attributes through which django-csp's decorators change the policy of one response.
_CSP_OVERRIDES = frozenset(
    {
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    }
)


def apply_csp(
    middleware: CSPMiddleware, request: HttpRequest, response: HttpResponseBase
) -> HttpResponseBase:
    """The Content-Security-Policy header. A response that neither overrides the policy (django-csp's
    ``@csp_update`` and friends) nor used a nonce, outside DEBUG and report-only mode, gets the
    policy string built once per process; anything else goes through django-csp's own code."""
    fast = _csp_fast_path()
    if (
        fast is None
        or getattr(request, "_csp_nonce", None) is not None
        or not _CSP_OVERRIDES.isdisjoint(response.__dict__)
    ):
        return middleware.django_csp_response(request, response)
    policy, excluded_prefixes = fast
    if _CSP_KEY[0] not in response.headers._store and not request.path_info.startswith(excluded_prefixes):
        _set_known_header(response, _CSP_KEY, policy)
    return response


# (lower-case key, name) of the headers set through _set_known_header.
_REQUEST_ID_KEY = (HEADER.lower(), HEADER)
_CSP_KEY = (csp.constants.HEADER.lower(), csp.constants.HEADER)


def _set_known_header(response: HttpResponseBase, key: tuple[str, str], value: str) -> None:
    """``response[name] = value`` for a value known to be a plain ASCII header value (the policy
    string built at start, a request id that matched its pattern or was generated): Django's
    ``ResponseHeaders.__setitem__`` would check and encode both name and value on every response.
    Same storage as Django's (``test_security_headers`` pins that the header is served)."""
    response.headers._store[key[0]] = (key[1], value)


@functools.cache
def _csp_fast_path() -> tuple[str, tuple[str, ...]] | None:
    """(policy, excluded path prefixes), or None when every response needs django-csp's own code."""
    if settings.DEBUG or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
        return None
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return csp.utils.build_policy(), tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())


class _LazyNonce:
    """``request.csp_nonce`` as django-csp provides it: a nonce made on first use (as a string), which
    then goes into the policy header. Built without a SimpleLazyObject per request, since most
    requests never use it."""

    __slots__ = ("_middleware", "_request")

    def __init__(self, middleware: CSPMiddleware, request: HttpRequest) -> None:
        self._middleware = middleware
        self._request = request

    def __str__(self) -> str:
        return self._middleware._make_nonce(self._request)

    def __bool__(self) -> bool:  # as django-csp's CheckableLazyObject: true once made
        return getattr(self._request, "_csp_nonce", None) is not None

    def __html__(self) -> str:
        return str(self)


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
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _csp_fast_path.cache_clear()
