"""A creator's inbox tools: the message gate, saved replies, welcome messages on subscription."""

from __future__ import annotations

from django.db import transaction

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.errors import ApiError, NotFound, PermissionDenied
from fanclub.messaging.constants import MAX_PRICE_MINOR, MAX_SAVED_REPLIES, MAX_TEXT_LENGTH, Gate, MessageKind
from fanclub.messaging.models import MessagingSettings, SavedReply
from fanclub.messaging.services.conversations import CURRENCIES, conversation_get_or_create, message_create
from fanclub.social import selectors as social_selectors


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(message, status=422, code="validation_error", details=[{"loc": [field], "msg": message}])


def _require_creator(user: User) -> None:
    if user.role != Role.CREATOR:
        raise PermissionDenied("Only creators have inbox settings.", code="creators_only")


def settings_update(
    *,
    user: User,
    gate: str,
    min_tip_minor: int | None = None,
    message_price_minor: int | None = None,
    currency: str = "USD",
) -> MessagingSettings:
    _require_creator(user)
    if gate not in Gate.values:
        raise _invalid("Unknown gate.", "gate")
    if currency not in CURRENCIES:
        raise _invalid("Unsupported currency.", "currency")
    for field, value, needed in (
        ("minTipMinor", min_tip_minor, gate == Gate.MIN_TIP),
        ("messagePriceMinor", message_price_minor, gate == Gate.PRICE),
    ):
        if needed and (value is None or not 1 <= value <= MAX_PRICE_MINOR):
            raise _invalid(f"Set an amount between 1 and {MAX_PRICE_MINOR} minor units.", field)
    with transaction.atomic():
        found, _ = MessagingSettings.objects.update_or_create(
            user=user,
            defaults={
                "gate": gate,
                "min_tip_minor": min_tip_minor if gate == Gate.MIN_TIP else None,
                "message_price_minor": message_price_minor if gate == Gate.PRICE else None,
                "currency": currency,
            },
        )
    return found


def saved_reply_create(*, owner: User, title: str, text: str) -> SavedReply:
    _require_creator(owner)
    title, text = (title or "").strip(), (text or "").strip()
    if not 1 <= len(title) <= 80:
        raise _invalid("A title has 1 to 80 characters.", "title")
    if not 1 <= len(text) <= MAX_TEXT_LENGTH:
        raise _invalid(f"A reply has 1 to {MAX_TEXT_LENGTH} characters.", "text")
    with transaction.atomic():
        # Serialize per owner so the cap holds under concurrency.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if SavedReply.objects.filter(owner_id=owner.pk).count() >= MAX_SAVED_REPLIES:
            raise ApiError(f"At most {MAX_SAVED_REPLIES} saved replies.", status=409, code="too_many_replies")
        return SavedReply.objects.create(owner=owner, title=title, text=text)


def saved_reply_delete(*, owner: User, reply_id: int) -> None:
    deleted, _ = SavedReply.objects.filter(pk=reply_id, owner_id=owner.pk).delete()
    if not deleted:
        raise NotFound("No such saved reply.")


def welcome_message_send(*, fan_id: int, tier_id: int) -> bool:
    """Send the tier's welcome message from its creator to a new subscriber (run by a job deferred
    in the subscription's transaction). Nothing when the tier has none, a block stands between
    them, or the fan already got this tier's welcome. Returns whether a message was sent."""
    from fanclub.creators.models import Tier

    tier = Tier.objects.select_related("creator").filter(pk=tier_id).first()
    fan = User.objects.filter(pk=fan_id, is_active=True).first()
    if tier is None or fan is None or not tier.welcome_message.strip() or not tier.creator.is_active:
        return False
    creator = tier.creator
    if social_selectors.is_blocked_either_way(user_id=fan.pk, other_id=creator.pk):
        return False
    conversation = conversation_get_or_create(user_a=creator.pk, user_b=fan.pk)
    from fanclub.messaging.models import Message

    with transaction.atomic():
        if Message.objects.filter(
            conversation_id=conversation.pk,
            kind=MessageKind.WELCOME,
            sender_id=creator.pk,
            text=tier.welcome_message.strip(),
        ).exists():
            return False
        message_create(
            conversation_id=conversation.pk,
            sender=creator,
            recipient=fan,
            text=tier.welcome_message.strip()[:MAX_TEXT_LENGTH],
            kind=MessageKind.WELCOME,
        )
    return True


def welcome_message_schedule(*, fan_id: int, tier_id: int) -> None:
    """Defer the welcome message in the caller's (the subscription's) transaction, when the tier
    has one."""
    from fanclub.creators.models import Tier
    from fanclub.messaging import tasks

    if Tier.objects.filter(pk=tier_id).exclude(welcome_message="").exists():
        tasks.welcome_message_send_task.defer(fan_id=fan_id, tier_id=tier_id)
