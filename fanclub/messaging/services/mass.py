"""Mass messages: one message (optionally paid) to an audience, delivered by a job in batches."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.errors import ApiError, PermissionDenied
from fanclub.media.models import MediaItem
from fanclub.messaging.constants import MASS_BATCH_SIZE, Audience, MassState, MessageKind
from fanclub.messaging.models import Conversation, MassMessage, Participant
from fanclub.messaging.services.conversations import (
    _check_media,
    _check_price,
    clean_text,
    conversation_get_or_create,
    message_create,
)
from fanclub.social import selectors as social_selectors


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(message, status=422, code="validation_error", details=[{"loc": [field], "msg": message}])


def require_creator(user: User) -> None:
    if user.role != Role.CREATOR:
        raise PermissionDenied("Only creators can send mass messages.", code="creators_only")


def audience_qs(
    *, creator: User, audience: str, tier_id: int | None = None, list_id: int | None = None
) -> QuerySet[User]:
    """The recipients' users (active, not the creator, no block either way), unordered."""
    from fanclub.content.policy import membership_active_q
    from fanclub.creators.models import Membership, Tier
    from fanclub.social.models import Follow

    now = timezone.now()
    if audience == Audience.SUBSCRIBERS:
        ids: Any = Membership.objects.filter(membership_active_q(now), creator_id=creator.pk).values("fan_id")
    elif audience == Audience.TIER:
        if tier_id is None or not Tier.objects.filter(pk=tier_id, creator_id=creator.pk).exists():
            raise _invalid("Choose one of your tiers.", "tierId")
        ids = Membership.objects.filter(
            membership_active_q(now), creator_id=creator.pk, tier_id=tier_id
        ).values("fan_id")
    elif audience == Audience.FOLLOWERS:
        ids = Follow.objects.filter(creator_id=creator.pk).values("follower_id")
    elif audience == Audience.LIST:
        member_ids = getattr(social_selectors, "fan_list_member_ids", None)
        if member_ids is None:
            raise ApiError("Fan lists are not available yet.", status=422, code="lists_unavailable")
        if list_id is None:
            raise _invalid("Choose one of your fan lists.", "listId")
        ids = list(member_ids(creator_id=creator.pk, list_id=list_id))
    else:
        raise _invalid("Unknown audience.", "audience")
    blocked = social_selectors.block_between_q(user_id=creator.pk, other_field="pk")
    return User.objects.filter(pk__in=ids, is_active=True).exclude(pk=creator.pk).exclude(blocked)


def audience_count(
    *, creator: User, audience: str, tier_id: int | None = None, list_id: int | None = None
) -> int:
    return audience_qs(creator=creator, audience=audience, tier_id=tier_id, list_id=list_id).count()


def mass_message_create(
    *,
    creator: User,
    text: str,
    audience: str,
    media_ids: list[Any] | None = None,
    price_minor: int | None = None,
    currency: str = "USD",
    tier_id: int | None = None,
    list_id: int | None = None,
) -> MassMessage:
    """Validate and queue a mass message; the first batch job is deferred in this transaction."""
    require_creator(creator)
    text = clean_text(text)
    media = _check_media(sender=creator, media_ids=media_ids or [])
    if not text and not media:
        raise _invalid("A message needs text or media.", "text")
    _check_price(sender=creator, price_minor=price_minor, currency=currency, media=media)
    audience_qs(creator=creator, audience=audience, tier_id=tier_id, list_id=list_id)  # validates
    from fanclub.messaging import tasks

    with transaction.atomic():
        mass = MassMessage.objects.create(
            creator=creator,
            text=text,
            media_ids=[str(item.pk) for item in media],
            price_minor=price_minor,
            currency=currency if price_minor is not None else "",
            audience=audience,
            tier_id=tier_id if audience == Audience.TIER else None,
            list_id=list_id if audience == Audience.LIST else None,
        )
        tasks.mass_message_send_task.defer(mass_message_id=mass.pk)
    return mass


def mass_message_send_batch(*, mass_message_id: int, batch_size: int = MASS_BATCH_SIZE) -> int:
    """Deliver the next batch (recipients by ascending id after the saved cursor). The messages,
    the cursor and the counter commit together; the next batch is deferred in the same
    transaction, so a crash repeats at most the uncommitted batch, never a committed one."""
    with transaction.atomic():
        mass = (
            MassMessage.objects.select_for_update()
            .select_related("creator")
            .filter(pk=mass_message_id)
            .first()
        )
        if mass is None or mass.state in (MassState.SENT, MassState.STOPPED):
            return 0
        creator = mass.creator
        if not creator.is_active:  # banned mid-send (a spammer, say): nothing more goes out
            stopped = {"state": MassState.STOPPED, "completed_at": timezone.now()}
            MassMessage.objects.filter(pk=mass.pk).update(**stopped)
            return 0
        recipients = list(
            audience_qs(creator=creator, audience=mass.audience, tier_id=mass.tier_id, list_id=mass.list_id)
            .filter(pk__gt=mass.next_recipient_id)
            .order_by("pk")[:batch_size]
        )
        media_by_id = {
            str(m.pk): m for m in MediaItem.objects.filter(pk__in=mass.media_ids, deleted_at__isnull=True)
        }
        media = [media_by_id[i] for i in mass.media_ids if i in media_by_id]
        for recipient in recipients:
            conversation = _conversation_for(creator.pk, recipient.pk)
            message_create(
                conversation_id=conversation.pk,
                sender=creator,
                recipient=recipient,
                text=mass.text,
                media=media,
                price_minor=mass.price_minor,
                currency=mass.currency,
                kind=MessageKind.MASS,
                mass_message_id=mass.pk,
                notify=False,
            )
        done = len(recipients) < batch_size
        MassMessage.objects.filter(pk=mass.pk).update(
            next_recipient_id=recipients[-1].pk if recipients else mass.next_recipient_id,
            sent_count=F("sent_count") + len(recipients),
            state=MassState.SENT if done else MassState.SENDING,
            completed_at=timezone.now() if done else None,
        )
        if not done:
            from fanclub.messaging import tasks

            tasks.mass_message_send_task.defer(mass_message_id=mass.pk)
    return len(recipients)


def _conversation_for(creator_id: int, fan_id: int) -> Conversation:
    low, high = sorted((creator_id, fan_id))
    found = Conversation.objects.filter(user_low_id=low, user_high_id=high).first()
    if found is not None:
        return found
    conversation = Conversation.objects.create(user_low_id=low, user_high_id=high)
    Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, user_id=low, other_id=high),
            Participant(conversation=conversation, user_id=high, other_id=low),
        ]
    )
    return conversation


__all__ = [
    "audience_count",
    "audience_qs",
    "conversation_get_or_create",
    "mass_message_create",
    "mass_message_send_batch",
]
