from __future__ import annotations

from typing import Any

from fanclub.accounts.client import ClientInfo
from fanclub.accounts.models import SecurityEvent, User


def security_event_record(
    *, user: User | None, kind: str, client: ClientInfo | None = None, details: dict[str, Any] | None = None
) -> SecurityEvent:
    """Append one security event (joins the caller's transaction, if any)."""
    return SecurityEvent.objects.create(
        user=user,
        kind=kind,
        ip=client.ip if client else None,
        user_agent=client.user_agent if client else "",
        details=details or {},
    )
