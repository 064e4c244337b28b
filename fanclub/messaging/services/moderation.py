"""Moderators' decisions on reported messages (issue 6: "moderation results" notices).

A report is resolved once: *actioned* removes the message (the row stays for the record; nobody is
shown its text or media again and it grants no media) or *dismissed* leaves it. The reporter is told
the outcome and, when removed, the sender is told that a message of theirs was removed and why.
Neither learns who decided: the notices carry no actor. A full moderation queue (post reports,
appeals, the CSAM pipeline) is a separate capability.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from fanclub.accounts import permissions as account_permissions
from fanclub.accounts.models import User
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.messaging.constants import MAX_REPORT_REASON, REMOVED_PREVIEW, ReportOutcome, ReportStatus
from fanclub.messaging.models import Conversation, Message, MessageReport, Participant
from fanclub.messaging.services.delivery import events_send_on_commit
from fanclub.notifications import hooks as notification_hooks


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(message, status=422, code="validation_error", details=[{"loc": [field], "msg": message}])


def moderator_check(user: Any) -> None:
    """403 unless ``user`` is a signed-in moderator or admin (``accounts.permissions.is_moderator``)."""
    if not account_permissions.is_moderator(user):
        raise PermissionDenied("Only moderators can do this.", code="not_moderator")


def message_report_resolve(*, moderator: User, report_id: Any, outcome: str, note: str) -> MessageReport:
    """Close an open report with ``outcome`` (``ReportOutcome``) and ``note``.

    Preconditions, in this order: ``moderator`` is a moderator (403), ``outcome`` is known and a
    removal says why in ``note`` (422; the sender reads it), the report exists (404) and is still
    open (409 ``already_resolved``), and the moderator is neither its reporter nor the message's
    sender (403). Locks the report, then the message. Everything, including the notices, commits
    or rolls back together; the live events go out after commit.
    """
    moderator_check(moderator)
    note = (note or "").strip()
    if outcome not in ReportOutcome.values:
        raise _invalid(f"The outcome is one of: {', '.join(ReportOutcome.values)}.", "outcome")
    if len(note) > MAX_REPORT_REASON:
        raise _invalid(f"A note has at most {MAX_REPORT_REASON} characters.", "note")
    if outcome == ReportOutcome.ACTIONED and not note:
        raise _invalid("Say why the message is removed: its sender is told.", "note")
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        raise NotFound("No such report.") from None
    with transaction.atomic():
        report = MessageReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise NotFound("No such report.")
        if report.status != ReportStatus.OPEN:
            raise Conflict("This report was already resolved.", code="already_resolved")
        message = Message.objects.select_for_update().filter(pk=report.message_id).first()
        if moderator.pk == report.reporter_id or (message is not None and moderator.pk == message.sender_id):
            raise PermissionDenied("Another moderator must decide on a report you are part of.")
        now = timezone.now()
        report.status = ReportStatus.CLOSED
        report.outcome = outcome
        report.resolved_by = moderator
        report.resolved_at = now
        report.resolution_note = note
        report.save(update_fields=["status", "outcome", "resolved_by", "resolved_at", "resolution_note"])
        removed = outcome == ReportOutcome.ACTIONED and message is not None and message.removed_at is None
        if removed:
            assert message is not None
            _message_remove(message=message, now=now)
        notification_hooks.message_report_resolved(
            report_id=report.pk,
            reporter_id=report.reporter_id,
            outcome=outcome,
            conversation_id=message.conversation_id if message is not None else None,
        )
        if removed:
            assert message is not None
            notification_hooks.message_removed(
                message_id=message.pk,
                sender_id=message.sender_id,
                conversation_id=message.conversation_id,
                reason=note,
            )
    return report


def _message_remove(*, message: Message, now: Any) -> None:
    """Hide ``message`` for both sides (the caller holds its row lock)."""
    message.removed_at = now
    message.save(update_fields=["removed_at"])
    # The inbox shows the last message's first characters: not those of a removed one.
    last = Conversation.objects.filter(pk=message.conversation_id, last_message_id=message.pk)
    if last.exists():
        Participant.objects.filter(conversation_id=message.conversation_id).update(
            last_message_preview=REMOVED_PREVIEW
        )
    event = {"type": "message.removed", "conversationId": message.conversation_id, "messageId": message.pk}
    events_send_on_commit(events=[(message.recipient_id, event), (message.sender_id, event)])
