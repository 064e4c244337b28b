"""Messaging services against the real database: sends, read receipts, gates, paid messages,
tips, refunds, blocks, rate limits, reports, welcome messages and mass messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fanclub.billing import selectors as billing_selectors
from fanclub.billing.constants import AccountKind, Funding
from fanclub.billing.models import Charge
from fanclub.billing.processors import SandboxCards
from fanclub.billing.services.payments import InsufficientCredit, Payment, charge_refund, wallet_top_up
from fanclub.content.tests.factories import make_creator, ready_media
from fanclub.core.errors import ApiError, NotFound
from fanclub.creators import services as creator_services
from fanclub.media.models import MediaUsage
from fanclub.media.permissions import can_view_variant
from fanclub.messaging import selectors, services
from fanclub.messaging.constants import MAX_TEXT_LENGTH, Gate, MessageKind
from fanclub.messaging.models import (
    Conversation,
    MassMessage,
    Message,
    MessageReport,
    MessageUnlock,
    Participant,
)
from fanclub.messaging.tests.factories import open_conversation, send
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db
CARD = Payment(funding=Funding.CARD, token=SandboxCards.SUCCEEDS)


def _counts() -> tuple[int, int, int, int]:
    return (
        Message.objects.count(),
        Conversation.objects.count(),
        Charge.objects.count(),
        MessageUnlock.objects.count(),
    )


def test_send_stores_message_updates_both_sides_and_unread(fan, creator):
    participant = open_conversation(fan, creator)

    first = send(fan, participant, "  hi there  ")
    second = send(fan, participant, "second")

    assert (first.text, first.sender_id, first.recipient_id, first.kind) == (
        "hi there",
        fan.pk,
        creator.pk,
        "text",
    )
    theirs = Participant.objects.get(user=creator)
    mine = Participant.objects.get(user=fan)
    assert (theirs.unread_count, theirs.last_message_preview) == (2, "second")
    assert (mine.unread_count, mine.last_read_message_id) == (0, second.pk)
    assert Conversation.objects.get().last_message_id == second.pk
    assert selectors.unread_total(user_id=creator.pk) == 2


def test_open_twice_returns_the_same_conversation_from_either_side(fan, creator):
    a = open_conversation(fan, creator)
    b = open_conversation(creator, fan)

    assert a.conversation_id == b.conversation_id
    assert Conversation.objects.count() == 1 and Participant.objects.count() == 2


def test_message_rows_live_in_the_monthly_partition(fan, creator):
    message = send(fan, open_conversation(fan, creator))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM messaging_message WHERE id = %s", [message.pk])
        (partition,) = cursor.fetchone()
    assert partition == f"messaging_message_p{timezone.now():%Y%m}"


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty_message"), ("   ", "empty_message"), ("x" * (MAX_TEXT_LENGTH + 1), "message_too_long")],
)
def test_empty_and_oversized_messages_are_refused_and_nothing_is_written(fan, creator, text, code):
    participant = open_conversation(fan, creator)
    before = _counts()

    with pytest.raises(ApiError) as error:
        send(fan, participant, text)

    assert (error.value.status, error.value.code) == (422, code)
    assert _counts() == before


def test_forged_conversation_id_is_404(fan, creator, make_user):
    other = make_user(handle="dm.other")
    theirs = open_conversation(other, creator)

    for forged in (theirs.conversation_id, 999999, "abc"):
        with pytest.raises(NotFound):
            services.message_send(sender=fan, conversation_id=forged, text="sneaky")
    assert Message.objects.count() == 0


def test_block_either_way_refuses_open_and_send(fan, creator):
    participant = open_conversation(fan, creator)
    social_services.block_create(blocker=creator, blocked=fan)

    with pytest.raises(ApiError) as on_send:
        send(fan, participant)
    with pytest.raises(ApiError) as on_open:
        open_conversation(creator, fan)

    assert (on_send.value.status, on_send.value.code) == (403, "blocked")
    assert on_open.value.code == "blocked"
    assert Message.objects.count() == 0


def test_client_id_makes_a_retried_send_return_the_first_message(fan, creator):
    participant = open_conversation(fan, creator)

    first = send(fan, participant, "once", client_id="c-1")
    again = send(fan, participant, "once", client_id="c-1")

    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert Participant.objects.get(user=creator).unread_count == 1


def test_a_text_send_is_two_statements(fan, creator, django_assert_num_queries):
    participant = open_conversation(fan, creator)

    # 1: the conversation, the recipient and their gate, blocks, an earlier send with this clientId;
    # 2: the message, its SendKey, both sides, the conversation and the badge count, one statement.
    with django_assert_num_queries(2):
        message = send(fan, participant, "two statements", client_id="c-2")
    # A retry: the lookup finds the key, then the first message.
    with django_assert_num_queries(2):
        assert send(fan, participant, "two statements", client_id="c-2").pk == message.pk

    theirs, mine = Participant.objects.get(user=creator), Participant.objects.get(user=fan)
    assert (theirs.unread_count, theirs.last_message_preview, theirs.last_read_message_id) == (
        1,
        "two statements",
        0,
    )
    assert (mine.unread_count, mine.last_read_message_id) == (0, message.pk)
    conversation = Conversation.objects.get()
    assert (conversation.last_message_id, conversation.last_message_at) == (message.pk, message.created_at)
    stored = Message.objects.get()
    assert (stored.pk, stored.created_at, stored.text, stored.kind) == (
        message.pk,
        message.created_at,
        "two statements",
        "text",
    )


def test_a_gated_send_reads_the_gate_with_the_conversation(fan, creator, django_assert_num_queries):
    services.settings_update(user=creator, gate=Gate.SUBSCRIBERS)
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=creator, fan=fan, tier_id=tier.pk)
    participant = open_conversation(fan, creator)

    with django_assert_num_queries(3):  # + the active membership
        send(fan, participant, "subscriber here")


def _send_racing_a_committed_key(monkeypatch):
    """Make the next send's lookup miss its clientId, as when a concurrent send with the same key
    commits between the lookup and the write."""
    from dataclasses import replace

    real = selectors.send_target
    monkeypatch.setattr(
        selectors, "send_target", lambda **kwargs: replace(real(**kwargs), replayed_message_id=None)
    )


def test_a_client_id_taken_after_the_lookup_writes_nothing_and_returns_the_first(fan, creator, monkeypatch):
    participant = open_conversation(fan, creator)
    first = send(fan, participant, "first", client_id="race")
    _send_racing_a_committed_key(monkeypatch)

    again = send(fan, participant, "second", client_id="race")

    assert again.pk == first.pk
    assert list(Message.objects.values_list("text", flat=True)) == ["first"]
    assert Participant.objects.get(user=creator).unread_count == 1
    assert Conversation.objects.get().last_message_id == first.pk


def test_a_client_id_taken_after_the_lookup_rolls_the_charge_back(fan, creator, monkeypatch):
    services.settings_update(user=creator, gate=Gate.PRICE, message_price_minor=300)
    participant = open_conversation(fan, creator)
    first = send(fan, participant, "paid", payment=CARD, idempotency_key="p-1", client_id="race")
    before = _counts()
    _send_racing_a_committed_key(monkeypatch)

    again = send(fan, participant, "paid again", payment=CARD, idempotency_key="p-2", client_id="race")

    assert again.pk == first.pk
    assert _counts() == before  # no second message, no second charge


def test_the_push_carries_the_unread_total_and_is_encoded_once(
    fan, creator, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    import json

    from fanclub.core import realtime

    other_fan = make_user(handle="dm.other")
    send(other_fan, open_conversation(other_fan, creator), "one")
    send(other_fan, open_conversation(other_fan, creator), "two")
    pushed: list[list[tuple[str, dict]]] = []
    monkeypatch.setattr(realtime, "group_send_many", pushed.append)

    with django_capture_on_commit_callbacks(execute=True):
        message = send(fan, open_conversation(fan, creator), "three")

    [messages] = pushed  # one hop for the transaction, the recipient first
    assert [group for group, _ in messages] == [f"user.{creator.pk}", f"user.{fan.pk}"]
    assert all(set(event) == {"type", "text"} for _, event in messages)  # JSON text, encoded once
    recipient_frame = json.loads(messages[0][1]["text"])
    assert (recipient_frame["type"], recipient_frame["message"]["id"], recipient_frame["unreadCount"]) == (
        "message.new",
        message.pk,
        3,
    )
    assert "unreadCount" not in json.loads(messages[1][1]["text"])


def test_mark_read_moves_forward_only_and_recounts(fan, creator):
    participant = open_conversation(fan, creator)
    m1, m2, m3 = (send(fan, participant, f"m{i}") for i in range(3))
    theirs = open_conversation(creator, fan)

    services.conversation_mark_read(
        user=creator, conversation_id=theirs.conversation_id, last_message_id=m2.pk
    )
    assert Participant.objects.get(user=creator).unread_count == 1
    services.conversation_mark_read(
        user=creator, conversation_id=theirs.conversation_id, last_message_id=m1.pk
    )
    state = Participant.objects.get(user=creator)
    assert (state.last_read_message_id, state.unread_count) == (m2.pk, 1)
    services.conversation_mark_read(user=creator, conversation_id=theirs.conversation_id)
    state = Participant.objects.get(user=creator)
    assert (state.last_read_message_id, state.unread_count) == (m3.pk, 0)


def test_rate_limit_is_stricter_for_new_accounts(settings, creator, make_user):
    settings.RATE_LIMIT_ENABLED = True
    settings.MESSAGING_PER_MINUTE = 4
    settings.MESSAGING_NEW_ACCOUNT_PER_MINUTE = 2
    newcomer = make_user(handle="dm.newcomer")
    participant = open_conversation(newcomer, creator)
    send(newcomer, participant, "1")
    send(newcomer, participant, "2")

    with pytest.raises(ApiError) as error:
        send(newcomer, participant, "3")

    assert (error.value.status, error.value.code) == (429, "rate_limited")
    assert error.value.details["limitPerMinute"] == 2
    assert Message.objects.count() == 2


def test_rate_limit_for_established_accounts(settings, fan, creator):
    settings.RATE_LIMIT_ENABLED = True
    settings.MESSAGING_PER_MINUTE = 3
    participant = open_conversation(fan, creator)
    for i in range(3):
        send(fan, participant, str(i))
    with pytest.raises(ApiError) as error:
        send(fan, participant, "over")
    assert error.value.details["limitPerMinute"] == 3


# --- Gates -----------------------------------------------------------------------------------------------
def test_subscribers_gate(fan, creator):
    services.settings_update(user=creator, gate=Gate.SUBSCRIBERS)
    participant = open_conversation(fan, creator)
    with pytest.raises(ApiError) as error:
        send(fan, participant)
    assert (error.value.status, error.value.code) == (403, "gate_not_met")
    assert Message.objects.count() == 0

    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=creator, fan=fan, tier_id=tier.pk)
    assert send(fan, participant).pk
    # The creator is never gated writing back.
    assert send(creator, open_conversation(creator, fan), "thanks").pk


def test_min_tip_gate_is_met_by_a_tip_in_the_conversation(fan, creator):
    services.settings_update(user=creator, gate=Gate.MIN_TIP, min_tip_minor=500)
    participant = open_conversation(fan, creator)
    with pytest.raises(ApiError) as error:
        send(fan, participant)
    assert error.value.details["amountMinor"] == 500

    with pytest.raises(ApiError):  # a smaller tip does not open the gate
        services.conversation_tip_send(
            fan=fan,
            conversation_id=participant.conversation_id,
            amount_minor=400,
            currency="USD",
            payment=CARD,
            idempotency_key="t1",
        )
        send(fan, participant)
    services.conversation_tip_send(
        fan=fan,
        conversation_id=participant.conversation_id,
        amount_minor=500,
        currency="USD",
        payment=CARD,
        idempotency_key="t2",
        note="for you",
    )
    assert send(fan, participant, "now I may").pk
    tip = Message.objects.get(kind=MessageKind.TIP, tip_minor=500)
    assert (tip.text, tip.charge.amount_minor) == ("for you", 500)


def test_price_gate_charges_each_message_or_asks_for_payment(fan, creator):
    services.settings_update(user=creator, gate=Gate.PRICE, message_price_minor=300)
    participant = open_conversation(fan, creator)

    with pytest.raises(ApiError) as error:
        send(fan, participant)
    assert (error.value.status, error.value.code) == (402, "payment_required")
    message = send(fan, participant, "paid hello", payment=CARD, idempotency_key="p1")

    assert message.charge.amount_minor == 300
    assert (
        billing_selectors.balance(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency="USD")
        == 240
    )


def test_price_gate_with_declined_card_writes_nothing(fan, creator):
    services.settings_update(user=creator, gate=Gate.PRICE, message_price_minor=300)
    participant = open_conversation(fan, creator)
    before = _counts()
    with pytest.raises(ApiError):
        send(
            fan,
            participant,
            payment=Payment(funding=Funding.CARD, token=SandboxCards.DECLINED),
            idempotency_key="p2",
        )
    assert _counts() == before


# --- Paid messages ------------------------------------------------------------------------------------
def _paid_message(creator, fan, price=700, media=None):
    media = media or [ready_media(creator)]
    message = send(
        creator,
        open_conversation(creator, fan),
        "just for you",
        media_ids=[m.pk for m in media],
        price_minor=price,
        currency="USD",
    )
    return message, media


def test_paid_message_is_locked_until_unlocked_then_media_is_the_fans(fan, creator):
    message, (photo,) = _paid_message(creator, fan)
    assert MediaUsage.objects.filter(
        media=photo, target_type="messaging.message", target_id=str(message.pk)
    ).exists()
    assert not can_view_variant(fan, photo, "display")
    assert can_view_variant(fan, photo, "blurred")

    charge = services.message_unlock_buy(fan=fan, message_id=message.pk, payment=CARD, idempotency_key="u1")

    assert (charge.amount_minor, charge.creator_id, charge.post_id) == (700, creator.pk, None)
    assert MessageUnlock.objects.filter(fan=fan, message_id=message.pk, charge=charge).exists()
    photo.refresh_from_db()
    assert can_view_variant(fan, photo, "display")
    assert (
        billing_selectors.balance(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency="USD")
        == 560
    )
    with pytest.raises(ApiError) as again:
        services.message_unlock_buy(fan=fan, message_id=message.pk, payment=CARD, idempotency_key="u2")
    assert again.value.code == "already_unlocked"


def test_sending_the_same_vault_item_again_shows_already_purchased(fan, creator):
    first, media = _paid_message(creator, fan)
    services.message_unlock_buy(fan=fan, message_id=first.pk, payment=CARD, idempotency_key="u1")
    second, _ = _paid_message(creator, fan, price=900, media=media)

    with pytest.raises(ApiError) as error:
        services.message_unlock_buy(fan=fan, message_id=second.pk, payment=CARD, idempotency_key="u2")
    _, page = selectors.message_list(user=fan, conversation_id=second.conversation_id)
    access = selectors.access_for(viewer_id=fan.pk, messages=page.items)
    from fanclub.messaging.presenters import message_out

    view = message_out(page.items[0], viewer_id=fan.pk, **access)

    assert error.value.code == "already_purchased"
    assert (view["id"], view["already_purchased"], view["is_locked"]) == (second.pk, True, False)
    assert view["media"][0]["variants"][0]["name"] == "display"


def test_locked_view_has_only_blurred_previews(fan, creator):
    message, _ = _paid_message(creator, fan)
    _, page = selectors.message_list(user=fan, conversation_id=message.conversation_id)
    from fanclub.messaging.presenters import message_out

    view = message_out(
        page.items[0], viewer_id=fan.pk, **selectors.access_for(viewer_id=fan.pk, messages=page.items)
    )

    assert view["is_locked"] is True
    assert [v["name"] for v in view["media"][0]["variants"]] == ["blurred"]
    own = message_out(page.items[0], viewer_id=creator.pk)
    assert [v["name"] for v in own["media"][0]["variants"]] == ["display", "thumb-640"]


def test_unlock_with_insufficient_wallet_credit_writes_nothing(fan, creator):
    message, _ = _paid_message(creator, fan)
    wallet_top_up(fan=fan, amount_minor=300, currency="USD", payment=CARD, idempotency_key="top")
    before = _counts()

    with pytest.raises(InsufficientCredit):
        services.message_unlock_buy(
            fan=fan, message_id=message.pk, payment=Payment(funding=Funding.WALLET), idempotency_key="u"
        )

    assert _counts() == before


def test_a_banned_senders_paid_message_cannot_be_bought(fan, creator, make_user):
    from fanclub.accounts import services as accounts_services

    message, _ = _paid_message(creator, fan)
    accounts_services.user_ban(actor=make_user(handle="mod"), user=creator, reason="rules")
    before = _counts()

    with pytest.raises(ApiError) as refused:
        services.message_unlock_buy(fan=fan, message_id=message.pk, payment=CARD, idempotency_key="u")

    assert (refused.value.status, refused.value.code) == (409, "seller_inactive")
    assert _counts() == before


def test_unlock_with_wallet_credit(fan, creator):
    message, _ = _paid_message(creator, fan)
    wallet_top_up(fan=fan, amount_minor=1000, currency="USD", payment=CARD, idempotency_key="top")
    services.message_unlock_buy(
        fan=fan, message_id=message.pk, payment=Payment(funding=Funding.WALLET), idempotency_key="u"
    )
    assert billing_selectors.balance(kind=AccountKind.FAN_WALLET, owner_id=fan.pk, currency="USD") == 300


def test_refund_of_the_unlock_takes_the_media_back(fan, creator):
    message, (photo,) = _paid_message(creator, fan)
    charge = services.message_unlock_buy(fan=fan, message_id=message.pk, payment=CARD, idempotency_key="u1")

    charge_refund(charge_id=charge.pk)

    assert not MessageUnlock.objects.exists()
    assert not can_view_variant(fan, photo, "display")


def test_only_the_recipient_may_unlock_and_fans_cannot_price_messages(fan, creator, make_user):
    message, _ = _paid_message(creator, fan)
    stranger = make_user(handle="dm.stranger")
    with pytest.raises(NotFound):
        services.message_unlock_buy(fan=stranger, message_id=message.pk, payment=CARD, idempotency_key="x")
    photo = ready_media(fan)
    with pytest.raises(ApiError) as error:
        send(fan, open_conversation(fan, creator), media_ids=[photo.pk], price_minor=500)
    assert error.value.code == "creators_only"


def test_media_must_come_from_the_senders_vault(fan, creator, make_user):
    other = make_creator(make_user, "dm.other.creator")
    theirs = ready_media(other)
    with pytest.raises(ApiError) as error:
        send(creator, open_conversation(creator, fan), media_ids=[theirs.pk])
    assert error.value.status == 422
    assert Message.objects.count() == 0


# --- Reports, welcome messages ---------------------------------------------------------------------------
def test_report_a_received_message_once(fan, creator):
    message = send(creator, open_conversation(creator, fan), "spam?")
    report = services.message_report(reporter=fan, message_id=message.pk, reason="spam")
    assert (report.message_id, report.status) == (message.pk, "open")
    with pytest.raises(ApiError) as error:
        services.message_report(reporter=fan, message_id=message.pk, reason="again")
    assert error.value.code == "already_reported"
    assert MessageReport.objects.count() == 1


def test_welcome_message_per_tier_once(fan, creator):
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    type(tier).objects.filter(pk=tier.pk).update(welcome_message="Welcome to Gold!")

    assert services.welcome_message_send(fan_id=fan.pk, tier_id=tier.pk) is True
    assert services.welcome_message_send(fan_id=fan.pk, tier_id=tier.pk) is False

    message = Message.objects.get()
    assert (message.kind, message.text, message.sender_id, message.recipient_id) == (
        "welcome",
        "Welcome to Gold!",
        creator.pk,
        fan.pk,
    )


def test_subscribing_defers_the_welcome_message(fan, creator):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from fanclub.billing.services import subscription_create

    plain = creator_services.tier_create(user=creator, name="Plain", price_minor=300)
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    type(tier).objects.filter(pk=tier.pk).update(welcome_message="Welcome to Gold!")
    other_fan = type(fan).objects.create_user(
        email="dm.other.fan@example.com", handle="dm.other.fan", password="x" * 20
    )
    subscription_create(fan=other_fan, tier_id=plain.pk, payment=CARD, idempotency_key="sub-plain")
    subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="sub")

    job = ProcrastinateJob.objects.get(task_name="fanclub.messaging.tasks.welcome_message_send_task")
    assert job.args == {"fan_id": fan.pk, "tier_id": tier.pk}


# --- Mass messages -------------------------------------------------------------------------------------
def test_mass_message_to_followers_in_batches_excludes_blocks(creator, make_user):
    followers = [make_user(handle=f"dm.follower{i}") for i in range(5)]
    for follower in followers:
        social_services.follow_create(follower=follower, creator=creator)
    social_services.block_create(blocker=followers[0], blocked=creator)
    photo = ready_media(creator)

    mass = services.mass_message_create(
        creator=creator,
        text="New set!",
        audience="followers",
        media_ids=[photo.pk],
        price_minor=500,
        currency="USD",
    )
    assert services.audience_count(creator=creator, audience="followers") == 4
    sent = [services.mass_message_send_batch(mass_message_id=mass.pk, batch_size=3) for _ in range(3)]

    mass.refresh_from_db()
    assert sent == [3, 1, 0]
    assert (mass.state, mass.sent_count) == ("sent", 4)
    recipients = set(Message.objects.filter(mass_message=mass).values_list("recipient_id", flat=True))
    assert recipients == {f.pk for f in followers[1:]}
    one = Message.objects.filter(mass_message=mass).order_by("id").first()
    services.message_unlock_buy(fan=one.recipient, message_id=one.pk, payment=CARD, idempotency_key="m1")
    services.conversation_mark_read(user=one.recipient, conversation_id=one.conversation_id)
    stats = selectors.mass_message_stats(mass_message=mass)
    assert stats == {"sent": 4, "read": 1, "unlocked": 1, "revenue_minor": 500, "currency": "USD"}


def test_a_mass_message_stops_when_its_sender_is_banned_mid_send(creator, make_user):
    from fanclub.accounts import services as accounts_services

    followers = [make_user(handle=f"dm.follower{i}") for i in range(5)]
    for follower in followers:
        social_services.follow_create(follower=follower, creator=creator)
    mass = services.mass_message_create(creator=creator, text="Buy now!", audience="followers")
    assert services.mass_message_send_batch(mass_message_id=mass.pk, batch_size=2) == 2
    accounts_services.user_ban(actor=make_user(handle="mod"), user=creator, reason="spam")

    assert services.mass_message_send_batch(mass_message_id=mass.pk, batch_size=2) == 0
    assert services.mass_message_send_batch(mass_message_id=mass.pk, batch_size=2) == 0

    mass.refresh_from_db()
    assert (mass.state, mass.sent_count) == ("stopped", 2)
    assert Message.objects.filter(mass_message=mass).count() == 2


def test_mass_message_to_a_tier(creator, make_user):
    gold = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    silver = creator_services.tier_create(user=creator, name="Silver", price_minor=300)
    a, b = make_user(handle="dm.gold"), make_user(handle="dm.silver")
    creator_services.membership_grant(creator=creator, fan=a, tier_id=gold.pk)
    creator_services.membership_grant(creator=creator, fan=b, tier_id=silver.pk)

    assert services.audience_count(creator=creator, audience="tier", tier_id=gold.pk) == 1
    assert services.audience_count(creator=creator, audience="subscribers") == 2
    mass = services.mass_message_create(creator=creator, text="Gold only", audience="tier", tier_id=gold.pk)
    services.mass_message_send_batch(mass_message_id=mass.pk)
    assert list(Message.objects.values_list("recipient_id", flat=True)) == [a.pk]


def test_mass_message_refuses_fans_and_foreign_tiers(fan, creator, make_user):
    other = make_creator(make_user, "dm.other.c")
    foreign = creator_services.tier_create(user=other, name="Theirs", price_minor=500)
    with pytest.raises(ApiError) as as_fan:
        services.mass_message_create(creator=fan, text="hi", audience="followers")
    with pytest.raises(ApiError) as foreign_tier:
        services.mass_message_create(creator=creator, text="hi", audience="tier", tier_id=foreign.pk)
    assert (as_fan.value.status, foreign_tier.value.status) == (403, 422)
    assert MassMessage.objects.count() == 0


def test_resume_returns_missed_messages_in_order(fan, creator):
    participant = open_conversation(fan, creator)
    first = send(fan, participant, "a")
    rest = [send(creator, open_conversation(creator, fan), f"b{i}") for i in range(3)]

    missed, more = selectors.messages_since(user_id=fan.pk, last_id=first.pk, limit=2)
    assert [m.pk for m in missed] == [rest[0].pk, rest[1].pk] and more is True
    missed, more = selectors.messages_since(user_id=fan.pk, last_id=rest[1].pk)
    assert [m.pk for m in missed if m.pk > rest[1].pk] == [rest[2].pk] and more is False


def test_partitions_ensure_creates_months_ahead_and_moves_default_rows(fan, creator):
    from fanclub.messaging import partitions

    participant = open_conversation(fan, creator)
    far = timezone.now() + timedelta(days=365 * 2)
    message = send(fan, participant, "from the future")
    Message.objects.filter(pk=message.pk).update(created_at=far)  # moves the row to DEFAULT
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM messaging_message_default")
        assert cursor.fetchone()[0] == 1

    created = partitions.partitions_ensure(today=far.date(), months_ahead=1)

    assert created == [
        f"messaging_message_p{far:%Y%m}",
        partitions.partition_name(partitions._month(far.date(), 1)),
    ]
    assert partitions.partitions_ensure(today=far.date(), months_ahead=1) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM messaging_message WHERE id = %s", [message.pk])
        assert cursor.fetchone()[0] == f"messaging_message_p{far:%Y%m}"
    assert Message.objects.get(pk=message.pk).text == "from the future"


def test_a_new_message_notifies_the_recipient_after_commit(fan, creator, django_capture_on_commit_callbacks):
    from fanclub.notifications import services as notification_services
    from fanclub.notifications.models import Notification

    participant = open_conversation(fan, creator)
    with django_capture_on_commit_callbacks(execute=True):
        send(fan, participant, "by default only the inbox badge")
    assert not Notification.objects.exists()  # messages are not listed in-app unless chosen

    notification_services.preferences_update(user_id=creator.pk, preferences={"message": {"in_app": True}})
    with django_capture_on_commit_callbacks(execute=True):
        message = send(fan, participant, "ping me")
        assert not Notification.objects.exists()  # nothing before the commit

    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.actor_id) == (
        creator.pk,
        "message",
        fan.pk,
    )
    assert notification.data["messageId"] == message.pk


def test_a_muted_sender_still_delivers_but_does_not_notify(fan, creator, django_capture_on_commit_callbacks):
    from fanclub.notifications.models import Notification

    social_services.mute_create(muter=creator, muted=fan)
    with django_capture_on_commit_callbacks(execute=True):
        send(fan, open_conversation(fan, creator), "quietly")

    assert Message.objects.filter(recipient=creator).count() == 1
    assert not Notification.objects.exists()
