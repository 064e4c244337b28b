"""The tip's hot path: one lookup (creator, blocks, post), one statement for the booked rows, the
notification job in the tip's transaction (docs/benchmarks.md "Billing tips")."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from fanclub.billing import ledger, selectors
from fanclub.billing import services as billing
from fanclub.billing.constants import AccountKind, ChargeKind, ChargeStatus, EntryKind, Funding
from fanclub.billing.models import (
    Charge,
    Hold,
    IdempotencyRecord,
    JournalEntry,
    LedgerAccount,
    Posting,
    SandboxRecord,
)
from fanclub.billing.processors import SandboxCards
from fanclub.billing.tests.factories import CARD, make_creator
from fanclub.billing.tests.helpers import assert_ledger_invariants
from fanclub.content import services as content_services
from fanclub.core.errors import NotFound
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


def _tip_body(handle: str = "tip.creator", post_id: int | None = None) -> dict:
    return {
        "creatorHandle": handle,
        "amountMinor": 1000,
        "currency": "USD",
        "postId": post_id,
        "payment": {"funding": "card", "cardToken": SandboxCards.SUCCEEDS},
    }


def _post_tip(fan, body: dict, key: str = "k1"):
    client = Client()
    client.force_login(fan)
    return client.post(
        "/api/v1/billing/tips",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _nothing_written() -> bool:
    return not (
        Charge.objects.exists()
        or Hold.objects.exists()
        or JournalEntry.objects.exists()
        or Posting.objects.exists()
        or SandboxRecord.objects.exists()
        or IdempotencyRecord.objects.exists()
    )


def _jobs() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name LIKE %s", ["%notify_task"])
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.parametrize("blocker", ["creator", "fan"])
def test_a_block_either_way_refuses_the_tip_like_an_unknown_creator_and_changes_nothing(
    make_user, fan, blocker
):
    creator = make_creator(make_user, "tip.creator")
    if blocker == "creator":
        social_services.block_create(blocker=creator, blocked=fan)
    else:
        social_services.block_create(blocker=fan, blocked=creator)

    response = _post_tip(fan, _tip_body())

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (
        response.json()["error"]["message"]
        == _post_tip(fan, _tip_body("nobody"), key="k2").json()["error"]["message"]
    )
    assert _nothing_written() and _jobs() == 0


def test_a_tip_on_a_post_needs_a_post_of_that_creator(make_user, fan):
    creator = make_creator(make_user, "tip.creator")
    other = make_creator(make_user, "tip.other")
    own_post = content_services.post_create(creator=creator, text="hello", access="public", publish=True)
    other_post = content_services.post_create(creator=other, text="hi", access="public", publish=True)

    refused = _post_tip(fan, _tip_body(post_id=other_post.pk), key="k1")
    assert refused.status_code == 404 and refused.json()["error"]["message"] == "No such post."
    assert _nothing_written()

    accepted = _post_tip(fan, _tip_body(post_id=own_post.pk), key="k2")
    assert accepted.status_code == 201 and accepted.json()["postId"] == own_post.pk
    assert Charge.objects.get().post_id == own_post.pk


def test_the_recipient_lookup_ignores_fans_inactive_creators_and_other_pairs_blocks(make_user, fan):
    creator = make_creator(make_user, "tip.creator")
    plain_fan = make_user(handle="tip.plainfan")
    stranger = make_user(handle="tip.stranger")
    social_services.block_create(blocker=creator, blocked=stranger)

    found = selectors.tip_recipient_for(handle="tip.creator", fan_id=fan.pk, post_id=None)
    assert found is not None and found.creator.pk == creator.pk and not found.blocked and found.post_found
    assert selectors.tip_recipient_for(handle="tip.plainfan", fan_id=fan.pk, post_id=None) is None
    assert plain_fan.pk  # a fan is no tip recipient
    creator.is_active = False
    creator.save(update_fields=["is_active"])
    assert selectors.tip_recipient_for(handle="tip.creator", fan_id=fan.pk, post_id=None) is None


def test_one_statement_writes_the_charge_its_hold_the_entry_and_its_postings(make_user, fan):
    creator = make_creator(make_user, "tip.creator")

    charge = billing.tip_send(
        fan=fan,
        creator_handle="tip.creator",
        amount_minor=999,
        currency="USD",
        payment=CARD,
        idempotency_key="a",
    )

    stored = Charge.objects.get(pk=charge.pk)
    assert (stored.kind, stored.funding, stored.status) == (
        ChargeKind.TIP,
        Funding.CARD,
        ChargeStatus.SUCCEEDED,
    )
    assert (stored.amount_minor, stored.fee_minor, stored.creator_id, stored.fan_id) == (
        999,
        200,
        creator.pk,
        fan.pk,
    )
    assert stored.created_at == charge.created_at and not charge._state.adding
    hold = Hold.objects.get(charge=charge)
    assert (hold.creator_id, hold.remaining_minor, hold.released_entry_id) == (creator.pk, 799, None)
    assert timedelta(days=6) < hold.release_at - timezone.now() <= timedelta(days=7)
    entry = JournalEntry.objects.get(charge=charge)
    postings = list(entry.postings.order_by("id").values_list("account__kind", "amount_minor"))
    assert postings == [
        (AccountKind.PROCESSOR_CLEARING, -999),
        (AccountKind.CREATOR_PENDING, 799),
        (AccountKind.PLATFORM_FEES, 200),
    ]
    assert LedgerAccount.objects.get(kind=AccountKind.CREATOR_PENDING, owner=creator).balance_minor == 799
    assert_ledger_invariants()


def test_entry_post_saves_the_new_rows_and_returns_their_keys(make_user, fan):
    creator = make_creator(make_user, "tip.creator")
    clearing = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, "USD")
    pending = ledger.account_for(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency="USD")
    charge = Charge(fan=fan, creator=creator, kind=ChargeKind.TIP, funding=Funding.CARD, amount_minor=500,
                    currency="USD")  # fmt: skip
    hold = Hold(
        charge=charge, creator=creator, currency="USD", remaining_minor=500, release_at=timezone.now()
    )

    with transaction.atomic():
        entry = ledger.entry_post(
            kind=EntryKind.TIP,
            lines=[(clearing, -500), (pending, 500)],
            charge=charge,
            new_rows=[charge, hold],
        )

    assert entry.pk == JournalEntry.objects.get(charge=charge).pk and entry.charge_id == charge.pk
    assert hold.pk == Hold.objects.get(charge=charge).pk
    assert not entry._state.adding and not hold._state.adding and not charge._state.adding
    assert_ledger_invariants()


def test_an_unbalanced_entry_writes_none_of_its_new_rows(make_user, fan):
    creator = make_creator(make_user, "tip.creator")
    clearing = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, "USD")
    pending = ledger.account_for(kind=AccountKind.CREATOR_PENDING, owner_id=creator.pk, currency="USD")
    charge = Charge(fan=fan, creator=creator, kind=ChargeKind.TIP, funding=Funding.CARD, amount_minor=500,
                    currency="USD")  # fmt: skip

    with pytest.raises(ledger.UnbalancedEntry), transaction.atomic():
        ledger.entry_post(
            kind=EntryKind.TIP, lines=[(clearing, -500), (pending, 499)], charge=charge, new_rows=[charge]
        )

    assert not Charge.objects.exists() and not Posting.objects.exists()


def test_the_tip_and_its_notification_job_commit_or_roll_back_together(make_user, fan):
    make_creator(make_user, "tip.creator")

    with pytest.raises(NotFound), transaction.atomic():
        billing.tip_send(
            fan=fan,
            creator_handle="tip.creator",
            amount_minor=999,
            currency="USD",
            payment=CARD,
            idempotency_key="a",
        )
        assert _jobs() == 1 and Charge.objects.count() == 1
        raise NotFound("rolled back by the test")

    assert _jobs() == 0 and _nothing_written()
