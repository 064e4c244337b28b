"""Resolving message reports (``services.message_report_resolve``): who may, what it removes, who is
told what, and that nothing is half-written when it is refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fanclub.accounts.constants import Role
from fanclub.content.tests.factories import ready_media
from fanclub.core.errors import ApiError
from fanclub.messaging import permissions, presenters, selectors, services
from fanclub.messaging.constants import REMOVED_PREVIEW
from fanclub.messaging.models import Message, MessageReport, Participant
from fanclub.messaging.tests.factories import open_conversation, send
from fanclub.notifications import constants as k
from fanclub.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    return make_user(Role.MODERATOR, handle="dm.mod")


@pytest.fixture
def reported(fan, creator):
    """The creator sent the fan a message with a photo; the fan reported it."""
    photo = ready_media(creator)
    message = send(creator, open_conversation(creator, fan), "buy my stuff now", media_ids=[photo.pk])
    report = services.message_report(reporter=fan, message_id=message.pk, reason="spam")
    return {"message": message, "report": report, "photo": photo}


def _notices():
    return list(Notification.objects.filter(kind=k.MODERATION_RESULT).order_by("recipient_id", "id"))


def test_actioned_removes_the_message_and_tells_reporter_and_sender(fan, creator, moderator, reported):
    message, photo = reported["message"], reported["photo"]
    assert permissions.media_entitlement(fan, photo, "display") is True

    report = services.message_report_resolve(
        moderator=moderator, report_id=reported["report"].pk, outcome="actioned", note="Unsolicited ads"
    )

    report.refresh_from_db()
    assert (report.status, report.outcome, report.resolved_by_id) == ("closed", "actioned", moderator.pk)
    assert report.resolution_note == "Unsolicited ads"
    removed = Message.objects.get(pk=message.pk)
    assert removed.removed_at == report.resolved_at
    assert removed.text == "buy my stuff now"  # kept for the record, shown to nobody
    # Nobody sees it any more: no text, no media, and the photo is no longer the fan's.
    (page_message,) = selectors.message_list(user=fan, conversation_id=message.conversation_id)[1].items
    for viewer in (fan, creator):
        shown = presenters.message_out(page_message, viewer_id=viewer.pk)
        assert (shown["text"], shown["media"], shown["is_removed"]) == ("", [], True)
    assert permissions.media_entitlement(fan, photo, "display") is None
    assert set(
        Participant.objects.filter(conversation_id=message.conversation_id).values_list(
            "last_message_preview", flat=True
        )
    ) == {REMOVED_PREVIEW}

    reporter_notice, sender_notice = sorted(_notices(), key=lambda n: n.recipient_id != fan.pk)
    assert reporter_notice.recipient_id == fan.pk
    assert reporter_notice.actor_id is None
    assert reporter_notice.data == {
        "event": "report_reviewed",
        "subject": f"message_report:{report.pk}",
        "report_id": report.pk,
        "outcome": "actioned",
        "conversation_id": message.conversation_id,
    }
    assert sender_notice.recipient_id == creator.pk
    assert sender_notice.actor_id is None
    assert sender_notice.data == {
        "event": "message_removed",
        "subject": f"message_removed:{message.pk}",
        "message_id": message.pk,
        "conversation_id": message.conversation_id,
        "reason": "Unsolicited ads",
    }
    # Never which moderator: neither their id nor their handle is in what the two are shown.
    for notice in (reporter_notice, sender_notice):
        assert str(moderator.pk) not in str(sorted(notice.data.items()))
        assert "dm.mod" not in str(notice.data)


def test_dismissed_keeps_the_message_and_tells_only_the_reporter(fan, creator, moderator, reported):
    services.message_report_resolve(
        moderator=moderator, report_id=reported["report"].pk, outcome="dismissed", note=""
    )

    assert Message.objects.get(pk=reported["message"].pk).removed_at is None
    assert permissions.media_entitlement(fan, reported["photo"], "display") is True
    (notice,) = _notices()
    assert (notice.recipient_id, notice.data["outcome"]) == (fan.pk, "dismissed")


def test_resolving_twice_is_a_conflict_and_notifies_once(fan, moderator, make_user, reported):
    other_moderator = make_user(Role.ADMIN, handle="dm.admin")
    services.message_report_resolve(
        moderator=moderator, report_id=reported["report"].pk, outcome="dismissed", note=""
    )

    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=other_moderator, report_id=reported["report"].pk, outcome="actioned", note="late"
        )

    assert (error.value.status, error.value.code) == (409, "already_resolved")
    report = MessageReport.objects.get()
    assert (report.outcome, report.resolved_by_id) == ("dismissed", moderator.pk)
    assert Message.objects.get(pk=reported["message"].pk).removed_at is None
    assert len(_notices()) == 1


@pytest.mark.parametrize("role", [Role.FAN, Role.CREATOR])
def test_only_moderators_resolve_and_a_refusal_changes_nothing(make_user, reported, role):
    someone = make_user(role, handle=f"dm.someone.{role}")

    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=someone, report_id=reported["report"].pk, outcome="actioned", note="x"
        )

    assert (error.value.status, error.value.code) == (403, "not_moderator")
    assert MessageReport.objects.get().status == "open"
    assert Message.objects.get(pk=reported["message"].pk).removed_at is None
    assert _notices() == []


def test_an_inactive_moderator_is_refused(moderator, reported):
    type(moderator).objects.filter(pk=moderator.pk).update(is_active=False)
    moderator.refresh_from_db()
    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=moderator, report_id=reported["report"].pk, outcome="dismissed", note=""
        )
    assert error.value.status == 403


def test_a_moderator_cannot_decide_on_a_report_about_themselves(fan, make_user):
    moderator = make_user(Role.MODERATOR, handle="dm.mod2")
    message = send(moderator, open_conversation(moderator, fan), "hi")
    report = services.message_report(reporter=fan, message_id=message.pk, reason="rude")

    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=moderator, report_id=report.pk, outcome="dismissed", note=""
        )

    assert error.value.status == 403
    assert MessageReport.objects.get().status == "open"


@pytest.mark.parametrize(
    ("outcome", "note", "field"),
    [
        ("banned", "x", "outcome"),
        ("actioned", "", "note"),
        ("actioned", "  ", "note"),
        ("actioned", "x" * 1001, "note"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(moderator, reported, outcome, note, field):
    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=moderator, report_id=reported["report"].pk, outcome=outcome, note=note
        )
    assert error.value.status == 422
    assert error.value.details[0]["loc"] == [field]
    assert MessageReport.objects.get().status == "open"
    assert _notices() == []


@pytest.mark.parametrize("report_id", [999999, "abc"])
def test_no_such_report_is_404(moderator, report_id):
    with pytest.raises(ApiError) as error:
        services.message_report_resolve(
            moderator=moderator, report_id=report_id, outcome="dismissed", note=""
        )
    assert error.value.status == 404


def test_a_removed_paid_message_cannot_be_bought(fan, creator, moderator):
    from fanclub.billing.services.payments import Payment

    photo = ready_media(creator)
    message = send(creator, open_conversation(creator, fan), "paid", media_ids=[photo.pk], price_minor=500)
    report = services.message_report(reporter=fan, message_id=message.pk, reason="scam")
    services.message_report_resolve(moderator=moderator, report_id=report.pk, outcome="actioned", note="Scam")

    with pytest.raises(ApiError) as error:
        services.message_unlock_buy(
            fan=fan, message_id=message.pk, payment=Payment(funding="wallet"), idempotency_key="k1"
        )
    assert error.value.status == 404


def test_open_reports_list_oldest_first_in_one_query(fan, creator, moderator, make_user, reported):
    second_fan = make_user(handle="dm.fan2")
    message = send(creator, open_conversation(creator, second_fan), "again")
    second = services.message_report(reporter=second_fan, message_id=message.pk, reason="spam too")
    closed_message = send(creator, open_conversation(creator, make_user(handle="dm.fan3")), "x")
    closed = services.message_report(
        reporter=type(fan).objects.get(handle="dm.fan3"), message_id=closed_message.pk, reason="meh"
    )
    services.message_report_resolve(moderator=moderator, report_id=closed.pk, outcome="dismissed", note="")

    with CaptureQueriesContext(connection) as queries:
        page = selectors.message_report_list_open(limit=20)
        rows = [(r.pk, r.reporter.handle, r.message.sender.handle, r.media_count) for r in page.items]

    assert rows == [
        (reported["report"].pk, "dm.fan", "dm.creator", 1),
        (second.pk, "dm.fan2", "dm.creator", 0),
    ]
    assert len(queries) == 1
