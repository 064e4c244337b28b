from __future__ import annotations

from fanclub.core.errors import ApiError


class QueryEmpty(ApiError):
    status = 422
    code = "query_empty"


class QueryTooLong(ApiError):
    status = 422
    code = "query_too_long"
