"""Request ids: accepted from the client when well-formed, generated otherwise."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


def accept_or_generate(candidate: str | None) -> str:
    # fullmatch: a trailing newline must not pass (``$`` would allow one), the id goes into a header.
    if candidate and _VALID.fullmatch(candidate):
        return candidate
    return os.urandom(16).hex()  # 32 hex digits, as uuid4().hex, without building a UUID
