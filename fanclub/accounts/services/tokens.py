"""API credentials: session-bound JWT access tokens, rotating refresh tokens, personal API tokens.

Access tokens are HS256 JWTs (15 minutes) carrying the device session id ``sid``; every request
loads the user through that session, so revoking the session (logout, password change, ban, token
reuse) stops the access token at once. Refresh tokens (7 days) are opaque, stored hashed and
single-use: each refresh spends one and issues the next in the same family (the session).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from fanclub.accounts.client import ClientInfo
from fanclub.accounts.constants import SecurityEventKind, SessionKind, TokenScope
from fanclub.accounts.errors import InvalidToken, RefreshTokenReused
from fanclub.accounts.models import ApiToken, DeviceSession, RefreshToken, User
from fanclub.accounts.services.events import security_event_record
from fanclub.accounts.services.sessions import device_session_revoke, device_session_start, hash_secret

JWT_ALGORITHMS = ["HS256"]  # explicit: "none" and asymmetric-key confusion are refused
JWT_ISSUER = "fanclub"
MFA_TOKEN_TTL = timedelta(minutes=5)
REFRESH_PREFIX = "fcr_"
API_TOKEN_PREFIX = "fcp_"  # noqa: S105


def _signing_key() -> str:
    if settings.JWT_SIGNING_KEY:
        return str(settings.JWT_SIGNING_KEY)
    return hmac.new(settings.SECRET_KEY.encode(), b"fanclub.jwt.v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str


def access_token_encode(*, user_id: int, session_id: object) -> str:
    now = timezone.now()
    claims = {
        "iss": JWT_ISSUER,
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, _signing_key(), algorithm="HS256")


def _decode(token: str, *, typ: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _signing_key(),
            algorithms=JWT_ALGORITHMS,
            issuer=JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is invalid.") from exc
    if claims.get("typ") != typ:
        raise InvalidToken("The token is invalid.")
    return claims


# Access tokens that verified, per process: a client sends the same token on every request for its
# 15 minutes, and checking its signature again each time is a tenth of a cheap API request's CPU.
# Keyed by the exact token and the signing key (a changed key verifies nothing cached under the old
# one); the expiry is checked on every use. Revocation does not depend on this: every request still
# loads the user through the token's live session.
_VERIFIED_ACCESS: dict[tuple[str, str], tuple[AccessClaims, float]] = {}
VERIFIED_ACCESS_CACHE_SIZE = 10_000


def access_token_decode(token: str) -> AccessClaims:
    key = (token, _signing_key())
    cached = _VERIFIED_ACCESS.get(key)
    if cached is not None:
        if time.time() < cached[1]:
            return cached[0]
        raise InvalidToken("The token has expired.", code="token_expired")
    claims = _decode(token, typ="access")
    try:
        access = AccessClaims(user_id=int(claims["sub"]), session_id=str(uuid.UUID(str(claims["sid"]))))
        expires = float(claims["exp"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("The token is invalid.") from exc
    if len(_VERIFIED_ACCESS) >= VERIFIED_ACCESS_CACHE_SIZE:
        _VERIFIED_ACCESS.clear()
    _VERIFIED_ACCESS[key] = (access, expires)
    return access


def mfa_token_encode(*, user_id: int) -> str:
    now = timezone.now()
    claims = {
        "iss": JWT_ISSUER,
        "sub": str(user_id),
        "typ": "mfa",
        "iat": int(now.timestamp()),
        "exp": int((now + MFA_TOKEN_TTL).timestamp()),
        "jti": secrets.token_hex(12),
    }
    return jwt.encode(claims, _signing_key(), algorithm="HS256")


def mfa_token_decode(token: str) -> tuple[int, str]:
    claims = _decode(token, typ="mfa")
    try:
        return int(claims["sub"]), str(claims["jti"])
    except (KeyError, ValueError) as exc:
        raise InvalidToken("The token is invalid.") from exc


def mfa_token_spend(jti: str) -> bool:
    """Mark an MFA token used; False if it was used already (a token completes one sign-in)."""
    return bool(cache.add(f"accounts:mfa-jti:{jti}", 1, timeout=int(MFA_TOKEN_TTL.total_seconds()) + 5))


def _new_refresh(session: DeviceSession) -> str:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        session=session,
        token_hash=hash_secret(raw),
        expires_at=timezone.now() + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
    )
    return raw


@transaction.atomic
def token_pair_issue(*, user: User, client: ClientInfo) -> TokenPair:
    """Start an API session for a user who has fully authenticated (password and, if on, MFA)."""
    session = device_session_start(user=user, kind=SessionKind.API, client=client)
    refresh = _new_refresh(session)
    return TokenPair(
        access_token=access_token_encode(user_id=user.pk, session_id=session.pk),
        refresh_token=refresh,
        expires_in=settings.ACCESS_TOKEN_TTL_SECONDS,
        session_id=session.pk,
    )


def token_refresh(*, refresh_token: str, client: ClientInfo) -> TokenPair:
    """Spend a refresh token and issue the next pair. A spent token presented again revokes its
    family (the session) and records a security event before the error is raised."""
    if not refresh_token.startswith(REFRESH_PREFIX) or len(refresh_token) > 128:
        raise InvalidToken("The refresh token is invalid.")
    reused_session: DeviceSession | None = None
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("session", "session__user")
            .filter(token_hash=hash_secret(refresh_token))
            .first()
        )
        if token is None:
            raise InvalidToken("The refresh token is invalid.")
        session = token.session
        now = timezone.now()
        if token.used_at is not None:
            reused_session = session
        else:
            if session.revoked_at is not None or not session.user.is_active:
                raise InvalidToken("This session has ended. Sign in again.", code="session_revoked")
            if token.expires_at <= now:
                raise InvalidToken("The refresh token has expired. Sign in again.", code="token_expired")
            token.used_at = now
            token.save(update_fields=["used_at"])
            refresh = _new_refresh(session)
            DeviceSession.objects.filter(pk=session.pk).update(
                last_seen_at=now, ip=client.ip, country=client.country
            )
            return TokenPair(
                access_token=access_token_encode(user_id=session.user_id, session_id=session.pk),
                refresh_token=refresh,
                expires_in=settings.ACCESS_TOKEN_TTL_SECONDS,
                session_id=session.pk,
            )
    with transaction.atomic():
        device_session_revoke(session=reused_session, reason="refresh_token_reuse", record=False)
        security_event_record(
            user=reused_session.user,
            kind=SecurityEventKind.REFRESH_TOKEN_REUSED,
            client=client,
            details={"session": str(reused_session.pk), "device": reused_session.device},
        )
    raise RefreshTokenReused(
        "This refresh token was already used. For your safety the session has been signed out."
    )


# --- Personal API tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedApiToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    client: ClientInfo | None = None,
    expires_in_days: int | None = None,
) -> CreatedApiToken:
    clean_scopes = sorted(set(scopes))
    if not clean_scopes or any(scope not in TokenScope.values for scope in clean_scopes):
        from fanclub.core.errors import ApiError

        raise ApiError(
            f"Scopes must be a non-empty subset of {', '.join(TokenScope.values)}.",
            code="validation_error",
            status=422,
        )
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "API token",
        prefix=secret[:12],
        token_hash=hash_secret(secret),
        scopes=clean_scopes,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    security_event_record(
        user=user,
        kind=SecurityEventKind.TOKEN_CREATED,
        client=client,
        details={"token": str(token.pk), "name": token.name, "scopes": clean_scopes},
    )
    return CreatedApiToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, client: ClientInfo | None = None) -> bool:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated:
        security_event_record(
            user=token.user,
            kind=SecurityEventKind.TOKEN_REVOKED,
            client=client,
            details={"token": str(token.pk), "name": token.name},
        )
    return bool(updated)


def api_token_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record use at most once a minute per token (the cache gates the write)."""
    if cache.add(f"accounts:pat-seen:{token.pk}", 1, timeout=60):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
