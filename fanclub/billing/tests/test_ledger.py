from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from fanclub.billing import ledger, selectors
from fanclub.billing.constants import AccountKind, EntryKind
from fanclub.billing.models import JournalEntry, Posting
from fanclub.billing.tests.helpers import assert_ledger_invariants


@given(gross=st.integers(min_value=0, max_value=10**12), bps=st.integers(min_value=0, max_value=10_000))
def test_fee_split_is_exact_and_rounds_half_up(gross, bps):
    fee, net = ledger.fee_split(gross_minor=gross, fee_bps=bps)

    assert fee + net == gross
    assert 0 <= fee <= gross
    # Half up: the fee is the nearest integer to gross*bps/10000, ties upward.
    assert abs(fee * 10_000 - gross * bps) <= 5_000
    assert fee * 10_000 - gross * bps != -5_000


def test_fee_split_examples():
    assert ledger.fee_split(gross_minor=999, fee_bps=2000) == (200, 799)  # 199.8 -> 200
    assert ledger.fee_split(gross_minor=1, fee_bps=5000) == (1, 0)  # 0.5 -> 1 (half up)
    assert ledger.fee_split(gross_minor=1, fee_bps=2000) == (0, 1)  # 0.2 -> 0
    with pytest.raises(ValueError):
        ledger.fee_split(gross_minor=-1, fee_bps=2000)


def _accounts(fan):
    wallet = ledger.account_for(kind=AccountKind.FAN_WALLET, owner_id=fan.pk, currency="USD")
    clearing = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, "USD")
    return wallet, clearing


@pytest.mark.django_db
def test_unbalanced_entry_is_refused_by_the_database_at_commit(fan):
    wallet, clearing = _accounts(fan)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(kind=EntryKind.TOP_UP)
        Posting.objects.create(entry=entry, account=wallet, amount_minor=500, currency="USD")
        Posting.objects.create(entry=entry, account=clearing, amount_minor=-400, currency="USD")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does
    assert Posting.objects.count() == 0


@pytest.mark.django_db
def test_service_refuses_unbalanced_lines(fan):
    wallet, clearing = _accounts(fan)
    with pytest.raises(ledger.UnbalancedEntry), transaction.atomic():
        ledger.entry_post(kind=EntryKind.TOP_UP, lines=[(wallet, 500), (clearing, -499)])
    assert Posting.objects.count() == 0


@pytest.mark.django_db
def test_postings_and_entries_are_immutable(fan):
    wallet, clearing = _accounts(fan)
    with transaction.atomic():
        entry = ledger.entry_post(kind=EntryKind.TOP_UP, lines=[(wallet, 500), (clearing, -500)])
    for statement in (
        "UPDATE billing_posting SET amount_minor = 1",
        "DELETE FROM billing_posting",
        "UPDATE billing_journalentry SET memo = 'x'",
        "DELETE FROM billing_journalentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert list(
        Posting.objects.filter(entry=entry).values_list("amount_minor", flat=True).order_by("id")
    ) == [
        500,
        -500,
    ]


@pytest.mark.django_db
def test_wallet_cannot_go_negative_even_bypassing_the_service(fan):
    wallet, clearing = _accounts(fan)
    with pytest.raises(IntegrityError, match="billing_account_non_negative"), transaction.atomic():
        entry = JournalEntry.objects.create(kind=EntryKind.TIP)
        Posting.objects.create(entry=entry, account=wallet, amount_minor=-1, currency="USD")
        Posting.objects.create(entry=entry, account=clearing, amount_minor=1, currency="USD")
    assert selectors.balance(kind=AccountKind.FAN_WALLET, currency="USD", owner_id=fan.pk) == 0


@pytest.mark.django_db
def test_posting_currency_must_match_its_account(fan):
    wallet, _ = _accounts(fan)
    eur = ledger.platform_account(AccountKind.PROCESSOR_CLEARING, "EUR")
    with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
        entry = JournalEntry.objects.create(kind=EntryKind.TOP_UP)
        Posting.objects.create(entry=entry, account=wallet, amount_minor=5, currency="EUR")
        Posting.objects.create(entry=entry, account=eur, amount_minor=-5, currency="EUR")
    assert_ledger_invariants()
