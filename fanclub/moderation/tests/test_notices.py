"""How moderation outcomes read (list, socket, push title and email subject are the same sentence)
and where they lead; never who decided."""

from __future__ import annotations

import pytest
from django.core import mail

from fanclub.accounts.constants import Role
from fanclub.content.tests.factories import make_creator
from fanclub.messaging import services as messaging_services
from fanclub.messaging.tests.factories import open_conversation, send
from fanclub.notifications import constants as k
from fanclub.notifications import delivery
from fanclub.notifications.presenters import notification_text, notification_url
from fanclub.notifications.tests.conftest import deferred_jobs


@pytest.mark.parametrize(
    ("data", "text", "url"),
    [
        (
            {"event": "report_reviewed", "outcome": "actioned", "conversation_id": 7},
            "Our moderators reviewed your report and removed the message",
            "/messages/7/",
        ),
        (
            {"event": "report_reviewed", "outcome": "dismissed", "conversation_id": 7},
            "Our moderators reviewed your report and found no rule broken, so the message stays",
            "/messages/7/",
        ),
        (
            {"event": "message_removed", "conversation_id": 7, "reason": "Spam"},
            "A message you sent was removed by our moderators. Reason: Spam",
            "/messages/7/",
        ),
        (
            {"event": "post_removed", "post_id": 3, "excerpt": "quokka sunrise", "reason": "Stolen photo"},
            "Your post “quokka sunrise” was removed by our moderators. Reason: Stolen photo",
            "/studio/",
        ),
        (
            {"event": "post_removed", "post_id": 3, "excerpt": "", "reason": ""},
            "Your post was removed by our moderators",
            "/studio/",
        ),
        ({"message": "Your account was reviewed"}, "Your account was reviewed", "/notifications/"),
        ({}, "A moderator reviewed your content", "/notifications/"),
    ],
)
def test_moderation_notices_read_and_link(data, text, url):
    assert notification_text(kind=k.MODERATION_RESULT, actor_name="", data=data) == text
    assert notification_url(kind=k.MODERATION_RESULT, actor_handle="", data=data) == url


@pytest.mark.django_db
def test_resolving_defers_the_emails_in_its_transaction(make_user):
    lena = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    moderator = make_user(Role.MODERATOR, handle="mod")
    message = send(lena, open_conversation(lena, fan), "buy my stuff now")
    report = messaging_services.message_report(reporter=fan, message_id=message.pk, reason="spam")

    messaging_services.message_report_resolve(
        moderator=moderator, report_id=report.pk, outcome="actioned", note="Spam"
    )

    emails = [
        job["args"] for job in deferred_jobs("notification_deliver_task") if job["args"]["channel"] == "email"
    ]
    assert sorted((job["recipient_ids"], job["data"]["event"]) for job in emails) == sorted(
        [([fan.pk], "report_reviewed"), ([lena.pk], "message_removed")]
    )
    assert all(job["actor_id"] is None and job["kind"] == k.MODERATION_RESULT for job in emails)


@pytest.mark.django_db
def test_the_removal_email_says_why_and_links_to_the_studio(make_user, settings):
    settings.SITE_URL = "https://fans.example"
    creator = make_user(handle="lena")

    sent = delivery.email_send(
        kind=k.MODERATION_RESULT,
        actor_id=None,
        data={"event": "post_removed", "post_id": 3, "excerpt": "quokka", "reason": "Stolen photo"},
        recipient_ids=[creator.pk],
    )

    assert sent == 1
    (message,) = mail.outbox
    assert message.subject == "Your post “quokka” was removed by our moderators. Reason: Stolen photo"
    assert "https://fans.example/studio/" in message.body
