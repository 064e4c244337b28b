"""The API's JSON renderer: orjson, with Django Ninja's encoding of the values JSON has no type for.

Ninja's own renderer runs ``json.dumps`` with ``NinjaJSONEncoder``, whose ``default`` (a Python call)
formats every datetime: for a 20-card feed page, 40 calls and a quarter of a millisecond of CPU,
as much as validating the page. orjson encodes the same data in C and calls :func:`_default` only
for what it does not know (Decimal, lazy translations, pydantic models, URLs, IP addresses) and for
dates and times, passed through so that their text stays Django's (milliseconds, ``Z`` for UTC), the
text every client has seen so far. The bytes differ from ``json.dumps`` only in whitespace (none
after separators) and in non-ASCII text, written as UTF-8 instead of ``\\u`` escapes: the same JSON.
One value reads differently: a plain ``enum.Enum`` member is its value, where Ninja wrote
``str(member)`` (``Class.NAME``); Django's choices were and are their value.
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_ninja = NinjaJSONEncoder()


def _default(value: Any) -> Any:
    # DjangoJSONEncoder's text for dates and times, NinjaJSONEncoder's for the rest; a type neither
    # knows raises TypeError, which orjson reports as its own JSONEncodeError (a TypeError).
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        if value.microsecond:
            text = text[:23] + text[26:]
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return _ninja.default(value)


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)
