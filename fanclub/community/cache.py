"""Cached trending and ranking lists: post ids and scores only, never what a viewer may see.

Keys carry a generation number that every new snapshot (or trending refresh) bumps after its
transaction commits, so a stale list is never read once the job has written a new one; the TTL
(``RANKING_CACHE_SECONDS``) bounds how long an entry lives otherwise. The access policy is applied
to the ids per viewer after reading (selectors), so the cache cannot leak a locked or blocked item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")
GENERATION_KEY = "community:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def generation_bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value invalidates the old keys
        cache.set(GENERATION_KEY, generation() + 1, timeout=None)


def cached(key: str, build: Callable[[], T]) -> T:
    """``build()``'s result under ``key`` for the current generation."""
    full_key = f"community:{generation()}:{key}"
    value: Any = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=settings.RANKING_CACHE_SECONDS)
    return value  # type: ignore[no-any-return]
