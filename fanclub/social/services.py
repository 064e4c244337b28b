"""Writes of the social app (follows only for now; blocks and feeds come later)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from fanclub.core.errors import ApiError
from fanclub.social.models import Follow


def follow_create(*, follower: Any, creator: Any) -> bool:
    """Follow ``creator``; idempotent (the unique constraint decides). True if newly followed."""
    if follower.pk == creator.pk:
        raise ApiError("You cannot follow yourself.", code="follow_self", status=409)
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, creator=creator)
    except IntegrityError:
        return False
    return True


def follow_delete(*, follower: Any, creator: Any) -> bool:
    """Unfollow; idempotent. True if a follow was removed."""
    deleted, _ = Follow.objects.filter(follower_id=follower.pk, creator_id=creator.pk).delete()
    return deleted > 0
