"""Email delivery: templated text + HTML, List-Unsubscribe, signed unsubscribe links, the daily digest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from config.options import anymail_url_parse
from fanclub.notifications import constants as k
from fanclub.notifications import delivery, selectors, services
from fanclub.notifications.models import EmailSettings

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    (url,) = re.findall(r"https://fans\.example(/notifications/unsubscribe/[^/\s]+/)", body)
    return url


def test_email_is_templated_with_an_unsubscribe_link_that_works_signed_out(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")

    sent = delivery.email_send(
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 1250, "currency": "usd"},
        recipient_ids=[creator.pk],
    )

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == ["lena@example.com"]
    assert message.subject == "fan sent you a tip of 12.50 USD"
    assert "fan sent you a tip of 12.50 USD" in message.body
    assert "https://fans.example/billing/earnings/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "12.50 USD" in html
    path = _link(message.body)
    assert message.extra_headers["List-Unsubscribe"] == f"<https://fans.example{path}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    anonymous = Client(enforce_csrf_checks=True)
    confirm = anonymous.get(path)
    assert confirm.status_code == 200
    assert b"Stop emails for tip received?" in confirm.content
    assert selectors.preference_for(user_id=creator.pk, kind=k.TIP_RECEIVED)["email"] is True
    done = anonymous.post(path, {"List-Unsubscribe": "One-Click"})  # what a mail client's one-click sends
    assert done.status_code == 200
    assert selectors.preference_for(user_id=creator.pk, kind=k.TIP_RECEIVED) == {
        "in_app": True,
        "email": False,
        "push": True,
    }

    mail.outbox.clear()
    assert delivery.email_send(kind=k.TIP_RECEIVED, actor_id=fan.pk, data={}, recipient_ids=[creator.pk]) == 0
    assert mail.outbox == []


def test_email_goes_through_an_anymail_provider_with_its_unsubscribe_header(make_user, settings):
    """EMAIL_URL=anymail://test: anymail's test backend records what it would post to the provider."""
    esp, anymail, problems = anymail_url_parse("anymail://test")
    assert problems == []
    settings.EMAIL_BACKEND = f"anymail.backends.{esp}.EmailBackend"  # as config/settings.py maps it
    settings.ANYMAIL = anymail
    creator, fan = make_user(handle="lena"), make_user(handle="fan")

    sent = delivery.email_send(
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 1250, "currency": "usd"},
        recipient_ids=[creator.pk],
    )

    assert sent == 1
    (message,) = mail.outbox
    assert message.anymail_status.status == {"sent"}
    params = message.anymail_test_params
    assert [address.addr_spec for address in params["to"]] == ["lena@example.com"]
    assert params["subject"] == "fan sent you a tip of 12.50 USD"
    path = _link(params["text_body"])
    assert f"https://fans.example{path}" in params["html_body"]
    assert params["extra_headers"] == {
        "List-Unsubscribe": f"<https://fans.example{path}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert selectors.preference_for(user_id=creator.pk, kind=k.TIP_RECEIVED)["email"] is False


def test_a_forged_or_altered_unsubscribe_link_is_a_400_and_changes_nothing(make_user):
    victim = make_user(handle="victim")
    mine = delivery.unsubscribe_token(user_id=victim.pk + 1000, kind=k.TIP_RECEIVED)
    _, _, signature = mine.rpartition(":")
    forged_payload = delivery.unsubscribe_token(user_id=victim.pk, kind=k.TIP_RECEIVED).rpartition(":")[0]

    for token in (f"{forged_payload}:{signature}", "garbage", mine[:-2] + "xx"):
        response = Client().post(f"/notifications/unsubscribe/{token}/")
        assert response.status_code == 400, token
        assert Client().get(f"/notifications/unsubscribe/{token}/").status_code == 400
    assert selectors.preference_for(user_id=victim.pk, kind=k.TIP_RECEIVED)["email"] is True


def test_digest_batches_unread_notices_once_a_day(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    services.preferences_update(
        user_id=creator.pk, preferences={k.NEW_FOLLOWER: {"email": True}}, digest=True
    )
    services.notify(recipient_id=creator.pk, kind=k.NEW_FOLLOWER, actor_id=fan.pk)
    services.notify(
        recipient_id=creator.pk,
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 300, "currency": "eur"},
    )
    services.notify(
        recipient_id=creator.pk, kind=k.LIKE_MILESTONE, data={"post_id": 1, "likes": 10}
    )  # email off
    assert mail.outbox == []  # digest users get no instant email

    assert delivery.digest_due_user_ids() == [creator.pk]
    assert delivery.digest_send(user_id=creator.pk) is True

    (message,) = mail.outbox
    assert message.subject == "Your Fanclub digest: 2 new notifications"
    assert "fan started following you" in message.body
    assert "fan sent you a tip of 3.00 EUR" in message.body
    assert "likes" not in message.body
    assert delivery.digest_due_user_ids() == []
    assert delivery.digest_send(user_id=creator.pk) is False  # nothing new since the last digest
    later = timezone.now() + timedelta(hours=24)
    assert delivery.digest_due_user_ids(now=later) == [creator.pk]

    mail.outbox.clear()
    Client().post(_link(message.body))  # the digest's link stops every email
    assert not any(prefs["email"] for prefs in selectors.preferences_for(user_id=creator.pk).values())
    assert EmailSettings.objects.get(user_id=creator.pk).digest is True


def test_deliver_job_runs_through_a_real_worker(make_user, transactional_db, run_jobs):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    services.notify(
        recipient_id=creator.pk, kind=k.NEW_SUBSCRIBER, actor_id=fan.pk, data={"tier_name": "Gold"}
    )

    run_jobs(queues=[k.QUEUE])

    assert [message.subject for message in mail.outbox] == ["fan subscribed to you (Gold)"]


def test_the_morning_job_sends_each_digest_through_the_worker(make_user, transactional_db, run_jobs):
    from fanclub.notifications import tasks

    creator, fan, quiet = make_user(handle="lena"), make_user(handle="fan"), make_user(handle="quiet")
    services.preferences_update(user_id=creator.pk, preferences={}, digest=True)
    services.notify(
        recipient_id=creator.pk,
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 100, "currency": "usd"},
    )
    services.preferences_update(user_id=quiet.pk, preferences={}, digest=True)  # nothing unread: no email

    assert tasks.digests_due_task(timestamp=0) == 2
    run_jobs(queues=[k.QUEUE])

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["lena@example.com"], "Your Fanclub digest: 1 new notification")
    ]
