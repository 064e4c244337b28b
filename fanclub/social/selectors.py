"""Reads of the social app."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.social.models import Block, FanList, FanListMember, Follow, Mute


def is_following(*, user: Any, creator_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(follower_id=user.pk, creator_id=creator_id).exists()


def follower_count(*, creator_id: int) -> int:
    """The creator's follower count: the trigger-kept ``CreatorProfile.followers_count`` (one
    primary-key read, whatever the number of followers); 0 for a user without a profile."""
    from fanclub.creators.models import CreatorProfile

    count = CreatorProfile.objects.filter(pk=creator_id).values_list("followers_count", flat=True).first()
    return count or 0


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


def block_list_for_user(*, user: Any, cursor: str | None, limit: int) -> Page[Block]:
    """The users ``user`` has blocked, most recent first."""
    queryset = Block.objects.select_related("blocked").filter(blocker_id=user.pk)
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


def mute_list_for_user(*, user: Any, cursor: str | None, limit: int) -> Page[Mute]:
    """The users ``user`` has muted, most recent first."""
    queryset = Mute.objects.select_related("muted").filter(muter_id=user.pk)
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


def is_audience_member(*, creator_id: int, fan_id: int) -> bool:
    """Does ``fan_id`` follow ``creator_id`` or hold an active membership with them?"""
    from fanclub.content.policy import membership_active_q
    from fanclub.creators.models import Membership

    member = Membership.objects.filter(
        membership_active_q(timezone.now()), fan_id=fan_id, creator_id=creator_id
    )
    return Follow.objects.filter(follower_id=fan_id, creator_id=creator_id).exists() or member.exists()


def fan_list_list_for_creator(*, creator_id: int, cursor: str | None, limit: int) -> Page[FanList]:
    """The creator's lists, newest first, each with ``member_count``."""
    queryset = FanList.objects.filter(creator_id=creator_id).annotate(member_count=Count("members"))
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


def fan_list_get(*, creator_id: int, list_id: int) -> FanList:
    """One of the creator's lists (with ``member_count``); 404 for another creator's list."""
    fan_list = (
        FanList.objects.filter(pk=list_id, creator_id=creator_id)
        .annotate(member_count=Count("members"))
        .first()
    )
    if fan_list is None:
        raise NotFound("No such list.")
    return fan_list


def fan_list_member_list(
    *, creator_id: int, list_id: int, cursor: str | None, limit: int
) -> Page[FanListMember]:
    """Members of one of the creator's lists, most recently added first (404 if not theirs)."""
    fan_list_get(creator_id=creator_id, list_id=list_id)
    queryset = FanListMember.objects.select_related("fan").filter(fan_list_id=list_id)
    return paginate(queryset, ordering=("-added_at", "-id"), cursor=cursor, limit=limit)


def fan_list_member_get(*, creator_id: int, list_id: int, fan_handle: str) -> FanListMember:
    member = (
        FanListMember.objects.select_related("fan")
        .filter(
            fan_list_id=list_id, fan_list__creator_id=creator_id, fan__handle__iexact=fan_handle.lstrip("@")
        )
        .first()
    )
    if member is None:
        raise NotFound("No such fan on this list.")
    return member


def fan_list_member_ids(*, creator_id: int, list_id: int) -> list[int]:
    """User ids on one of ``creator_id``'s lists (for mass messages); NotFound if the list is not
    theirs. Fans on the other side of a block with the creator are left out."""
    fan_list_get(creator_id=creator_id, list_id=list_id)
    return list(
        FanListMember.objects.filter(fan_list_id=list_id)
        .exclude(block_between_q(user_id=creator_id, other_field="fan_id"))
        .order_by("fan_id")
        .values_list("fan_id", flat=True)
    )


def user_get_by_handle(*, handle: str) -> Any:
    """An active account by handle, any role (404 otherwise): whom a block or mute names."""
    from fanclub.accounts.models import User

    user = User.objects.filter(handle__iexact=handle.lstrip("@"), is_active=True).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def audience_list_for_creator(*, creator_id: int, cursor: str | None, limit: int) -> Page[Follow]:
    """The creator's followers, newest first (the fan list page's "add to a list" source)."""
    queryset = Follow.objects.select_related("follower").filter(
        creator_id=creator_id, follower__is_active=True
    )
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)
