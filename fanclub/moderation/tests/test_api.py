"""The moderators' API over real HTTP (Django's live server, bearer tokens from the password grant):
a fan reports a message, a moderator resolves it, the fan sees the outcome in their notifications
and unread count, the sender sees why their message was removed; a moderator removes a post and
its creator is told. Plus the live socket notice and the admin actions over the same services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from fanclub.accounts.constants import Role
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.core.tests.websocket import notification_socket
from fanclub.messaging import services as messaging_services
from fanclub.messaging.models import Message, MessageReport
from fanclub.messaging.tests.factories import open_conversation, send
from fanclub.notifications.models import Notification

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATE_LIMIT_ENABLED = False
    cache.clear()


@contextmanager
def _api(base_url: str, email: str) -> Iterator[httpx.Client]:
    """An API client signed in with the password grant (a session-bound JWT)."""
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        grant = client.post("/auth/token", json={"email": email, "password": PASSWORD})
        assert grant.status_code == 200, grant.text
        client.headers["Authorization"] = f"Bearer {grant.json()['accessToken']}"
        yield client


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details", "requestId", "timestamp"}


@pytest.mark.django_db(transaction=True)
def test_report_resolve_notify_and_remove_a_post_over_http(live_server, make_user):
    lena = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    make_user(Role.MODERATOR, handle="mod")
    message = send(lena, open_conversation(lena, fan), "buy my stuff now")
    post = make_post(lena, text="quokka sunrise", access="public")

    with (
        _api(live_server.url, "fan@example.com") as as_fan,
        _api(live_server.url, "mod@example.com") as as_mod,
        _api(live_server.url, "lena@example.com") as as_lena,
    ):
        reported = as_fan.post(f"/messaging/messages/{message.pk}/report", json={"reason": "spam"})
        assert reported.status_code == 201, reported.text
        report_id = reported.json()["id"]

        # The fan is no moderator: 403 in the standard shape, and nothing changed.
        _assert_error(as_fan.get("/moderation/message-reports"), 403, "not_moderator")
        _assert_error(
            as_fan.post(f"/moderation/message-reports/{report_id}/resolve", json={"outcome": "dismissed"}),
            403,
            "not_moderator",
        )
        assert MessageReport.objects.get().status == "open"

        queue = as_mod.get("/moderation/message-reports")
        assert queue.status_code == 200, queue.text
        (item,) = queue.json()["items"]
        assert item["id"] == report_id
        assert item["reason"] == "spam"
        assert item["reporter"]["handle"] == "fan"
        assert item["message"]["text"] == "buy my stuff now"
        assert item["message"]["sender"]["handle"] == "lena"
        assert (item["message"]["mediaCount"], item["message"]["isRemoved"]) == (0, False)
        assert queue.json()["nextCursor"] is None

        # Removing needs a note (the sender reads it): 422, nothing written.
        _assert_error(
            as_mod.post(f"/moderation/message-reports/{report_id}/resolve", json={"outcome": "actioned"}),
            422,
            "validation_error",
        )
        _assert_error(
            as_mod.post(f"/moderation/message-reports/{report_id}/resolve", json={"outcome": "ban"}),
            422,
            "validation_error",
        )
        assert MessageReport.objects.get().status == "open"

        resolved = as_mod.post(
            f"/moderation/message-reports/{report_id}/resolve",
            json={"outcome": "actioned", "note": "Unsolicited advertising"},
        )
        assert resolved.status_code == 200, resolved.text
        assert {key: resolved.json()[key] for key in ("id", "status", "outcome")} == {
            "id": report_id,
            "status": "closed",
            "outcome": "actioned",
        }
        _assert_error(
            as_mod.post(f"/moderation/message-reports/{report_id}/resolve", json={"outcome": "dismissed"}),
            409,
            "already_resolved",
        )
        assert as_mod.get("/moderation/message-reports").json()["items"] == []

        # The fan sees the outcome, in the list and in the unread count.
        notices = as_fan.get("/notifications").json()
        (notice,) = notices["items"]
        assert notice["kind"] == "moderation_result"
        assert notice["text"] == "Our moderators reviewed your report and removed the message"
        assert notice["url"] == f"/messages/{message.conversation_id}/"
        assert notice["actor"] is None
        assert notices["unreadCount"] == 1
        assert as_fan.get("/notifications/unread-count").json() == {"unreadCount": 1}

        # The sender is told why; their message shows as removed to both sides.
        (removal,) = as_lena.get("/notifications").json()["items"]
        assert removal["text"] == (
            "A message you sent was removed by our moderators. Reason: Unsolicited advertising"
        )
        assert removal["actor"] is None
        assert "mod" not in str(removal["data"])
        for client in (as_fan, as_lena):
            history = client.get(f"/messaging/conversations/{message.conversation_id}/messages").json()
            (shown,) = history["items"]
            assert (shown["id"], shown["text"], shown["isRemoved"]) == (message.pk, "", True)

        # A post: removed, the creator told, gone from its page; removing again answers the same.
        _assert_error(
            as_fan.post(f"/moderation/posts/{post.pk}/remove", json={"reason": "x"}), 403, "not_moderator"
        )
        removed = as_mod.post(f"/moderation/posts/{post.pk}/remove", json={"reason": "Stolen photo"})
        assert removed.status_code == 200, removed.text
        assert removed.json()["id"] == post.pk
        again = as_mod.post(f"/moderation/posts/{post.pk}/remove", json={"reason": "Stolen photo"})
        assert again.json() == removed.json()
        _assert_error(as_fan.get(f"/posts/{post.pk}"), 404, "not_found")
        _assert_error(as_mod.post("/moderation/posts/999999/remove", json={"reason": "x"}), 404, "not_found")
        texts = [n["text"] for n in as_lena.get("/notifications").json()["items"]]
        assert texts[0] == "Your post “quokka sunrise” was removed by our moderators. Reason: Stolen photo"
        assert as_lena.get("/notifications/unread-count").json() == {"unreadCount": 2}

    assert Message.objects.get(pk=message.pk).removed_at is not None
    assert Post.objects.get(pk=post.pk).removed_by_id is not None


# --- The live notice on the reporter's socket ------------------------------------------------------------
def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _world(make_user) -> tuple:
    lena = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    moderator = make_user(Role.MODERATOR, handle="mod")
    message = send(lena, open_conversation(lena, fan), "buy my stuff now")
    report = messaging_services.message_report(reporter=fan, message_id=message.pk, reason="spam")
    return fan, moderator, message, report, _session_cookie(fan)


@pytest.mark.django_db(transaction=True)
async def test_the_reporter_gets_the_outcome_live_on_their_socket(make_user):
    _fan, moderator, message, report, session = await database_sync_to_async(_world)(make_user)
    socket = notification_socket(session)
    connected, _ = await socket.connect()
    assert connected
    try:
        assert (await socket.receive_json_from())["type"] == "hello"
        await database_sync_to_async(messaging_services.message_report_resolve)(
            moderator=moderator, report_id=report.pk, outcome="actioned", note="Spam"
        )
        frames = [await socket.receive_json_from(timeout=10) for _ in range(2)]
    finally:
        await socket.disconnect()

    by_type = {frame["type"]: frame for frame in frames}
    assert by_type["message.removed"] == {
        "type": "message.removed",
        "conversationId": message.conversation_id,
        "messageId": message.pk,
    }
    notice = by_type["notification"]
    assert notice["unreadCount"] == 1
    assert notice["notification"]["text"] == "Our moderators reviewed your report and removed the message"


# --- Django admin actions (same services) ----------------------------------------------------------------
@pytest.mark.django_db
def test_admin_actions_resolve_reports_and_remove_posts_through_the_services(make_user):
    lena = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    admin = make_user(Role.ADMIN, handle="boss")
    type(admin).objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    message = send(lena, open_conversation(lena, fan), "buy my stuff now")
    report = messaging_services.message_report(reporter=fan, message_id=message.pk, reason="spam")
    post = make_post(lena, text="quokka sunrise", access="public")
    browser = Client()
    browser.force_login(type(admin).objects.get(pk=admin.pk))

    for page in (
        "/admin/messaging/messagereport/",
        f"/admin/messaging/messagereport/{report.pk}/change/",
        "/admin/content/post/",
        f"/admin/content/post/{post.pk}/change/",
    ):
        assert browser.get(page).status_code == 200, page
    without_note = browser.post(
        "/admin/messaging/messagereport/",
        {"action": "remove_messages", "_selected_action": [report.pk], "note": ""},
        follow=True,
    )
    assert "Say why the message is removed" in without_note.content.decode()
    assert MessageReport.objects.get().status == "open"
    browser.post(
        "/admin/messaging/messagereport/",
        {"action": "remove_messages", "_selected_action": [report.pk], "note": "Spam"},
    )
    browser.post(
        "/admin/content/post/", {"action": "remove_posts", "_selected_action": [post.pk], "reason": "Stolen"}
    )

    assert MessageReport.objects.get().outcome == "actioned"
    assert Message.objects.get(pk=message.pk).removed_at is not None
    assert Post.objects.get(pk=post.pk).removal_reason == "Stolen"
    assert sorted(Notification.objects.values_list("recipient__handle", "data__event")) == [
        ("fan", "report_reviewed"),
        ("lena", "message_removed"),
        ("lena", "post_removed"),
    ]


@pytest.mark.django_db
def test_a_staff_member_without_the_moderator_role_cannot_use_the_actions(make_user):
    lena = make_creator(make_user, "lena")
    staff = make_user(Role.FAN, handle="staffer")
    type(staff).objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    post = make_post(lena, text="quokka sunrise", access="public")
    browser = Client()
    browser.force_login(type(staff).objects.get(pk=staff.pk))

    response = browser.post(
        "/admin/content/post/",
        {"action": "remove_posts", "_selected_action": [post.pk], "reason": "Stolen"},
        follow=True,
    )

    assert "Only moderators can do this." in response.content.decode()
    assert Post.objects.get(pk=post.pk).deleted_at is None
    assert not Notification.objects.exists()
