"""Keyset (cursor) pagination for every list endpoint.

The cursor is an opaque, URL-safe token holding the ordering values of the last item returned, so
pages stay stable while rows are inserted and every page is one index range scan (no OFFSET).
Orderings must end with a unique column (``id``) to be total.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from fanclub.core.errors import ApiError

M = TypeVar("M", bound=Model)
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursor(ApiError):
    status = 400
    code = "invalid_cursor"


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_INVALID = "The cursor is malformed or does not belong to this list."


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong size")
        decoded = [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in values]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor(_INVALID) from exc
    # A cursor is client input: only the scalar types _encode writes (datetimes always aware).
    for value in decoded:
        if not isinstance(value, str | int | float | datetime) or (
            isinstance(value, datetime) and value.tzinfo is None
        ):
            raise InvalidCursor(_INVALID)
    return decoded


def paginate(
    queryset: QuerySet[M], *, ordering: tuple[str, ...], cursor: str | None, limit: int = DEFAULT_LIMIT
) -> Page[M]:
    """One page of ``queryset`` after ``cursor``, ordered by ``ordering`` (e.g. ("-created_at", "-id"))."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(f"limit must be between 1 and {MAX_LIMIT}.", code="validation_error", status=422)
    fields = [name.lstrip("-") for name in ordering]
    queryset = queryset.order_by(*ordering)
    if cursor:
        values = _decode(cursor, len(fields))
        try:
            queryset = queryset.filter(_after(ordering, values))
        except (ValueError, TypeError, ValidationError) as exc:
            # Well-formed but forged: a value the column cannot hold ("abc" for an id, "tomorrow"...).
            raise InvalidCursor(_INVALID) from exc
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = _encode([getattr(last, field) for field in fields])
    return Page(items=rows, next_cursor=next_cursor)


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering``: (a > x) or (a = x and b > y) or ..."""
    condition = Q()
    for position, name in enumerate(ordering):
        field = name.lstrip("-")
        lookup = "lt" if name.startswith("-") else "gt"
        equal_prefix = Q(**{f.lstrip("-"): v for f, v in zip(ordering[:position], values, strict=False)})
        condition |= equal_prefix & Q(**{f"{field}__{lookup}": values[position]})
    return condition
