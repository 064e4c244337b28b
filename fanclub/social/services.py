"""Writes of the social app: follows, blocks and mutes."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from fanclub.core.errors import ApiError
from fanclub.social import selectors
from fanclub.social.models import Block, Follow, Mute


def follow_create(*, follower: Any, creator: Any) -> bool:
    """Follow ``creator``; idempotent (the unique constraint decides). True if newly followed.

    Refused (404, as if the creator did not exist) when either side blocks the other."""
    if follower.pk == creator.pk:
        raise ApiError("You cannot follow yourself.", code="follow_self", status=409)
    if selectors.is_blocked_either_way(user_id=follower.pk, other_id=creator.pk):
        raise ApiError("No such creator.", code="not_found", status=404)
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


@transaction.atomic
def block_create(*, blocker: Any, blocked: Any) -> bool:
    """Block ``blocked``; idempotent. True if newly blocked.

    Follows are removed both ways in the same transaction (a block must not leave a follow that
    feeds would show). Paid memberships are billing's business and are left alone: access checks
    hide the content anyway, and money is never moved by a block.
    """
    if blocker.pk == blocked.pk:
        raise ApiError("You cannot block yourself.", code="block_self", status=409)
    _, created = Block.objects.get_or_create(blocker_id=blocker.pk, blocked_id=blocked.pk)
    Follow.objects.filter(
        Q(follower_id=blocker.pk, creator_id=blocked.pk) | Q(follower_id=blocked.pk, creator_id=blocker.pk)
    ).delete()
    return created


def block_delete(*, blocker: Any, blocked: Any) -> bool:
    """Unblock; idempotent. Follows are not restored."""
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked.pk).delete()
    return deleted > 0


def mute_create(*, muter: Any, muted: Any) -> bool:
    if muter.pk == muted.pk:
        raise ApiError("You cannot mute yourself.", code="mute_self", status=409)
    _, created = Mute.objects.get_or_create(muter_id=muter.pk, muted_id=muted.pk)
    return created


def mute_delete(*, muter: Any, muted: Any) -> bool:
    deleted, _ = Mute.objects.filter(muter_id=muter.pk, muted_id=muted.pk).delete()
    return deleted > 0
