"""The pages: the list with htmx mark read, the settings form, the badge in the header."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.notifications import constants as k
from fanclub.notifications import selectors, services
from fanclub.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_page_shows_notices_and_htmx_marks_one_read(make_user, django_capture_on_commit_callbacks):
    me, actor = make_user(handle="me"), make_user(handle="actor")
    services.notify(recipient_id=me.pk, kind=k.NEW_FOLLOWER, actor_id=actor.pk)
    notification = Notification.objects.get()
    client = _client(me)

    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "actor started following you" in html
    assert "data-unread-badge>1</span>" in html

    with django_capture_on_commit_callbacks(execute=True):  # the cached badge is forgotten on commit
        partial = client.post(f"/notifications/{notification.pk}/read/", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert (
        partial.content.decode()
        .lstrip()
        .startswith(f'<li class="notification" id="notification-{notification.pk}"')
    )
    assert selectors.unread_count(user_id=me.pk) == 0
    assert (
        "data-unread-badge>0</span>" in client.get("/notifications/").content.decode()
    )  # the cache was cleared


def test_settings_form_saves_every_checkbox(make_user):
    me = make_user(handle="me")
    client = _client(me)
    assert client.get("/settings/notifications/").status_code == 200

    response = client.post(
        "/settings/notifications/", {"new_post.in_app": "on", "tip_received.email": "on", "digest": "on"}
    )

    assert response.status_code == 302
    prefs = selectors.preferences_for(user_id=me.pk)
    assert prefs[k.NEW_POST] == {"in_app": True, "email": False, "push": False}
    assert prefs[k.TIP_RECEIVED] == {"in_app": False, "email": True, "push": False}
    assert prefs[k.PAYMENT_PROBLEM]["in_app"] is True  # cannot be switched off
    assert selectors.email_digest_enabled(user_id=me.pk) is True


def test_someone_elses_notice_is_404_and_unchanged(make_user):
    me, other, actor = make_user(handle="me"), make_user(handle="other"), make_user(handle="actor")
    services.notify(recipient_id=me.pk, kind=k.NEW_FOLLOWER, actor_id=actor.pk)
    notification = Notification.objects.get()

    assert _client(other).post(f"/notifications/{notification.pk}/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
