from __future__ import annotations

from fanclub.core.errors import ApiError


class GeoBlocked(ApiError):
    """The creator does not make their profile available in the viewer's country."""

    status = 451
    code = "geo_blocked"


class NotACreator(ApiError):
    status = 403
    code = "not_a_creator"
