"""Money inside messaging, through billing's ledger: unlocking a paid message, tipping in a
conversation, and taking an unlock back when its charge is refunded or charged back."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.billing.constants import MAX_NOTE_LENGTH, ChargeKind
from fanclub.billing.services.payments import Payment, charge_create
from fanclub.core.errors import ApiError, Conflict, NotFound
from fanclub.core.realtime import user_event_send_on_commit
from fanclub.messaging import presenters, selectors
from fanclub.messaging.constants import MessageKind
from fanclub.messaging.models import Message, MessageUnlock
from fanclub.messaging.services.conversations import Blocked, message_create
from fanclub.social import selectors as social_selectors

# Billing's charge kind for a paid message (the ledger books it as an unlock with no post).
MESSAGE_CHARGE_KIND = getattr(ChargeKind, "MESSAGE", ChargeKind.UNLOCK)


def _paid_message_for(*, fan: User, message_id: Any) -> Message:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise NotFound("No such message.") from None
    message = (
        selectors._with_attachments(
            Message.objects.filter(pk=message_id, recipient_id=fan.pk, removed_at__isnull=True)
        )
        .select_related("sender")
        .first()
    )
    if message is None:
        raise NotFound("No such message.")
    return message


def message_unlock_buy(*, fan: User, message_id: Any, payment: Payment, idempotency_key: str) -> Any:
    """Buy a paid message the fan received: one charge (card or wallet) through billing's ledger
    and a ``MessageUnlock``, in one transaction; after commit both sides' sockets get the update.

    409 ``already_unlocked`` for a second purchase, 409 ``already_purchased`` when every item of
    the message was bought (or received free) before; insufficient wallet credit or a declined card
    raise billing's errors and nothing is written.
    """
    message = _paid_message_for(fan=fan, message_id=message_id)
    if message.price_minor is None:
        raise Conflict("This message is free.", code="not_paid")
    if not message.sender.is_active:  # banned or closed since it was sent: nothing more is sold
        raise Conflict("This account is no longer active.", code="seller_inactive")
    if MessageUnlock.objects.filter(fan_id=fan.pk, message_id=message.pk).exists():
        raise Conflict("You already unlocked this message.", code="already_unlocked")
    media_ids = {item.media_id for item in message.attachment_list}  # type: ignore[attr-defined]
    owned = selectors.owned_media_ids(fan_id=fan.pk, media_ids=media_ids, exclude_messages={message.pk})
    if media_ids and {str(i) for i in media_ids} <= owned:
        raise Conflict("You already own everything in this message.", code="already_purchased")
    if social_selectors.is_blocked_either_way(user_id=fan.pk, other_id=message.sender_id):
        raise Blocked("You cannot buy from this user.")
    with transaction.atomic():
        charge = charge_create(
            fan=fan,
            creator=message.sender,
            kind=MESSAGE_CHARGE_KIND,
            amount_minor=message.price_minor,
            currency=message.currency,
            payment=payment,
            idempotency_key=idempotency_key,
            note=f"Message {message.pk}",
        )
        MessageUnlock.objects.create(fan=fan, message_id=message.pk, charge=charge)
        access = {"unlocked_ids": {message.pk}, "owned_media_ids": owned}
        user_event_send_on_commit(
            user_id=fan.pk, payload=presenters.event(message, viewer_id=fan.pk, **access)
        )
        user_event_send_on_commit(
            user_id=message.sender_id,
            payload={
                "type": "message.purchased",
                "conversationId": message.conversation_id,
                "messageId": message.pk,
                "amountMinor": message.price_minor,
                "currency": message.currency,
            },
        )
    return charge


def conversation_tip_send(
    *,
    fan: User,
    conversation_id: Any,
    amount_minor: int,
    currency: str,
    payment: Payment,
    idempotency_key: str,
    note: str = "",
) -> Any:
    """Tip the creator on the other side of a conversation: the charge and a tip message in the
    thread, in one transaction."""
    participant = selectors.participant_get(user=fan, conversation_id=conversation_id)
    creator = User.objects.get(pk=participant.other_id)
    if creator.role != Role.CREATOR or not creator.is_active:
        raise Conflict("Only creators can receive tips.", code="not_a_creator")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ApiError(
            f"A note has at most {MAX_NOTE_LENGTH} characters.", status=422, code="validation_error"
        )
    if social_selectors.is_blocked_either_way(user_id=fan.pk, other_id=creator.pk):
        raise Blocked("You cannot tip this user.")
    with transaction.atomic():
        charge = charge_create(
            fan=fan,
            creator=creator,
            kind=ChargeKind.TIP,
            amount_minor=amount_minor,
            currency=currency,
            payment=payment,
            idempotency_key=idempotency_key,
            note=note,
        )
        message_create(
            conversation_id=participant.conversation_id,
            sender=fan,
            recipient=creator,
            text=note,
            kind=MessageKind.TIP,
            tip_minor=amount_minor,
            currency=currency,
            charge=charge,
        )
    return charge


def message_unlock_revoke(*, charge_id: Any) -> int:
    """Billing calls this when a charge is fully refunded or charged back: the unlocks it paid for
    are taken back (media delivery refuses the full variants from the next request). Runs in
    billing's transaction. Returns how many unlocks were removed."""
    deleted, _ = MessageUnlock.objects.filter(charge_id=charge_id).delete()
    return int(deleted)
