"""Direct messages: start a conversation, send (text, vault media, a price), read receipts,
reports. Every send is written to PostgreSQL first and pushed to sockets after commit."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core import ratelimit
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.media import services as media_services
from fanclub.media.models import MediaItem
from fanclub.messaging import selectors
from fanclub.messaging.constants import (
    MAX_MEDIA_PER_MESSAGE,
    MAX_PRICE_MINOR,
    MAX_REPORT_REASON,
    MAX_TEXT_LENGTH,
    TARGET_TYPE,
    Gate,
    MessageKind,
)
from fanclub.messaging.models import (
    Conversation,
    Message,
    MessageMedia,
    MessageReport,
    MessagingSettings,
    Participant,
    SendKey,
)
from fanclub.messaging.services.delivery import events_send_on_commit, message_push_on_commit
from fanclub.social import selectors as social_selectors

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN")
PREVIEW_LENGTH = 140


class Blocked(ApiError):
    status = 403
    code = "blocked"


class GateNotMet(ApiError):
    status = 403
    code = "gate_not_met"


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"


def _invalid(message: str, field: str, code: str = "validation_error") -> ApiError:
    return ApiError(message, status=422, code=code, details=[{"loc": [field], "msg": message}])


def _is_creator(user: Any) -> bool:
    return bool(user.role == Role.CREATOR)


def _is_staff_role(user: Any) -> bool:
    return bool(user.role in (Role.MODERATOR, Role.ADMIN))


# --- Checks ---------------------------------------------------------------------------------------------
def clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise _invalid(
            f"A message has at most {MAX_TEXT_LENGTH} characters.", "text", code="message_too_long"
        )
    return text


def rate_limit_check(*, sender: User, now: float | None = None) -> None:
    """Per-sender sliding window (Redis when configured); stricter for accounts younger than
    MESSAGING_NEW_ACCOUNT_DAYS. Counts the send only when it is allowed. Off with the site's
    RATE_LIMIT_ENABLED switch."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    young = sender.date_joined > timezone.now() - timedelta(days=settings.MESSAGING_NEW_ACCOUNT_DAYS)
    limit = settings.MESSAGING_NEW_ACCOUNT_PER_MINUTE if young else settings.MESSAGING_PER_MINUTE
    decision = ratelimit.decide(
        ratelimit.get_backend(),
        f"messaging:send:{sender.pk}",
        ratelimit.Rule(limit=limit, window_seconds=60),
        now,
    )
    if not decision.allowed:
        error = RateLimited(
            "You are sending messages too fast; wait a moment.",
            details={"retryAfterSeconds": decision.retry_after_seconds, "limitPerMinute": limit},
        )
        error.headers = {"Retry-After": str(decision.retry_after_seconds)}  # type: ignore[attr-defined]
        raise error


def _check_media(*, sender: User, media_ids: list[Any]) -> list[MediaItem]:
    ids = [str(media_id) for media_id in media_ids]
    if len(ids) > MAX_MEDIA_PER_MESSAGE:
        raise _invalid(f"At most {MAX_MEDIA_PER_MESSAGE} media items per message.", "mediaIds")
    if len(set(ids)) != len(ids):
        raise _invalid("A media item can appear only once in a message.", "mediaIds")
    try:
        items = {str(m.pk): m for m in MediaItem.objects.filter(pk__in=ids, deleted_at__isnull=True)}
    except Exception as exc:  # a malformed uuid
        raise _invalid("Choose among your own vault items.", "mediaIds") from exc
    if len(items) != len(ids) or any(m.owner_id != sender.pk for m in items.values()):
        raise _invalid("Choose among your own vault items.", "mediaIds")
    return [items[media_id] for media_id in ids]


def _check_price(*, sender: User, price_minor: int | None, currency: str, media: list[MediaItem]) -> None:
    if price_minor is None:
        return
    if not _is_creator(sender):
        raise PermissionDenied("Only creators can send paid messages.", code="creators_only")
    if not media:
        raise _invalid("A paid message needs at least one media item.", "mediaIds")
    if not settings.BILLING_MIN_CHARGE_MINOR <= price_minor <= MAX_PRICE_MINOR:
        raise _invalid(
            f"The price must be between {settings.BILLING_MIN_CHARGE_MINOR} and {MAX_PRICE_MINOR} "
            "minor units.",
            "priceMinor",
        )
    if currency not in CURRENCIES:
        raise _invalid("Unsupported currency.", "currency")


def gate_requirement(
    *, fan: User, creator: User, gate: MessagingSettings | None = None
) -> dict[str, Any] | None:
    """What ``fan`` still needs before writing to ``creator`` (None: nothing). Creators, staff and
    the creator's own replies are never gated. ``gate``: the creator's settings when already
    loaded (read otherwise)."""
    if not _is_creator(creator) or _is_creator(fan) or _is_staff_role(fan):
        return None
    if gate is None:
        gate = selectors.settings_for(user_id=creator.pk)
    if gate.gate == Gate.OPEN:
        return None
    if gate.gate == Gate.SUBSCRIBERS:
        from fanclub.content.policy import membership_active_q
        from fanclub.creators.models import Membership

        active = Membership.objects.filter(
            membership_active_q(timezone.now()), fan_id=fan.pk, creator_id=creator.pk
        )
        if active.exists():
            return None
        return {"gate": Gate.SUBSCRIBERS, "message": "Only subscribers can message this creator."}
    if gate.gate == Gate.MIN_TIP:
        from fanclub.billing.constants import ChargeKind, ChargeStatus
        from fanclub.billing.models import Charge

        tipped = Charge.objects.filter(
            fan_id=fan.pk,
            creator_id=creator.pk,
            kind=ChargeKind.TIP,
            currency=gate.currency,
            amount_minor__gte=gate.min_tip_minor or 0,
            status=ChargeStatus.SUCCEEDED,
        ).exists()
        if tipped:
            return None
        return {
            "gate": Gate.MIN_TIP,
            "message": "Send a tip first to message this creator.",
            "amountMinor": gate.min_tip_minor,
            "currency": gate.currency,
        }
    return {
        "gate": Gate.PRICE,
        "message": "Each message to this creator has a price.",
        "amountMinor": gate.message_price_minor,
        "currency": gate.currency,
    }


# --- Conversations ----------------------------------------------------------------------------------------
def _recipient_by_handle(handle: str) -> User:
    user = User.objects.filter(handle__iexact=handle, is_active=True).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def conversation_open(*, user: User, handle: str) -> Participant:
    """The user's conversation with ``handle``, created (both sides) when new. Refused when a block
    stands between them; nothing is written for a refused request. Safe under concurrency: the
    pair is unique, a racing second insert reads the first."""
    other = _recipient_by_handle(handle)
    if other.pk == user.pk:
        raise Conflict("You cannot message yourself.", code="self_message")
    if social_selectors.is_blocked_either_way(user_id=user.pk, other_id=other.pk):
        raise Blocked("You cannot message this user.")
    existing = selectors.participant_for_pair(user_id=user.pk, other_id=other.pk)
    if existing is not None:
        return existing
    conversation_get_or_create(user_a=user.pk, user_b=other.pk)
    participant = selectors.participant_for_pair(user_id=user.pk, other_id=other.pk)
    assert participant is not None
    return participant


def conversation_get_or_create(*, user_a: int, user_b: int) -> Conversation:
    low, high = sorted((user_a, user_b))
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(user_low_id=low, user_high_id=high)
            Participant.objects.bulk_create(
                [
                    Participant(conversation=conversation, user_id=low, other_id=high),
                    Participant(conversation=conversation, user_id=high, other_id=low),
                ]
            )
            return conversation
    except IntegrityError:
        return Conversation.objects.get(user_low_id=low, user_high_id=high)


# --- Sending ---------------------------------------------------------------------------------------------
def message_send(
    *,
    sender: User,
    conversation_id: Any,
    text: str | None = "",
    media_ids: list[Any] | None = None,
    price_minor: int | None = None,
    currency: str = "USD",
    client_id: str = "",
    payment: Any = None,
    idempotency_key: str = "",
) -> Message:
    """Send a message into one of the sender's conversations.

    Checks, before anything is written: the conversation is the sender's (404 otherwise), no block
    either way, the text (1..MAX_TEXT_LENGTH, or media), the media (the sender's own vault items),
    the price (creators, with media), the recipient's gate (fans writing to creators; a priced gate
    is paid here through billing with ``payment`` + ``idempotency_key``) and the sender's rate
    limit. ``client_id`` makes a retried send return the first message instead of a second one.
    """
    client_id = (client_id or "").strip()[:64]
    # One query for every lookup of the checks: the conversation (404 when not the sender's), the
    # recipient and their gate, a block either way, and an earlier send with this clientId.
    target = selectors.send_target(user=sender, conversation_id=conversation_id, client_id=client_id)
    if target.replayed_message_id is not None:
        replay = Message.objects.filter(pk=target.replayed_message_id).first()
        if replay is not None:
            return replay
    text = clean_text(text)
    media = _check_media(sender=sender, media_ids=media_ids or [])
    if not text and not media:
        raise _invalid("A message needs text or media.", "text", code="empty_message")
    _check_price(sender=sender, price_minor=price_minor, currency=currency, media=media)
    recipient = target.recipient
    if not recipient.is_active:
        raise NotFound("No such conversation.")
    if target.is_blocked:
        raise Blocked("You cannot message this user.")
    requirement = gate_requirement(fan=sender, creator=recipient, gate=target.gate)
    if requirement is not None and requirement["gate"] != Gate.PRICE:
        raise GateNotMet(requirement["message"], details=requirement)
    if requirement is not None and payment is None:
        raise ApiError(requirement["message"], status=402, code="payment_required", details=requirement)
    rate_limit_check(sender=sender)
    # A text message is one statement (message_create's), atomic and committed on its own: no
    # BEGIN/COMMIT round trips. A charge or attachments are more writes: one transaction for all.
    several_writes = requirement is not None or bool(media)
    try:
        with transaction.atomic() if several_writes else nullcontext():
            charge = None
            if requirement is not None:
                charge = _charge_message_price(
                    fan=sender,
                    creator=recipient,
                    requirement=requirement,
                    payment=payment,
                    key=idempotency_key,
                )
            message = message_create(
                conversation_id=target.conversation_id,
                sender=sender,
                recipient=recipient,
                text=text,
                media=media,
                price_minor=price_minor,
                currency=currency if price_minor is not None else "",
                charge=charge,
                client_id=client_id,
            )
    except ClientIdTaken:
        # The same clientId committed concurrently (the charge, if any, was rolled back).
        replay = _replayed(sender=sender, client_id=client_id)
        if replay is None:
            raise Conflict("This clientId was already used.", code="client_id_used") from None
        return replay
    return message


def _replayed(*, sender: User, client_id: str) -> Message | None:
    key = SendKey.objects.filter(sender_id=sender.pk, client_id=client_id).first()
    if key is None:
        return None
    return Message.objects.filter(pk=key.message_id).first()


def _charge_message_price(
    *, fan: User, creator: User, requirement: dict[str, Any], payment: Any, key: str
) -> Any:
    from fanclub.billing.constants import ChargeKind
    from fanclub.billing.services.payments import charge_create

    return charge_create(
        fan=fan,
        creator=creator,
        kind=ChargeKind.TIP,
        amount_minor=int(requirement["amountMinor"]),
        currency=str(requirement["currency"]),
        payment=payment,
        idempotency_key=key,
        note="Paid message",
    )


class ClientIdTaken(Exception):
    """``message_create`` was given a ``client_id`` another send of the sender already holds:
    nothing was written by this call."""


# The write of one message in one statement (data-modifying CTEs): the message row, both sides'
# participant rows (the recipient's unread count, the sender's read marker, both inbox orders and
# previews), the conversation's last message, and the recipient's unread total as this statement
# leaves it (for the badge). The id comes first: from the clientId's SendKey row, inserted with
# ON CONFLICT DO NOTHING, so that a taken key writes nothing at all (no exception, no savepoint),
# or straight from the table's identity sequence. Both sides are updated by one statement (two
# UPDATEs, one side after the other, took the two row locks in opposite orders for opposite sends).
_NEW_ID = "SELECT nextval(pg_get_serial_sequence('messaging_message', 'id')) AS id"
_NEW_ID_WITH_KEY = """
    INSERT INTO messaging_sendkey (sender_id, client_id, message_id, created_at)
    VALUES (%(sender)s, %(client_id)s, nextval(pg_get_serial_sequence('messaging_message', 'id')), %(now)s)
    ON CONFLICT (sender_id, client_id) DO NOTHING
    RETURNING message_id AS id"""
_MESSAGE_WRITE = """
WITH new_id AS ({new_id}),
new_message AS (
    INSERT INTO messaging_message (id, conversation_id, sender_id, recipient_id, kind, text,
                                   price_minor, currency, tip_minor, charge_id, mass_message_id,
                                   created_at)
    SELECT id, %(conversation)s, %(sender)s, %(recipient)s, %(kind)s, %(text)s, %(price)s,
           %(currency)s, %(tip)s, %(charge)s, %(mass)s, %(now)s
      FROM new_id
    RETURNING id
),
sides AS (
    UPDATE messaging_participant AS p
       SET unread_count = p.unread_count + (p.user_id = %(recipient)s)::integer,
           last_read_message_id = CASE WHEN p.user_id = %(sender)s THEN m.id
                                       ELSE p.last_read_message_id END,
           last_message_at = %(now)s,
           last_message_preview = %(preview)s
      FROM new_message AS m
     WHERE p.conversation_id = %(conversation)s
    RETURNING p.user_id, p.unread_count
),
conversation AS (
    UPDATE messaging_conversation AS c
       SET last_message_id = m.id, last_message_at = %(now)s
      FROM new_message AS m
     WHERE c.id = %(conversation)s
)
SELECT m.id,
       coalesce((SELECT unread_count FROM sides WHERE user_id = %(recipient)s), 0)
       + (SELECT coalesce(sum(unread_count), 0) FROM messaging_participant
           WHERE user_id = %(recipient)s AND unread_count > 0 AND conversation_id <> %(conversation)s)
  FROM new_message AS m
"""
MESSAGE_WRITE_SQL = _MESSAGE_WRITE.format(new_id=_NEW_ID)
MESSAGE_WRITE_WITH_KEY_SQL = _MESSAGE_WRITE.format(new_id=_NEW_ID_WITH_KEY)


def message_create(
    *,
    conversation_id: int,
    sender: User,
    recipient: User,
    text: str,
    media: list[MediaItem] | None = None,
    price_minor: int | None = None,
    currency: str = "",
    kind: str = MessageKind.TEXT,
    tip_minor: int | None = None,
    charge: Any = None,
    mass_message_id: int | None = None,
    notify: bool = True,
    client_id: str = "",
) -> Message:
    """Write one message and its side effects, in the caller's transaction: the message and both
    participants (unread count, inbox order, preview) and the conversation's last message in one
    statement, then attachments and vault usage; the socket pushes and the notification after
    commit. A text message alone needs no transaction around it; with ``media`` the caller must
    hold one. ``client_id``: recorded as the sender's SendKey; ``ClientIdTaken`` when it is taken
    (nothing written)."""
    media = media or []
    now = timezone.now()
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        recipient=recipient,
        kind=kind,
        text=text,
        price_minor=price_minor,
        currency=currency,
        tip_minor=tip_minor,
        charge=charge,
        mass_message_id=mass_message_id,
        created_at=now,
    )
    preview = _preview(message, media)
    params = {
        "conversation": conversation_id,
        "sender": sender.pk,
        "recipient": recipient.pk,
        "kind": kind,
        "text": text,
        "price": price_minor,
        "currency": currency,
        "tip": tip_minor,
        "charge": charge.pk if charge is not None else None,
        "mass": mass_message_id,
        "now": now,
        "preview": preview,
        "client_id": client_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(MESSAGE_WRITE_WITH_KEY_SQL if client_id else MESSAGE_WRITE_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise ClientIdTaken(client_id)
    message.pk, unread_total = int(row[0]), int(row[1])
    message._state.adding = False
    message._state.db = connection.alias
    if media:
        MessageMedia.objects.bulk_create(
            [MessageMedia(message=message, media=item, position=index) for index, item in enumerate(media)]
        )
        for item in media:
            media_services.media_usage_attach(
                user=sender,
                media_id=item.pk,
                target_type=TARGET_TYPE,
                target_id=str(message.pk),
                label=preview,
            )
    message.attachment_list = [  # type: ignore[attr-defined]
        MessageMedia(message=message, media=item, position=i) for i, item in enumerate(media)
    ]
    access = None
    if price_minor is not None and media:
        owned = selectors.owned_media_ids(
            fan_id=recipient.pk, media_ids={m.pk for m in media}, exclude_messages=set()
        )
        access = {"unlocked_ids": set(), "owned_media_ids": owned}
    message_push_on_commit(message=message, access=access, unread_total=unread_total)
    if notify:
        _notify(message=message, preview=preview)
    return message


def _preview(message: Message, media: list[MediaItem]) -> str:
    if message.kind == MessageKind.TIP:
        return "Sent a tip"
    if message.price_minor is not None:
        return "Paid message"
    if message.text:
        return message.text[:PREVIEW_LENGTH]
    return f"{len(media)} media item{'s' if len(media) != 1 else ''}"


def _notify(*, message: Message, preview: str) -> None:
    """The in-app notification, written after the message commits and after its socket push
    (on-commit callbacks run in order): the delivery does not wait for it, and a failure there
    cannot undo a sent message."""
    if not apps.is_installed("fanclub.notifications"):
        return
    from fanclub.notifications import services as notification_services

    data = {"conversationId": message.conversation_id, "messageId": message.pk, "excerpt": preview[:80]}
    transaction.on_commit(
        lambda: notification_services.notify(
            recipient_id=message.recipient_id, kind="message", actor_id=message.sender_id, data=data
        )
    )


# --- Read receipts ---------------------------------------------------------------------------------------
def conversation_mark_read(
    *, user: User, conversation_id: Any, last_message_id: int | None = None
) -> Participant:
    """Move the user's read marker forward (never back) to ``last_message_id`` (default: the latest),
    recount unread, and tell the other side (read receipt) and the user's other tabs (badge)."""
    participant = selectors.participant_get(user=user, conversation_id=conversation_id)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        latest = (
            Message.objects.filter(conversation_id=participant.conversation_id)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
            or 0
        )
        target = latest if last_message_id is None else min(int(last_message_id), latest)
        if target > participant.last_read_message_id:
            participant.last_read_message_id = target
        participant.unread_count = Message.objects.filter(
            conversation_id=participant.conversation_id,
            recipient_id=user.pk,
            pk__gt=participant.last_read_message_id,
        ).count()
        participant.save(update_fields=["last_read_message_id", "unread_count"])
        receipt = {
            "type": "message.read",
            "conversationId": participant.conversation_id,
            "userId": user.pk,
            "lastReadMessageId": participant.last_read_message_id,
        }
        unread = {"type": "messages.unread", "count": selectors.unread_total(user_id=user.pk)}
        events_send_on_commit(events=[(participant.other_id, receipt), (user.pk, receipt), (user.pk, unread)])
    return participant


# --- Reports ---------------------------------------------------------------------------------------------
def message_report(*, reporter: User, message_id: Any, reason: str) -> MessageReport:
    """Report a message one received (stored for moderation); reporting twice is a 409."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REPORT_REASON:
        raise _invalid(f"Give a reason of 1 to {MAX_REPORT_REASON} characters.", "reason")
    message = _message_for(user=reporter, message_id=message_id)
    if message.sender_id == reporter.pk:
        raise Conflict("You cannot report your own message.", code="own_message")
    try:
        with transaction.atomic():
            return MessageReport.objects.create(reporter=reporter, message_id=message.pk, reason=reason)
    except IntegrityError:
        raise Conflict("You already reported this message.", code="already_reported") from None


def _message_for(*, user: User, message_id: Any) -> Message:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise NotFound("No such message.") from None
    message = Message.objects.filter(pk=message_id).first()
    if message is None or user.pk not in (message.sender_id, message.recipient_id):
        raise NotFound("No such message.")
    return message
