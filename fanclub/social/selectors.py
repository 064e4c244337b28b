"""Reads of the social app."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from fanclub.social.models import Block, Follow, Mute


def is_following(*, user: Any, creator_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(follower_id=user.pk, creator_id=creator_id).exists()


def follower_count(*, creator_id: int) -> int:
    return Follow.objects.filter(creator_id=creator_id).count()


def is_blocked_either_way(*, user_id: int | None, other_id: int | None) -> bool:
    """Does either of the two users block the other? False for anonymous viewers."""
    if not user_id or not other_id or user_id == other_id:
        return False
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def block_between_q(*, user_id: int, other_field: str) -> Q:
    """A Q for a queryset whose ``other_field`` (e.g. ``"creator_id"``) is a user id: true where
    that user and ``user_id`` block each other in either direction. Use it with ``exclude()``."""
    blocked_by_me = Block.objects.filter(blocker_id=user_id, blocked_id=OuterRef(other_field))
    blocks_me = Block.objects.filter(blocked_id=user_id, blocker_id=OuterRef(other_field))
    return Q(Exists(blocked_by_me)) | Q(Exists(blocks_me))


def blocked_user_ids(*, user_id: int) -> set[int]:
    """Every user id on the other side of a block with ``user_id`` (either direction)."""
    made = Block.objects.filter(blocker_id=user_id).values_list("blocked_id", flat=True)
    received = Block.objects.filter(blocked_id=user_id).values_list("blocker_id", flat=True)
    return set(made) | set(received)


def muted_user_ids(*, user_id: int) -> set[int]:
    return set(Mute.objects.filter(muter_id=user_id).values_list("muted_id", flat=True))


def is_muted(*, muter_id: int, muted_id: int) -> bool:
    return Mute.objects.filter(muter_id=muter_id, muted_id=muted_id).exists()
