"""Writes of the feeds app: explicit invalidation of cached feed pages.

The cache validates itself on every read (audience digest, newest post), so these deletes are
about freshness, not safety: they make a follow, unfollow, block or mute show at once, also for a
removal the read-time check would catch only after re-running the page.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from fanclub.feeds.selectors import cache_key


def feed_cache_invalidate(*, user_ids: Iterable[int]) -> None:
    """Drop the cached feed pages of each user, after the current transaction commits."""
    keys = [cache_key(user_id=user_id) for user_id in user_ids]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))
