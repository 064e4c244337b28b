"""Moderators' API under /api/v1/moderation: the open message reports, resolving one, removing a
post. Thin: the services (messaging, content) check the moderator role and own the transactions;
the list checks it here. Interactive credentials only (a session or its access token)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanclub.accounts.auth import INTERACTIVE_AUTH
from fanclub.accounts.models import User
from fanclub.content import services as content_services
from fanclub.core.schemas import ErrorOut, api_router
from fanclub.messaging import selectors as messaging_selectors
from fanclub.messaging import services as messaging_services
from fanclub.messaging.models import MessageReport
from fanclub.moderation.schemas import (
    MessageReportPageOut,
    PostRemovalOut,
    PostRemoveIn,
    ReportResolutionOut,
    ReportResolveIn,
)

router = api_router(tags=["moderation"])
E = ErrorOut
ERRORS: dict[int, Any] = {401: E, 403: E, 404: E, 409: E, 422: E}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


def _report_out(report: MessageReport) -> dict[str, Any]:
    message = report.message
    return {
        "id": report.pk,
        "reason": report.reason,
        "created_at": _iso(report.created_at),
        "reporter": {"id": report.reporter_id, "handle": report.reporter.handle},
        "message": None
        if message is None
        else {
            "id": message.pk,
            "conversation_id": message.conversation_id,
            "sender": {"id": message.sender_id, "handle": message.sender.handle},
            "text": message.text,
            "media_count": report.media_count,  # type: ignore[attr-defined]
            "created_at": _iso(message.created_at),
            "is_removed": message.removed_at is not None,
        },
    }


@router.get(
    "/moderation/message-reports", auth=INTERACTIVE_AUTH, response={200: MessageReportPageOut, **ERRORS}
)
def list_message_reports(request: HttpRequest, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Open message reports, oldest first, with the reported message as sent (moderators only)."""
    messaging_services.moderator_check(_user(request))
    page = messaging_selectors.message_report_list_open(cursor=cursor, limit=limit)
    return {"items": [_report_out(report) for report in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/moderation/message-reports/{report_id}/resolve",
    auth=INTERACTIVE_AUTH,
    response={200: ReportResolutionOut, **ERRORS},
)
def resolve_message_report(request: HttpRequest, report_id: int, data: ReportResolveIn) -> dict[str, Any]:
    """Close a report: ``actioned`` removes the message (``note`` says why; its sender is told),
    ``dismissed`` leaves it. The reporter is told the outcome. A second resolve is a 409."""
    report = messaging_services.message_report_resolve(
        moderator=_user(request), report_id=report_id, outcome=data.outcome, note=data.note
    )
    assert report.resolved_at is not None
    return {
        "id": report.pk,
        "status": report.status,
        "outcome": report.outcome,
        "resolved_at": _iso(report.resolved_at),
    }


@router.post(
    "/moderation/posts/{post_id}/remove", auth=INTERACTIVE_AUTH, response={200: PostRemovalOut, **ERRORS}
)
def remove_post(request: HttpRequest, post_id: int, data: PostRemoveIn) -> dict[str, Any]:
    """Remove a post (soft delete: gone everywhere); its creator is told the reason. Removing a
    post that is already gone changes nothing and answers the same."""
    post = content_services.post_remove_by_moderator(
        moderator=_user(request), post_id=post_id, reason=data.reason
    )
    assert post.deleted_at is not None
    return {"id": post.pk, "removed_at": _iso(post.deleted_at)}
