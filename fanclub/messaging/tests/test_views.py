"""Messaging pages through the test client: inbox, conversation, htmx send, unlock checkout,
tips, reports, settings, mass-message composer and the header badge."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fanclub.billing.models import Charge
from fanclub.billing.processors import SandboxCards
from fanclub.content.tests.factories import ready_media
from fanclub.messaging import services
from fanclub.messaging.models import MassMessage, Message, MessageReport, MessageUnlock, MessagingSettings
from fanclub.messaging.tests.factories import open_conversation, send
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_inbox_lists_conversations_with_unread_badges_and_header_count(fan, creator):
    send(fan, open_conversation(fan, creator), "first")
    send(fan, open_conversation(fan, creator), "second")

    html = _client(creator).get("/messages/").content.decode()

    assert "second" in html
    assert 'aria-label="2 unread"' in html
    assert "data-unread-messages>2</span>" in html


def test_start_conversation_then_page_shows_history_and_marks_read(fan, creator):
    client = _client(fan)
    response = client.post("/messages/start/", {"handle": "@dm.creator"})
    assert response.status_code == 302
    cid = int(response["Location"].rstrip("/").split("/")[-1])
    send(creator, open_conversation(creator, fan), "welcome!")

    page = client.get(f"/messages/{cid}/")

    assert page.status_code == 200
    assert "welcome!" in page.content.decode()
    assert 'id="conversation"' in page.content.decode()
    assert client.get("/messages/").content.decode().count("badge-unread") == 0


def test_htmx_send_returns_the_message_fragment(fan, creator):
    cid = open_conversation(fan, creator).conversation_id
    response = _client(fan).post(
        f"/messages/{cid}/send/", {"text": "via htmx", "client_id": "k1"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "via htmx" in response.content.decode()
    assert response.content.decode().strip().startswith('<li class="message is-mine"')
    assert Message.objects.get().text == "via htmx"


def test_htmx_send_error_is_shown_in_the_composer(fan, creator):
    cid = open_conversation(fan, creator).conversation_id
    response = _client(fan).post(f"/messages/{cid}/send/", {"text": "  "}, headers={"HX-Request": "true"})

    assert response["HX-Retarget"] == "#composer-error"
    assert "needs text or media" in response.content.decode()
    assert Message.objects.count() == 0


def test_foreign_conversation_pages_are_404(fan, creator, make_user):
    other = make_user(handle="dm.view.other")
    foreign = open_conversation(other, creator).conversation_id
    client = _client(fan)

    assert client.get(f"/messages/{foreign}/").status_code == 404
    assert client.post(f"/messages/{foreign}/send/", {"text": "x"}).status_code == 404
    assert Message.objects.count() == 0


def test_unlock_checkout_with_sandbox_card(fan, creator):
    photo = ready_media(creator)
    message = send(creator, open_conversation(creator, fan), "paid", media_ids=[photo.pk], price_minor=700)
    client = _client(fan)

    page = client.get(f"/messages/unlock/{message.pk}/")
    assert "USD 7.00" in page.content.decode()
    declined = client.post(
        f"/messages/unlock/{message.pk}/",
        {"idempotency_key": "a", "funding": "card", "card_number": SandboxCards.DECLINED},
    )
    assert declined.status_code == 422 and MessageUnlock.objects.count() == 0
    done = client.post(
        f"/messages/unlock/{message.pk}/",
        {"idempotency_key": "b", "funding": "card", "card_number": "4242 4242 4242 4242"},
    )

    assert done.status_code == 302 and done["Location"].endswith(f"#m-{message.pk}")
    assert MessageUnlock.objects.filter(fan=fan, message_id=message.pk).count() == 1
    conversation = client.get(f"/messages/{message.conversation_id}/").content.decode()
    assert "Unlock · USD 7.00" not in conversation and "Unlocked" in conversation
    assert _client(creator).get(f"/messages/unlock/{message.pk}/").status_code == 404


def test_tip_page_and_report(fan, creator):
    cid = open_conversation(fan, creator).conversation_id
    client = _client(fan)
    response = client.post(
        f"/messages/{cid}/tip/",
        {
            "idempotency_key": "t",
            "funding": "card",
            "card_number": "4242424242424242",
            "amount": "12.50",
            "note": "yay",
        },
    )
    assert response.status_code == 302
    assert Charge.objects.get().amount_minor == 1250
    incoming = send(creator, open_conversation(creator, fan), "hello")
    client.post(f"/messages/report/{incoming.pk}/", {"reason": "rude"})
    assert MessageReport.objects.get().reason == "rude"


def test_settings_page_for_creators_only(fan, creator):
    assert _client(fan).get("/messages/settings/").status_code == 403
    client = _client(creator)
    assert (
        client.post(
            "/messages/settings/", {"action": "gate", "gate": "price", "message_price": "2.50"}
        ).status_code
        == 302
    )
    assert MessagingSettings.objects.get(user=creator).message_price_minor == 250
    assert (
        client.post("/messages/settings/", {"action": "reply", "title": "Hi", "text": "Hello!"}).status_code
        == 302
    )
    assert "Hello!" in client.get("/messages/settings/").content.decode()


def test_mass_message_composer_preview_and_send(creator, make_user):
    fans = [make_user(handle=f"dm.page{i}") for i in range(2)]
    for fan in fans:
        social_services.follow_create(follower=fan, creator=creator)
    client = _client(creator)

    preview = client.post(
        "/studio/mass-messages/preview/",
        {"audience": "followers", "text": "Hi all"},
        headers={"HX-Request": "true"},
    )
    assert "<strong>2</strong> recipients" in preview.content.decode()
    assert "Hi all" in preview.content.decode()
    sent = client.post("/studio/mass-messages/", {"audience": "followers", "text": "Hi all"})
    assert sent.status_code == 302
    mass = MassMessage.objects.get()
    services.mass_message_send_batch(mass_message_id=mass.pk)
    page = client.get("/studio/mass-messages/").content.decode()
    assert f'data-mass="{mass.pk}"' in page and "<td>2</td>" in page
    assert _client(fans[0]).get("/studio/mass-messages/").status_code == 403


def test_anonymous_pages_redirect_to_sign_in(client):
    assert client.get("/messages/").status_code == 302
