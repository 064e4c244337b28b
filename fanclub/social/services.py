"""Writes of the social app: follows, blocks, mutes and creators' fan lists."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fanclub.core.errors import ApiError, Conflict, NotFound
from fanclub.feeds import services as feed_services
from fanclub.notifications import services as notification_services
from fanclub.notifications.constants import NEW_FOLLOWER
from fanclub.social import selectors
from fanclub.social.models import Block, FanList, FanListMember, Follow, Mute


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
            notification_services.notify(recipient_id=creator.pk, kind=NEW_FOLLOWER, actor_id=follower.pk)
    except IntegrityError:
        return False
    feed_services.feed_cache_invalidate(user_ids=[follower.pk])
    return True


def follow_delete(*, follower: Any, creator: Any) -> bool:
    """Unfollow; idempotent. True if a follow was removed."""
    deleted, _ = Follow.objects.filter(follower_id=follower.pk, creator_id=creator.pk).delete()
    feed_services.feed_cache_invalidate(user_ids=[follower.pk])
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
    feed_services.feed_cache_invalidate(user_ids=[blocker.pk, blocked.pk])
    return created


def block_delete(*, blocker: Any, blocked: Any) -> bool:
    """Unblock; idempotent. Follows are not restored."""
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked.pk).delete()
    feed_services.feed_cache_invalidate(user_ids=[blocker.pk, blocked.pk])
    return deleted > 0


def mute_create(*, muter: Any, muted: Any) -> bool:
    if muter.pk == muted.pk:
        raise ApiError("You cannot mute yourself.", code="mute_self", status=409)
    _, created = Mute.objects.get_or_create(muter_id=muter.pk, muted_id=muted.pk)
    feed_services.feed_cache_invalidate(user_ids=[muter.pk])
    return created


def mute_delete(*, muter: Any, muted: Any) -> bool:
    deleted, _ = Mute.objects.filter(muter_id=muter.pk, muted_id=muted.pk).delete()
    feed_services.feed_cache_invalidate(user_ids=[muter.pk])
    return deleted > 0


# --- Fan lists ------------------------------------------------------------------------------------
MAX_FAN_LISTS = 100
MAX_NOTE_LENGTH = 500


def _list_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise ApiError("A list name needs 1 to 80 characters.", code="validation_error", status=422)
    return name


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ApiError(
            f"A note has at most {MAX_NOTE_LENGTH} characters.", code="validation_error", status=422
        )
    return note


def fan_list_create(*, creator: Any, name: str) -> FanList:
    """A new named list; 409 if the creator already has a list of that name (any case)."""
    name = _list_name(name)
    if FanList.objects.filter(creator_id=creator.pk).count() >= MAX_FAN_LISTS:
        raise Conflict(f"You can keep at most {MAX_FAN_LISTS} lists.", code="too_many_lists")
    try:
        with transaction.atomic():
            return FanList.objects.create(creator_id=creator.pk, name=name)
    except IntegrityError as exc:
        raise Conflict("You already have a list with this name.", code="list_name_taken") from exc


def fan_list_rename(*, creator: Any, list_id: int, name: str) -> FanList:
    name = _list_name(name)
    fan_list = selectors.fan_list_get(creator_id=creator.pk, list_id=list_id)
    fan_list.name = name
    try:
        with transaction.atomic():
            fan_list.save(update_fields=["name"])
    except IntegrityError as exc:
        raise Conflict("You already have a list with this name.", code="list_name_taken") from exc
    return fan_list


def fan_list_delete(*, creator: Any, list_id: int) -> None:
    deleted, _ = FanList.objects.filter(pk=list_id, creator_id=creator.pk).delete()
    if not deleted:
        raise NotFound("No such list.")


def fan_list_member_add(*, creator: Any, list_id: int, fan_handle: str, note: str = "") -> FanListMember:
    """Add a fan (by handle) to one of the creator's lists, or update the note if already there.

    Only a fan who follows the creator or has an active membership with them can be added (404 for
    anyone else, as if unknown: a list is no way to probe accounts); a block either way refuses.
    """
    from fanclub.accounts.models import User

    note = _note(note)
    fan_list = selectors.fan_list_get(creator_id=creator.pk, list_id=list_id)
    fan = User.objects.filter(handle__iexact=fan_handle.strip().lstrip("@"), is_active=True).first()
    if (
        fan is None
        or fan.pk == creator.pk
        or not selectors.is_audience_member(creator_id=creator.pk, fan_id=fan.pk)
        or selectors.is_blocked_either_way(user_id=creator.pk, other_id=fan.pk)
    ):
        raise NotFound("No follower or subscriber with this handle.", code="not_a_fan")
    member, created = FanListMember.objects.get_or_create(
        fan_list_id=fan_list.pk, fan_id=fan.pk, defaults={"note": note}
    )
    if not created and member.note != note:
        member.note = note
        member.updated_at = timezone.now()
        member.save(update_fields=["note", "updated_at"])
    return member


def fan_list_member_update(*, creator: Any, list_id: int, fan_handle: str, note: str) -> FanListMember:
    note = _note(note)
    member = selectors.fan_list_member_get(creator_id=creator.pk, list_id=list_id, fan_handle=fan_handle)
    member.note = note
    member.updated_at = timezone.now()
    member.save(update_fields=["note", "updated_at"])
    return member


def fan_list_member_remove(*, creator: Any, list_id: int, fan_handle: str) -> None:
    member = selectors.fan_list_member_get(creator_id=creator.pk, list_id=list_id, fan_handle=fan_handle)
    member.delete()
