"""The visitor's country, for creators' geo-blocking: the offline database shipped in ``iptocc``."""

from __future__ import annotations

from django.http import HttpRequest

from fanclub.accounts.client import country_for_ip
from fanclub.core.middleware import client_ip


def country_for_request(request: HttpRequest) -> str:
    """ISO 3166-1 alpha-2 code of the client address ('' when private or unknown). Cached per request."""
    cached = getattr(request, "_fanclub_country", None)
    if cached is None:
        cached = country_for_ip(client_ip(request)).upper()
        request._fanclub_country = cached  # type: ignore[attr-defined]
    return str(cached)
