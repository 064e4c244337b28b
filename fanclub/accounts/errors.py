"""Errors the accounts domain reports to clients (rendered in the one API error shape)."""

from __future__ import annotations

from fanclub.core.errors import ApiError


class InvalidCredentials(ApiError):
    status = 401
    code = "invalid_credentials"


class InvalidToken(ApiError):
    status = 401
    code = "invalid_token"


class RefreshTokenReused(ApiError):
    status = 401
    code = "refresh_token_reused"


class MfaRequired(ApiError):
    status = 401
    code = "mfa_required"


class InvalidMfaCode(ApiError):
    status = 401
    code = "invalid_mfa_code"


class EmailNotVerified(ApiError):
    status = 403
    code = "email_unverified"


class SignInThrottled(ApiError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, details={"retryAfterSeconds": retry_after_seconds})
        self.headers = {"Retry-After": str(retry_after_seconds)}


class InsufficientScope(ApiError):
    status = 403
    code = "insufficient_scope"
