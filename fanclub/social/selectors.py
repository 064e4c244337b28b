"""Reads of the social app."""

from __future__ import annotations

from typing import Any

from fanclub.social.models import Follow


def is_following(*, user: Any, creator_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(follower_id=user.pk, creator_id=creator_id).exists()


def follower_count(*, creator_id: int) -> int:
    return Follow.objects.filter(creator_id=creator_id).count()
