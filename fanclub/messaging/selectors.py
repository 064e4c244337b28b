"""Reads of messaging: inbox, history, resume, unread counts, access to paid media, stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from fanclub.accounts.models import User
from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.messaging.constants import RESUME_LIMIT, RESUME_LOOKBACK_SECONDS, Gate, ReportStatus
from fanclub.messaging.models import (
    MassMessage,
    Message,
    MessageMedia,
    MessageReport,
    MessageUnlock,
    MessagingSettings,
    Participant,
    SavedReply,
)


def participant_qs_for_user(*, user_id: int) -> QuerySet[Participant]:
    return Participant.objects.filter(user_id=user_id).select_related("other", "other__creator_profile")


def conversation_list_for_user(*, user: Any, cursor: str | None = None, limit: int = 20) -> Page[Participant]:
    """The inbox, most recent first: one query for the page (other user and persona joined)."""
    queryset = participant_qs_for_user(user_id=user.pk).filter(conversation__last_message_id__isnull=False)
    return paginate(queryset, ordering=("-last_message_at", "-id"), cursor=cursor, limit=limit)


def participant_get(*, user: Any, conversation_id: Any) -> Participant:
    """The user's side of a conversation; 404 for a conversation they are not in (or a bad id)."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound("No such conversation.") from None
    participant = participant_qs_for_user(user_id=user.pk).filter(conversation_id=conversation_id).first()
    if participant is None:
        raise NotFound("No such conversation.")
    return participant


@dataclass(frozen=True)
class SendTarget:
    """What a send checks about one of the sender's conversations (``send_target``)."""

    conversation_id: int
    recipient: Any  # the other user (accounts.User)
    gate: MessagingSettings  # the recipient's inbox gate (an unsaved OPEN one when they have none)
    is_blocked: bool  # a block either way between sender and recipient
    replayed_message_id: int | None  # the message an earlier send with this clientId made


# Raw SQL: the same lookup through the ORM cost about 1.7 ms more CPU per send in query building
# and compiling (cProfile), which is most of a send's Python time.
_SEND_TARGET_SQL = """
SELECT u.*,
       p.conversation_id AS send_conversation_id,
       s.user_id IS NOT NULL AS send_gate_found, s.gate AS send_gate,
       s.min_tip_minor AS send_min_tip_minor, s.message_price_minor AS send_message_price_minor,
       s.currency AS send_gate_currency,
       EXISTS (SELECT 1 FROM social_block b
                WHERE (b.blocker_id = %(user)s AND b.blocked_id = p.other_id)
                   OR (b.blocker_id = p.other_id AND b.blocked_id = %(user)s)) AS send_is_blocked,
       (SELECT k.message_id FROM messaging_sendkey k
         WHERE k.sender_id = %(user)s AND k.client_id = %(client_id)s) AS send_replayed_message_id
  FROM messaging_participant p
  JOIN accounts_user u ON u.id = p.other_id
  LEFT JOIN messaging_messagingsettings s ON s.user_id = p.other_id
 WHERE p.user_id = %(user)s AND p.conversation_id = %(conversation)s
"""


def send_target(*, user: Any, conversation_id: Any, client_id: str = "") -> SendTarget:
    """One of the sender's conversations with everything a send checks, in one query: the other
    user, their gate, a block either way, and an earlier send with ``client_id``. 404 like
    ``participant_get`` (a conversation the user is not in, or a bad id)."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound("No such conversation.") from None
    params = {"user": user.pk, "conversation": conversation_id, "client_id": client_id}
    found = list(User.objects.raw(_SEND_TARGET_SQL, params))
    if not found:
        raise NotFound("No such conversation.")
    other: Any = found[0]  # a User, with the extra columns as attributes
    gate = MessagingSettings(user_id=other.pk, gate=Gate.OPEN)
    if other.send_gate_found:
        gate = MessagingSettings(
            user_id=other.pk,
            gate=other.send_gate,
            min_tip_minor=other.send_min_tip_minor,
            message_price_minor=other.send_message_price_minor,
            currency=other.send_gate_currency,
        )
        gate._state.adding = False
    return SendTarget(
        conversation_id=other.send_conversation_id,
        recipient=other,
        gate=gate,
        is_blocked=bool(other.send_is_blocked),
        replayed_message_id=other.send_replayed_message_id if client_id else None,
    )


def participant_for_pair(*, user_id: int, other_id: int) -> Participant | None:
    return participant_qs_for_user(user_id=user_id).filter(other_id=other_id).first()


def conversation_ids_for_user(*, user_id: int) -> dict[int, int]:
    """{conversation id: other user id} of every conversation of the user."""
    return dict(Participant.objects.filter(user_id=user_id).values_list("conversation_id", "other_id"))


def _with_attachments(queryset: QuerySet[Message]) -> QuerySet[Message]:
    return queryset.prefetch_related(
        Prefetch(
            "attachments",
            queryset=MessageMedia.objects.select_related("media").order_by("position", "id"),
            to_attr="attachment_list",
        )
    )


def message_list(
    *, user: Any, conversation_id: Any, cursor: str | None = None, limit: int = 30
) -> tuple[Participant, Page[Message]]:
    """History of one conversation, newest first (keyset on id). Three queries whatever the page."""
    participant = participant_get(user=user, conversation_id=conversation_id)
    queryset = _with_attachments(Message.objects.filter(conversation_id=participant.conversation_id))
    return participant, paginate(queryset, ordering=("-id",), cursor=cursor, limit=limit)


def messages_since(*, user_id: int, last_id: int, limit: int = RESUME_LIMIT) -> tuple[list[Message], bool]:
    """What a reconnecting client missed: the user's messages (sent or received) after ``last_id``,
    oldest first, plus a short window before it (ids are assigned at insert but become visible at
    commit, so a slower transaction can commit an id below one the client already saw; the client
    drops ids it has). Returns (messages, more)."""
    anchor = Message.objects.filter(pk=last_id).values_list("created_at", flat=True).first()
    mine = Q(recipient_id=user_id) | Q(sender_id=user_id)
    window = Q(pk__gt=last_id)
    if anchor is not None:
        window |= Q(created_at__gte=anchor - timedelta(seconds=RESUME_LOOKBACK_SECONDS), pk__lt=last_id)
    rows = list(_with_attachments(Message.objects.filter(mine & window)).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def access_for(*, viewer_id: int, messages: list[Message]) -> dict[str, Any]:
    """What the viewer bought among ``messages``: unlocked message ids and already owned media ids
    (each one query, only when a paid message is in the list)."""
    paid = [m for m in messages if m.price_minor is not None and m.recipient_id == viewer_id]
    if not paid:
        return {"unlocked_ids": set(), "owned_media_ids": set()}
    unlocked = set(
        MessageUnlock.objects.filter(fan_id=viewer_id, message_id__in=[m.pk for m in paid]).values_list(
            "message_id", flat=True
        )
    )
    media_ids = {item.media_id for m in paid for item in getattr(m, "attachment_list", [])}
    return {
        "unlocked_ids": unlocked,
        "owned_media_ids": owned_media_ids(fan_id=viewer_id, media_ids=media_ids, exclude_messages=set()),
    }


def owned_media_ids(*, fan_id: int, media_ids: set[Any], exclude_messages: set[int]) -> set[str]:
    """Which of ``media_ids`` the fan already owns through messages: sent free, or unlocked (and
    not removed by a moderator)."""
    if not media_ids:
        return set()
    unlocked = MessageUnlock.objects.filter(fan_id=fan_id).values("message_id")
    rows = (
        MessageMedia.objects.filter(
            media_id__in=media_ids, message__recipient_id=fan_id, message__removed_at__isnull=True
        )
        .filter(Q(message__price_minor__isnull=True) | Q(message_id__in=unlocked))
        .exclude(message_id__in=exclude_messages)
        .values_list("media_id", flat=True)
    )
    return {str(media_id) for media_id in rows}


def unread_total(*, user_id: int) -> int:
    total = Participant.objects.filter(user_id=user_id, unread_count__gt=0).aggregate(n=Sum("unread_count"))[
        "n"
    ]
    return int(total or 0)


def settings_for(*, user_id: int) -> MessagingSettings:
    found = MessagingSettings.objects.filter(pk=user_id).first()
    return found or MessagingSettings(user_id=user_id, gate=Gate.OPEN)


def saved_replies_for(*, owner: Any) -> QuerySet[SavedReply]:
    return SavedReply.objects.filter(owner_id=owner.pk).order_by("-created_at", "-id")


def mass_messages_for(*, creator: Any) -> QuerySet[MassMessage]:
    return MassMessage.objects.filter(creator_id=creator.pk).order_by("-created_at", "-id")


def mass_message_get(*, creator: Any, mass_message_id: int) -> MassMessage:
    found = MassMessage.objects.filter(pk=mass_message_id, creator_id=creator.pk).first()
    if found is None:
        raise NotFound("No such mass message.")
    return found


def mass_message_stats(*, mass_message: MassMessage) -> dict[str, Any]:
    """Sent, read (the recipient's read marker passed the message), unlocked, revenue (net of
    refunds). Two queries."""
    read_marker = Participant.objects.filter(
        conversation_id=OuterRef("conversation_id"), user_id=OuterRef("recipient_id")
    ).values("last_read_message_id")[:1]
    read = (
        Message.objects.filter(mass_message_id=mass_message.pk)
        .annotate(marker=Subquery(read_marker))
        .filter(marker__gte=F("id"))
        .count()
    )
    unlocks = MessageUnlock.objects.filter(
        message__mass_message_id=mass_message.pk, charge__isnull=False
    ).aggregate(n=Count("id"), gross=Sum("charge__amount_minor"), refunded=Sum("charge__refunded_minor"))
    return {
        "sent": mass_message.sent_count,
        "read": read,
        "unlocked": unlocks["n"] or 0,
        "revenue_minor": int((unlocks["gross"] or 0) - (unlocks["refunded"] or 0)),
        "currency": mass_message.currency or "USD",
    }


def other_last_read(*, participant: Participant) -> int:
    """The other side's read marker (read receipts on a freshly loaded conversation)."""
    value = (
        Participant.objects.filter(conversation_id=participant.conversation_id, user_id=participant.other_id)
        .values_list("last_read_message_id", flat=True)
        .first()
    )
    return int(value or 0)


def message_report_list_open(*, cursor: str | None = None, limit: int = 20) -> Page[MessageReport]:
    """Open message reports, oldest first (the moderators' queue), with the reporter, the message,
    its sender and its attachment count: one query for the page. The caller checks that the viewer
    is a moderator."""
    queryset = (
        MessageReport.objects.filter(status=ReportStatus.OPEN)
        .select_related("reporter", "message", "message__sender")
        .annotate(
            media_count=Coalesce(
                Subquery(
                    MessageMedia.objects.filter(message_id=OuterRef("message_id"))
                    .values("message_id")
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                0,
            )
        )
    )
    return paginate(queryset, ordering=("created_at", "id"), cursor=cursor, limit=limit)
