"""The notifications API: list (cursor, query budget), unread count, read, preferences, push subscriptions."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fanclub.notifications import constants as k
from fanclub.notifications import services
from fanclub.notifications.models import Notification, PushSubscription

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/offline/")  # the device session is adopted on the first requests, outside the budgets
    client.get("/api/v1/notifications/unread-count")
    return client


def _put(client: Client, path: str, body: dict) -> object:
    return client.put(path, json.dumps(body), content_type="application/json")


def test_list_is_cursor_paginated_newest_first_with_a_fixed_query_count(make_user, django_assert_num_queries):
    me = make_user(handle="me")
    actors = [make_user(handle=f"actor{n}") for n in range(5)]
    for actor in actors:
        services.notify(recipient_id=me.pk, kind=k.NEW_FOLLOWER, actor_id=actor.pk)
    client = _client(me)

    with django_assert_num_queries(5):  # session, user, device session, page (actors joined), unread count
        first = client.get("/api/v1/notifications?limit=3").json()
    with django_assert_num_queries(5):
        second = client.get(f"/api/v1/notifications?limit=3&cursor={first['nextCursor']}").json()

    handles = [item["actor"]["handle"] for item in first["items"] + second["items"]]
    assert handles == ["actor4", "actor3", "actor2", "actor1", "actor0"]
    assert first["unreadCount"] == 5
    assert second["nextCursor"] is None
    assert first["items"][0]["text"] == "actor4 started following you"
    assert first["items"][0]["readAt"] is None


def test_a_forged_cursor_is_a_400(make_user):
    client = _client(make_user(handle="me"))

    response = client.get("/api/v1/notifications?cursor=bm9wZQ")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_unread_count_read_and_read_all(make_user, django_assert_num_queries):
    me, other, actor = make_user(handle="me"), make_user(handle="other"), make_user(handle="actor")
    for n in range(3):
        services.notify(
            recipient_id=me.pk, kind=k.COMMENT, actor_id=actor.pk, data={"post_id": n, "comment_id": n}
        )
    mine = Notification.objects.filter(recipient=me).order_by("id").first()
    client = _client(me)

    with django_assert_num_queries(4):
        assert client.get("/api/v1/notifications/unread-count").json() == {"unreadCount": 3}
    read = client.post(f"/api/v1/notifications/{mine.pk}/read")
    assert read.status_code == 200
    assert read.json()["readAt"] is not None
    assert client.get("/api/v1/notifications/unread-count").json() == {"unreadCount": 2}
    assert _client(other).post(f"/api/v1/notifications/{mine.pk}/read").status_code == 404
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 2, "unreadCount": 0}


def test_preferences_round_trip_and_validation(make_user):
    me = make_user(handle="me")
    client = _client(me)

    initial = client.get("/api/v1/me/notification-preferences").json()
    assert initial["kinds"]["new_post"] == {"inApp": True, "email": False, "push": True}
    assert initial["digest"] is False

    updated = _put(
        client,
        "/api/v1/me/notification-preferences",
        {"kinds": {"new_post": {"email": True, "inApp": False}}, "digest": True},
    ).json()
    assert updated["kinds"]["new_post"] == {"inApp": False, "email": True, "push": True}
    assert updated["digest"] is True

    bad = _put(client, "/api/v1/me/notification-preferences", {"kinds": {"nope": {"email": True}}})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/me/notification-preferences").json() == updated


def test_push_subscriptions_subscribe_move_and_unsubscribe(make_user, settings):
    settings.VAPID_PUBLIC_KEY = "BPublicKey"
    me, other = make_user(handle="me"), make_user(handle="other")
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "p" * 87, "auth": "a" * 22}}

    created = _client(me).post(
        "/api/v1/me/push-subscriptions", json.dumps(body), content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json() == {"endpoint": "https://push.example/abc", "vapidPublicKey": "BPublicKey"}
    # The same browser signed in as someone else: the subscription follows the browser.
    _client(other).post("/api/v1/me/push-subscriptions", json.dumps(body), content_type="application/json")
    assert list(PushSubscription.objects.values_list("user__handle", flat=True)) == ["other"]

    gone = _client(other).generic(
        "DELETE",
        "/api/v1/me/push-subscriptions",
        json.dumps({"endpoint": body["endpoint"]}),
        content_type="application/json",
    )
    assert gone.status_code == 204
    assert PushSubscription.objects.count() == 0


def test_push_subscription_is_refused_when_push_is_not_configured(make_user, settings):
    settings.VAPID_PUBLIC_KEY = ""
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "p" * 87, "auth": "a" * 22}}
    response = _client(make_user(handle="me")).post(
        "/api/v1/me/push-subscriptions", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "push_not_configured"
    assert PushSubscription.objects.count() == 0


def test_push_subscription_endpoint_must_be_https_in_production(make_user, settings):
    settings.MODE = "production"
    settings.VAPID_PUBLIC_KEY = "BPublicKey"
    client = _client(make_user(handle="me"))
    for endpoint in (
        "http://push.example/abc",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "ftp://push.example/a",
        # Addresses in notations the resolver reads and ipaddress does not, and ones never public.
        "https://127.1/x",
        "https://2130706433/x",
        "https://0x7f000001/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1/x",
        # Malformed: an error, not a 500.
        "https://[::1/x",
        "https://push.example:99999/x",
    ):
        body = {"endpoint": endpoint, "keys": {"p256dh": "p" * 87, "auth": "a" * 22}}
        response = client.post(
            "/api/v1/me/push-subscriptions", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 422, endpoint
        assert response.json()["error"]["code"] == "invalid_endpoint"
    assert PushSubscription.objects.count() == 0
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc", "https://8.8.8.8/x"):  # push services
        body = {"endpoint": endpoint, "keys": {"p256dh": "p" * 87, "auth": "a" * 22}}
        response = client.post(
            "/api/v1/me/push-subscriptions", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201, endpoint


def test_anonymous_gets_401(db):
    assert Client().get("/api/v1/notifications").status_code == 401
    assert Client().get("/api/v1/notifications/unread-count").status_code == 401
