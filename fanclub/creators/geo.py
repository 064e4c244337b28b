"""The visitor's country, for creators' geo-blocking: the offline database shipped in ``iptocc``."""

from __future__ import annotations

from django.http import HttpRequest

from fanclub.media.delivery import viewer_country


def country_for_request(request: HttpRequest) -> str:
    """ISO 3166-1 alpha-2 code of the client address ('' when private or unknown). Cached per request.

    One implementation with media delivery (which may not import this app), so both agree.
    """
    return viewer_country(request)
