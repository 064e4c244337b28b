from __future__ import annotations

import functools
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet

from fanclub.accounts.constants import Role
from fanclub.accounts.models import ApiToken, DeviceSession, SecurityEvent, User
from fanclub.core.pagination import Page, paginate
from fanclub.core.sql import fetch_prepared

CREATOR_ORDERING = ("-date_joined", "-id")
EVENT_ORDERING = ("-created_at", "-id")


def creator_qs_public() -> QuerySet[User]:
    """Creators whose public persona may be listed to anyone."""
    return User.objects.filter(role=Role.CREATOR, is_active=True).only(
        "id", "handle", "display_name", "avatar", "date_joined"
    )


def creator_list(*, cursor: str | None, limit: int) -> Page[User]:
    return paginate(creator_qs_public(), ordering=CREATOR_ORDERING, cursor=cursor, limit=limit)


def creator_featured(*, limit: int = 8) -> list[User]:
    return list(creator_qs_public().order_by(*CREATOR_ORDERING)[:limit])


# --- Sessions and credentials ------------------------------------------------------------------


def device_session_is_live(*, session_id: UUID | str, user_id: int) -> bool:
    try:
        return DeviceSession.objects.filter(pk=session_id, user_id=user_id, revoked_at__isnull=True).exists()
    except (ValueError, TypeError):
        return False


def user_for_access_token(*, user_id: int, session_id: str) -> User | None:
    """The active user behind a live session: one query checks the session and loads the user.

    Every API request with a bearer token runs this, so its SQL is written once (not compiled by
    the ORM per request: ~0.6 ms of CPU less per request, docs/benchmarks.md "Billing tips") and
    prepared (two primary-key lookups: one plan for everyone, made once per connection)."""
    sql, attnames = _user_for_session_sql()
    rows = fetch_prepared(sql, {"user_id": user_id, "session_id": str(session_id)})
    return User.from_db(connection.alias, attnames, rows[0]) if rows else None


@functools.cache
def _user_for_session_sql() -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    fields = User._meta.concrete_fields
    columns = ", ".join(f"u.{quote(str(field.column))}" for field in fields)
    sql = (
        f"SELECT {columns} FROM accounts_user u WHERE u.id = %(user_id)s AND u.is_active AND EXISTS "  # noqa: S608 (column names)
        "(SELECT 1 FROM accounts_devicesession s "
        "WHERE s.id = %(session_id)s::uuid AND s.user_id = u.id AND s.revoked_at IS NULL)"
    )
    return sql, [field.attname for field in fields]


def device_session_qs_for_user(*, user: User) -> QuerySet[DeviceSession]:
    """Only the owner's live sessions: the one scoping every session page and endpoint uses."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True)


def device_session_list_for_user(*, user: User) -> list[DeviceSession]:
    return list(device_session_qs_for_user(user=user).order_by("-last_seen_at", "-created_at"))


def device_session_get_for_user(*, user: User, session_id: UUID | str) -> DeviceSession | None:
    try:
        return device_session_qs_for_user(user=user).filter(pk=session_id).first()
    except (ValueError, TypeError):  # not a UUID
        return None


def api_token_qs_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def api_token_list_for_user(*, user: User) -> list[ApiToken]:
    return list(api_token_qs_for_user(user=user).order_by("-created_at"))


def api_token_get_for_user(*, user: User, token_id: UUID | str) -> ApiToken | None:
    try:
        return api_token_qs_for_user(user=user).filter(pk=token_id).first()
    except (ValueError, TypeError):
        return None


def api_token_for_secret(*, token_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def security_event_list_for_user(*, user: User, cursor: str | None, limit: int) -> Page[SecurityEvent]:
    return paginate(
        SecurityEvent.objects.filter(user=user), ordering=EVENT_ORDERING, cursor=cursor, limit=limit
    )
