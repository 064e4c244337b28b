from __future__ import annotations

from datetime import date, datetime

from ninja import Field

from fanclub.core.schemas import ApiSchema


class CreatorOut(ApiSchema):
    handle: str
    display_name: str
    avatar_url: str | None
    joined_at: datetime


class CreatorPageOut(ApiSchema):
    items: list[CreatorOut]
    next_cursor: str | None


class MeOut(ApiSchema):
    id: int
    email: str
    handle: str
    display_name: str
    role: str


class MeIn(ApiSchema):
    display_name: str = Field(min_length=1, max_length=80)


class SignupIn(ApiSchema):
    email: str = Field(max_length=254)
    handle: str = Field(max_length=64)
    password: str = Field(max_length=4096)
    date_of_birth: date


class DetailOut(ApiSchema):
    detail: str


class TokenIn(ApiSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)


class MfaTokenIn(ApiSchema):
    mfa_token: str = Field(max_length=2048)
    code: str = Field(min_length=6, max_length=32)


class RefreshIn(ApiSchema):
    refresh_token: str = Field(max_length=256)


class TokenOut(ApiSchema):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int
    session_id: str


class VerifyEmailIn(ApiSchema):
    key: str = Field(min_length=1, max_length=512)


class PasswordResetIn(ApiSchema):
    email: str = Field(max_length=254)


class PasswordResetConfirmIn(ApiSchema):
    key: str = Field(min_length=1, max_length=512)
    password: str = Field(max_length=4096)


class PasswordIn(ApiSchema):
    password: str = Field(max_length=4096)


class SessionOut(ApiSchema):
    id: str
    kind: str
    device: str
    ip: str | None
    country: str
    created_at: datetime
    last_seen_at: datetime
    is_current: bool


class RevokedOut(ApiSchema):
    revoked: int


class ApiTokenIn(ApiSchema):
    name: str = Field(min_length=1, max_length=80)
    scopes: list[str] = Field(min_length=1, max_length=3)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenOut(ApiSchema):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str


class SecurityEventOut(ApiSchema):
    id: int
    kind: str
    description: str
    ip: str | None
    created_at: datetime


class SecurityEventPageOut(ApiSchema):
    items: list[SecurityEventOut]
    next_cursor: str | None


class SecurityStatusOut(ApiSchema):
    has_mfa: bool
    email_verified: bool
    deletion_requested_at: datetime | None
    purge_after: datetime | None


class DeletionOut(ApiSchema):
    purge_after: datetime


class BanIn(ApiSchema):
    reason: str = Field(min_length=1, max_length=500)
