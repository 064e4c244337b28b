"""Request ids: accepted from the client when well-formed, generated otherwise."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


def accept_or_generate(candidate: str | None) -> str:
    if candidate and _VALID.match(candidate):
        return candidate
    return uuid.uuid4().hex
