"""Device sessions: one per browser sign-in or API token family; revocation takes effect at once."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fanclub.accounts.client import ClientInfo
from fanclub.accounts.constants import SecurityEventKind, SessionKind
from fanclub.accounts.models import DeviceSession, User
from fanclub.accounts.services.events import security_event_record
from fanclub.core import realtime

LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def device_session_start(
    *, user: User, kind: str, client: ClientInfo, session_key: str | None = None
) -> DeviceSession:
    return DeviceSession.objects.create(
        user=user,
        kind=kind,
        session_key_hash=hash_secret(session_key) if session_key else "",
        user_agent=client.user_agent,
        device=client.device,
        ip=client.ip,
        country=client.country,
    )


def device_session_touch(*, session_id: UUID | str, client: ClientInfo | None = None) -> bool:
    """Move last-seen forward, at most once a minute (one conditional UPDATE, no read)."""
    now = timezone.now()
    fields: dict[str, object] = {"last_seen_at": now}
    if client is not None and client.ip:
        fields["ip"] = client.ip
        fields["country"] = client.country
    updated = DeviceSession.objects.filter(
        pk=session_id, revoked_at__isnull=True, last_seen_at__lt=now - LAST_SEEN_RESOLUTION
    ).update(**fields)
    return bool(updated)


@transaction.atomic
def device_session_revoke(
    *, session: DeviceSession, reason: str, actor_client: ClientInfo | None = None, record: bool = True
) -> bool:
    """Revoke one session (and with it its refresh-token family). Returns False if already revoked."""
    updated = DeviceSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )
    if updated:
        realtime.user_sockets_close_on_commit(user_id=session.user_id, credentials=[str(session.pk)])
    if updated and record:
        security_event_record(
            user=session.user,
            kind=SecurityEventKind.SESSION_REVOKED,
            client=actor_client,
            details={"session": str(session.pk), "device": session.device, "reason": reason},
        )
    return bool(updated)


@transaction.atomic
def device_session_revoke_all(
    *,
    user: User,
    reason: str,
    keep_session_id: UUID | str | None = None,
    client: ClientInfo | None = None,
    record: bool = True,
) -> int:
    """Revoke every live session of ``user`` except ``keep_session_id``; returns how many."""
    queryset = DeviceSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep_session_id is not None:
        queryset = queryset.exclude(pk=keep_session_id)
    count = queryset.update(revoked_at=timezone.now(), revoke_reason=reason)
    if count:
        keep = str(keep_session_id) if keep_session_id is not None else None
        realtime.user_sockets_close_on_commit(user_id=user.pk, credentials=None, keep=keep)
    if count and record:
        security_event_record(
            user=user,
            kind=SecurityEventKind.SESSIONS_REVOKED,
            client=client,
            details={"count": count, "reason": reason},
        )
    return count


__all__ = [
    "SessionKind",
    "device_session_revoke",
    "device_session_revoke_all",
    "device_session_start",
    "device_session_touch",
    "hash_secret",
]
