"""API authentication: session-bound JWT bearer, personal API tokens with scopes, session cookie + CSRF.

``API_AUTH`` is the default of the NinjaAPI (default-deny). Operations that manage credentials use
``INTERACTIVE_AUTH`` (no personal tokens: a token must not mint or revoke credentials). Scopes:
``read`` for safe methods, ``write`` for the others, ``billing`` for billing operations (declared
with :func:`require_scope`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from fanclub.accounts import selectors, services
from fanclub.accounts.constants import TokenScope
from fanclub.accounts.errors import InsufficientScope, InvalidToken
from fanclub.accounts.models import User

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class JWTAuth(HttpBearer):
    """``Authorization: Bearer <access JWT>``; the session it names must still be live."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if token.startswith(services.tokens.API_TOKEN_PREFIX):
            return None  # a personal token: PersonalTokenAuth handles it
        claims = services.access_token_decode(token)
        user = selectors.user_for_access_token(user_id=claims.user_id, session_id=claims.session_id)
        if user is None:
            raise InvalidToken("This session has ended. Sign in again.", code="session_revoked")
        request.user = user
        request.auth_session_id = claims.session_id  # type: ignore[attr-defined]
        request.token_scopes = None  # type: ignore[attr-defined]  # full access
        return user


class PersonalTokenAuth(HttpBearer):
    """``Authorization: Bearer fcp_...``: a personal API token, limited to its scopes."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.startswith(services.tokens.API_TOKEN_PREFIX) or len(token) > 128:
            return None
        api_token = selectors.api_token_for_secret(token_hash=services.hash_secret(token))
        if api_token is None or (api_token.expires_at is not None and api_token.expires_at <= _now()):
            raise InvalidToken("The API token is invalid or revoked.")
        needed = TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE
        if needed not in api_token.scopes:
            raise InsufficientScope(
                f"This API token lacks the '{needed}' scope.", details={"required": needed}
            )
        services.api_token_mark_used(token=api_token)
        request.user = api_token.user
        request.auth_session_id = None  # type: ignore[attr-defined]
        request.token_scopes = frozenset(api_token.scopes)  # type: ignore[attr-defined]
        return api_token.user


class CookieSessionAuth(SessionAuth):
    """The browser's session cookie; Ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            request.auth_session_id = None  # type: ignore[attr-defined]
            request.token_scopes = None  # type: ignore[attr-defined]
        return user


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


jwt_auth = JWTAuth()
personal_token_auth = PersonalTokenAuth()
cookie_auth = CookieSessionAuth()
API_AUTH = [jwt_auth, personal_token_auth, cookie_auth]
INTERACTIVE_AUTH = [jwt_auth, cookie_auth]

F = TypeVar("F", bound=Callable[..., Any])


def require_scope(scope: str) -> Callable[[F], F]:
    """Declare that an operation needs ``scope`` when called with a personal API token
    (e.g. ``@require_scope("billing")`` on billing operations)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            scopes = getattr(request, "token_scopes", None)
            if scopes is not None and scope not in scopes:
                raise InsufficientScope(
                    f"This API token lacks the '{scope}' scope.", details={"required": scope}
                )
            return view(request, *args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorator
