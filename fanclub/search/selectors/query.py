"""The viewer's query (parsed and normalised), the query fragments the hand-written rankings
share, and the bounded pagination of ranked results: when full-text search finds fewer than
``FALLBACK_BELOW`` results on the first page, the ranking runs again with the trigram fallback."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from fanclub.core.errors import ApiError
from fanclub.core.pagination import InvalidCursor
from fanclub.search.constants import (
    CONFIG,
    FALLBACK_BELOW,
    MAX_QUERY_LENGTH,
    MAX_QUERY_TOKENS,
    MAX_RESULTS,
    MIN_TRIGRAM_LENGTH,
)
from fanclub.search.errors import QueryEmpty, QueryTooLong

_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ParsedQuery:
    """A viewer's query: ``text`` normalised (NFKC, lower case, single spaces, accents kept: the
    database strips them on both sides), ``tsquery`` every word as a prefix ("lena:* & ros:*")."""

    text: str
    tsquery: str
    tokens: tuple[str, ...] = ()

    @property
    def trigram_ok(self) -> bool:
        return len(self.text) >= MIN_TRIGRAM_LENGTH


def search_query_parse(*, raw: str | None) -> ParsedQuery:
    """Validate and normalise ``q`` (422 ``query_empty`` / ``query_too_long``)."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").lower().split())
    if not text:
        raise QueryEmpty("Type something to search for.", details=[{"loc": ["query", "q"], "msg": "empty"}])
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(
            f"A search is at most {MAX_QUERY_LENGTH} characters.",
            details=[{"loc": ["query", "q"], "msg": f"at most {MAX_QUERY_LENGTH} characters"}],
        )
    # Words only (letters and digits): nothing else reaches to_tsquery's syntax.
    tokens = list(dict.fromkeys(_TOKEN.findall(text)))[:MAX_QUERY_TOKENS]
    return ParsedQuery(
        text=text.lstrip("@#") or text,
        tsquery=" & ".join(f"{token}:*" for token in tokens),
        tokens=tuple(tokens),
    )


# --- Bounded pagination for ranked results ----------------------------------------------------------
# A rank is not a stable key for keyset pagination (it is a float computed per query), so ranked
# results page by offset inside an opaque cursor, up to MAX_RESULTS. The cursor also remembers
# whether the first page fell back to trigrams, so later pages rank the same way.
@dataclass(frozen=True)
class _Position:
    offset: int
    fuzzy: bool


def _cursor_encode(position: _Position) -> str:
    raw = json.dumps({"o": position.offset, "f": int(position.fuzzy)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str | None) -> _Position | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, fuzzy = data["o"], data["f"]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor("The cursor is malformed or does not belong to this list.") from exc
    if type(offset) is not int or not 0 < offset < MAX_RESULTS or fuzzy not in (0, 1):
        raise InvalidCursor("The cursor is malformed or does not belong to this list.")
    return _Position(offset=offset, fuzzy=bool(fuzzy))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 50:
        raise ApiError("limit must be between 1 and 50.", code="validation_error", status=422)


# ``fetch(fuzzy, start, stop)``: rows ``start`` to ``stop`` (excluded) of the ranking.
RankedFetch = Callable[[bool, int, int], list[Any]]


def _sliced(build: Callable[[bool], QuerySet[Any]]) -> RankedFetch:
    """A ranking given as ``build(fuzzy)``, an ordered queryset, sliced."""
    return lambda fuzzy, start, stop: list(build(fuzzy)[start:stop])


def _ranked_page(
    fetch: RankedFetch, *, query: ParsedQuery, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Fetch one page of the ranking, falling back to trigrams when the first full-text page is short."""
    _check_limit(limit)
    position = _cursor_decode(cursor) or _Position(offset=0, fuzzy=not query.tsquery)
    end = min(position.offset + limit, MAX_RESULTS)
    rows = fetch(position.fuzzy, position.offset, end + 1) if query.tsquery or position.fuzzy else []
    if position.offset == 0 and not position.fuzzy and len(rows) < FALLBACK_BELOW and query.trigram_ok:
        position = _Position(offset=0, fuzzy=True)
        rows = fetch(True, 0, end + 1)
    has_more = len(rows) > end - position.offset and end < MAX_RESULTS
    rows = rows[: end - position.offset]
    next_cursor = _cursor_encode(_Position(offset=end, fuzzy=position.fuzzy)) if has_more else None
    return rows, next_cursor


# The query in the hand-written rankings (creators and posts): always bound parameters.
_NEEDLE_SQL = "fanclub_unaccent(lower(%(needle)s))"
_TSQUERY_SQL = f"to_tsquery('{CONFIG}'::regconfig, %(tsquery)s)"
