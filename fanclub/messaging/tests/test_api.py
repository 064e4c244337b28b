"""The messaging API through Django's test client: shapes, errors, idempotency, query budgets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fanclub.billing.models import Charge
from fanclub.billing.processors import SandboxCards
from fanclub.content.tests.factories import make_creator, ready_media
from fanclub.messaging import services
from fanclub.messaging.models import MassMessage, Message, MessageUnlock, SavedReply
from fanclub.messaging.tests.factories import open_conversation, send

pytestmark = pytest.mark.django_db
BASE = "/api/v1/messaging"
CARD = {"funding": "card", "cardToken": SandboxCards.SUCCEEDS}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(
    client: Client, path: str, body: dict[str, Any], key: str | None = None, method: str = "post"
) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return getattr(client, method)(
        f"{BASE}{path}", json.dumps(body), content_type="application/json", headers=headers
    )


def test_open_send_list_and_read(fan, creator):
    client = _client(fan)
    opened = _post(client, "/conversations", {"handle": creator.handle})
    assert opened.status_code == 200
    conversation = opened.json()
    assert conversation["other"] == {
        "id": creator.pk,
        "handle": "dm.creator",
        "name": "Dm.Creator",
        "isCreator": True,
    }
    assert conversation["gate"] is None
    cid = conversation["id"]

    sent = _post(client, f"/conversations/{cid}/messages", {"text": "hello", "clientId": "abc"})
    assert sent.status_code == 201
    body = sent.json()
    assert (body["text"], body["isMine"], body["isLocked"], body["conversationId"]) == (
        "hello",
        True,
        False,
        cid,
    )
    again = _post(client, f"/conversations/{cid}/messages", {"text": "hello", "clientId": "abc"})
    assert again.json()["id"] == body["id"]

    creator_client = _client(creator)
    inbox = creator_client.get(f"{BASE}/conversations").json()
    assert [(c["id"], c["unreadCount"], c["lastMessagePreview"]) for c in inbox["items"]] == [
        (cid, 1, "hello")
    ]
    assert creator_client.get(f"{BASE}/unread").json() == {"count": 1}
    read = _post(creator_client, f"/conversations/{cid}/read", {})
    assert read.json() == {"conversationId": cid, "lastReadMessageId": body["id"], "unreadCount": 0}
    history = client.get(f"{BASE}/conversations/{cid}/messages").json()
    assert history["items"][0]["isRead"] is True


def test_errors_use_the_standard_shape(fan, creator, make_user):
    client = _client(fan)
    cid = _post(client, "/conversations", {"handle": creator.handle}).json()["id"]
    other = make_user(handle="dm.someone")
    foreign = open_conversation(other, creator).conversation_id

    empty = _post(client, f"/conversations/{cid}/messages", {"text": "  "})
    forged = _post(client, f"/conversations/{foreign}/messages", {"text": "hi"})
    nobody = _post(client, "/conversations", {"handle": "no-such-handle"})
    myself = _post(client, "/conversations", {"handle": fan.handle})

    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "empty_message")
    assert (forged.status_code, forged.json()["error"]["code"]) == (404, "not_found")
    assert nobody.status_code == 404
    assert (myself.status_code, myself.json()["error"]["code"]) == (409, "self_message")
    assert set(empty.json()["error"]) == {"code", "message", "details", "requestId", "timestamp"}
    assert Message.objects.count() == 0


def _queries(client: Client, url: str) -> tuple[Any, int]:
    """The response and its query count, without the device session's once-a-minute last-seen
    touch (accounts' middleware; it lands on whichever request crosses the minute)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    touches = [q for q in captured.captured_queries if q["sql"].startswith('UPDATE "accounts_devicesession"')]
    return response, len(captured.captured_queries) - len(touches)


def test_inbox_query_budget_does_not_grow_with_conversations(fan, make_user):
    for i in range(3):
        creator = make_creator(make_user, f"dm.c{i}")
        send(creator, open_conversation(creator, fan), f"hi {i}")
    client = _client(fan)
    client.get(f"{BASE}/conversations")  # session and device-session rows settle
    first, count = _queries(client, f"{BASE}/conversations?limit=2")
    assert count == 4  # session, user, device session, the page
    for i in range(3, 8):
        creator = make_creator(make_user, f"dm.c{i}")
        send(creator, open_conversation(creator, fan), f"hi {i}")
    second, count = _queries(client, f"{BASE}/conversations?limit=8")
    assert count == 4
    assert len(first.json()["items"]) == 2 and first.json()["nextCursor"]
    assert len(second.json()["items"]) == 8


def test_history_query_budget_with_paid_media(fan, creator):
    photo = ready_media(creator)
    participant = open_conversation(creator, fan)
    send(creator, participant, "free")
    client = _client(fan)
    cid = participant.conversation_id
    send(creator, participant, "paid 0", media_ids=[photo.pk], price_minor=500)
    client.get(f"{BASE}/conversations/{cid}/messages")
    # session, user, device session, participant, messages, attachments, read marker, unlocks, owned media
    assert _queries(client, f"{BASE}/conversations/{cid}/messages")[1] == 9
    for i in range(1, 10):
        send(creator, participant, f"paid {i}", media_ids=[photo.pk], price_minor=500)
    response, count = _queries(client, f"{BASE}/conversations/{cid}/messages?limit=30")
    page = response.json()
    assert count == 9
    assert len(page["items"]) == 11
    assert all(item["isLocked"] for item in page["items"][:10])
    cursor = client.get(f"{BASE}/conversations/{cid}/messages?limit=4").json()["nextCursor"]
    older = client.get(f"{BASE}/conversations/{cid}/messages?limit=30&cursor={cursor}").json()
    assert len(older["items"]) == 7
    bad = client.get(f"{BASE}/conversations/{cid}/messages?cursor=garbage")
    assert bad.status_code == 400


def test_unlock_is_idempotent_and_needs_a_key(fan, creator):
    photo = ready_media(creator)
    message = send(creator, open_conversation(creator, fan), "paid", media_ids=[photo.pk], price_minor=800)
    client = _client(fan)

    missing = _post(client, f"/messages/{message.pk}/unlock", {"payment": CARD})
    first = _post(client, f"/messages/{message.pk}/unlock", {"payment": CARD}, key="k-1")
    replay = _post(client, f"/messages/{message.pk}/unlock", {"payment": CARD}, key="k-1")

    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "idempotency_key_required")
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    assert first.json()["amountMinor"] == 800
    assert Charge.objects.count() == 1 and MessageUnlock.objects.count() == 1
    view = client.get(f"{BASE}/conversations/{message.conversation_id}/messages").json()["items"][0]
    assert (view["isLocked"], view["isUnlocked"]) == (False, True)


def test_unlock_declined_card_is_402_and_writes_nothing(fan, creator):
    photo = ready_media(creator)
    message = send(creator, open_conversation(creator, fan), "paid", media_ids=[photo.pk], price_minor=800)
    response = _post(
        _client(fan),
        f"/messages/{message.pk}/unlock",
        {"payment": {"funding": "card", "cardToken": SandboxCards.DECLINED}},
        key="k",
    )
    assert response.status_code == 402
    assert Charge.objects.count() == 0 and MessageUnlock.objects.count() == 0


def test_tip_in_conversation(fan, creator):
    cid = open_conversation(fan, creator).conversation_id
    response = _post(
        _client(fan),
        f"/conversations/{cid}/tips",
        {"amountMinor": 1500, "note": "thanks!", "payment": CARD},
        key="tip-1",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "tip"
    message = Message.objects.get()
    assert (message.kind, message.tip_minor, message.text) == ("tip", 1500, "thanks!")


def test_price_gate_through_the_api(fan, creator):
    services.settings_update(user=creator, gate="price", message_price_minor=250)
    client = _client(fan)
    conversation = _post(client, "/conversations", {"handle": creator.handle}).json()
    assert conversation["gate"] == {
        "gate": "price",
        "message": "Each message to this creator has a price.",
        "amountMinor": 250,
        "currency": "USD",
    }
    cid = conversation["id"]

    unpaid = _post(client, f"/conversations/{cid}/messages", {"text": "hi"})
    paid = _post(client, f"/conversations/{cid}/messages", {"text": "hi", "payment": CARD}, key="pm-1")
    replay = _post(client, f"/conversations/{cid}/messages", {"text": "hi", "payment": CARD}, key="pm-1")

    assert (unpaid.status_code, unpaid.json()["error"]["code"]) == (402, "payment_required")
    assert paid.status_code == 201 and replay.json()["id"] == paid.json()["id"]
    assert Charge.objects.get().amount_minor == 250


def test_settings_saved_replies_and_reports(fan, creator):
    creator_client = _client(creator)
    updated = _post(creator_client, "/settings", {"gate": "min_tip", "minTipMinor": 500}, method="put")
    assert updated.json() == {
        "gate": "min_tip",
        "minTipMinor": 500,
        "messagePriceMinor": None,
        "currency": "USD",
    }
    bad = _post(creator_client, "/settings", {"gate": "min_tip"}, method="put")
    assert bad.status_code == 422
    as_fan = _post(_client(fan), "/settings", {"gate": "open"}, method="put")
    assert as_fan.status_code == 403

    reply = _post(creator_client, "/saved-replies", {"title": "Thanks", "text": "Thank you so much!"})
    assert reply.status_code == 201
    listed = creator_client.get(f"{BASE}/saved-replies").json()
    assert [r["title"] for r in listed] == ["Thanks"]
    assert _client(fan).delete(f"{BASE}/saved-replies/{reply.json()['id']}").status_code == 404
    assert creator_client.delete(f"{BASE}/saved-replies/{reply.json()['id']}").status_code == 204
    assert SavedReply.objects.count() == 0

    message = send(creator, open_conversation(creator, fan), "buy my stuff")
    report = _post(_client(fan), f"/messages/{message.pk}/report", {"reason": "spam"})
    assert report.status_code == 201 and report.json()["messageId"] == message.pk
    own = _post(creator_client, f"/messages/{message.pk}/report", {"reason": "x"})
    assert own.status_code == 409


def test_mass_message_api(creator, make_user, run_jobs=None):
    fans = [make_user(handle=f"dm.mass{i}") for i in range(3)]
    from fanclub.social import services as social_services

    for fan in fans:
        social_services.follow_create(follower=fan, creator=creator)
    client = _client(creator)
    preview = _post(client, "/mass-messages/preview", {"audience": "followers"})
    assert preview.json() == {"audience": "followers", "recipients": 3}
    created = _post(client, "/mass-messages", {"audience": "followers", "text": "Hello all"})
    assert created.status_code == 201 and created.json()["state"] == "queued"
    mass_id = created.json()["id"]
    services.mass_message_send_batch(mass_message_id=mass_id)
    detail = client.get(f"{BASE}/mass-messages/{mass_id}").json()
    assert detail["stats"] == {"sent": 3, "read": 0, "unlocked": 0, "revenueMinor": 0, "currency": "USD"}
    assert [m["id"] for m in client.get(f"{BASE}/mass-messages").json()] == [mass_id]
    as_fan = _client(fans[0])
    assert _post(as_fan, "/mass-messages", {"audience": "followers", "text": "x"}).status_code == 403
    assert as_fan.get(f"{BASE}/mass-messages/{mass_id}").status_code == 403
    assert MassMessage.objects.count() == 1


def test_anonymous_is_401(client):
    assert client.get(f"{BASE}/conversations").status_code == 401
