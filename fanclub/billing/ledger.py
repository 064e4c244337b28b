"""The ledger's write path: accounts, balanced entries and the one rounding function.

Everything that moves money ends in :func:`entry_post`; nothing else writes postings.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from fanclub.billing.constants import OWNER_KINDS, AccountKind
from fanclub.billing.models import Charge, JournalEntry, LedgerAccount, Posting


class UnbalancedEntry(ValueError):
    """A programming error: the lines of an entry do not sum to zero per currency."""


def fee_split(*, gross_minor: int, fee_bps: int | None = None) -> tuple[int, int]:
    """Split ``gross_minor`` into (platform fee, creator net). The only place money is rounded.

    Rule: fee = gross x bps / 10000 rounded half up to the minor unit (integer arithmetic:
    ``(gross * bps + 5000) // 10000``); net = gross - fee, so fee + net == gross always and the
    creator never loses a rounding unit to floating point. Negative amounts are refused.
    """
    if gross_minor < 0:
        raise ValueError("gross_minor must not be negative")
    bps = settings.BILLING_PLATFORM_FEE_BPS if fee_bps is None else fee_bps
    if not 0 <= bps <= 10_000:
        raise ValueError("fee_bps must be between 0 and 10000")
    fee = proportion(amount_minor=gross_minor, part=bps, whole=10_000)
    return fee, gross_minor - fee


def proportion(*, amount_minor: int, part: int, whole: int) -> int:
    """``amount_minor x part / whole`` rounded half up to the minor unit, in integers: the one
    rounding rule of billing (fees, percentage discounts, proration credits all go through it).

    ``(amount x part x 2 + whole) // (2 x whole)``; for whole = 10000 this is exactly
    ``(amount x part + 5000) // 10000``.
    """
    if amount_minor < 0 or part < 0 or whole <= 0:
        raise ValueError("proportion needs a non-negative amount and part and a positive whole")
    return (amount_minor * part * 2 + whole) // (2 * whole)


# Account rows never change identity once created (postings PROTECT them): they are cached per
# process, filled only after the transaction that read them commits (a rolled-back creation is never
# cached) and cleared when the database is flushed (post_migrate, see apps.py). A cached row's
# ``balance_minor`` is not current: balance checks read it through ``lock_accounts``.
_ACCOUNTS: dict[tuple[str, int | None, str], LedgerAccount] = {}
ACCOUNT_CACHE_SIZE = 50_000


def _remember(key: tuple[str, int | None, str], account: LedgerAccount) -> None:
    def remember() -> None:
        # Still inside a transaction (a test running captured callbacks early): not durable yet.
        if connection.in_atomic_block:
            return
        if len(_ACCOUNTS) >= ACCOUNT_CACHE_SIZE:
            _ACCOUNTS.clear()
        _ACCOUNTS.setdefault(key, account)

    transaction.on_commit(remember)


def account_for(*, kind: str, currency: str, owner_id: int | None = None) -> LedgerAccount:
    """The account (kind, owner, currency), created on first use (concurrency-safe upsert)."""
    if (kind in OWNER_KINDS) != (owner_id is not None):
        raise ValueError(f"{kind}: owner accounts need an owner, platform accounts none")
    key = (str(kind), owner_id, currency)
    cached = _ACCOUNTS.get(key)
    if cached is not None:
        return cached
    account = LedgerAccount.objects.filter(kind=kind, owner_id=owner_id, currency=currency).first()
    if account is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_ledgeraccount (kind, owner_id, currency, balance_minor, created_at) "
                "VALUES (%s, %s, %s, 0, now()) ON CONFLICT DO NOTHING",
                [kind, owner_id, currency],
            )
        account = LedgerAccount.objects.get(kind=kind, owner_id=owner_id, currency=currency)
    _remember(key, account)
    return account


def platform_account(kind: AccountKind, currency: str) -> LedgerAccount:
    return account_for(kind=kind, currency=currency)


def accounts_forget(**_: Any) -> None:
    """Drop the cache (the database was flushed or migrated)."""
    _ACCOUNTS.clear()


def entry_post(
    *,
    kind: str,
    lines: Sequence[tuple[LedgerAccount, int]],
    charge: Charge | None = None,
    memo: str = "",
    new_rows: Sequence[models.Model] = (),
) -> JournalEntry:
    """Write one journal entry with its postings (zero amounts are dropped), in one statement.

    ``new_rows``: unsaved model instances the entry books (a charge and its hold), inserted by the
    same statement before the entry; they come back saved (primary keys set). Checked here for a
    clear error, and again by the database at commit (deferred trigger). Must run inside the
    caller's transaction; the caller holds the locks its balance checks relied on.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entry_post must run inside a transaction")
    lines = [(account, amount) for account, amount in lines if amount != 0]
    totals: dict[str, int] = defaultdict(int)
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise UnbalancedEntry("amounts are integers in minor units")
        totals[account.currency] += amount
    if not lines or any(totals.values()):
        raise UnbalancedEntry(f"entry {kind} does not balance: {dict(totals)}")
    entry = JournalEntry(kind=kind, charge=charge, memo=memo[:200])
    # One round trip: the new rows, the entry and its postings (PostgreSQL runs every
    # data-modifying WITH clause once, to completion; foreign keys are checked at commit).
    prefix: list[str] = []
    params: list[Any] = []
    returned: list[tuple[models.Model, str]] = []
    for index, row in enumerate(new_rows):
        insert, values, returning = _insert_parts(row)
        prefix.append(f"row{index} AS ({insert}{' RETURNING ' + returning if returning else ''})")
        params += values
        if returning:
            returned.append((row, f"SELECT {returning} FROM row{index}"))  # noqa: S608 (identifiers)
    entry_insert, entry_values, _ = _insert_parts(entry)
    # Identifiers come from model metadata; every value is a parameter.
    rows = "".join(part + ", " for part in prefix)
    also = "".join(f", ({select})" for _, select in returned)
    sql = f"WITH {rows}entry AS ({entry_insert} RETURNING id) {_POSTINGS} RETURNING entry_id{also}"
    params += entry_values
    params += [
        timezone.now(),
        [account.pk for account, _ in lines],
        [amount for _, amount in lines],
        [account.currency for account, _ in lines],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        first = cursor.fetchone()
    assert first is not None
    entry.pk = first[0]
    for (row, _), pk in zip(returned, first[1:], strict=True):
        row.pk = pk
    for row in (*new_rows, entry):
        row._state.adding = False
        row._state.db = connection.alias
    return entry


_POSTINGS = (
    "INSERT INTO billing_posting (entry_id, account_id, amount_minor, currency, created_at) "
    "SELECT entry.id, line.account_id, line.amount_minor, line.currency, %s FROM entry, "
    "unnest(%s::bigint[], %s::bigint[], %s::varchar[]) WITH ORDINALITY "
    "AS line(account_id, amount_minor, currency, position) ORDER BY line.position"
)


@functools.cache
def _insert_template(model: type[models.Model]) -> tuple[str, tuple[models.Field[Any, Any], ...], str]:
    """``INSERT INTO table (columns) VALUES (%s, ...)`` of a model, its fields, and the column a
    database-assigned primary key comes back in ("" when the key is set in Python)."""
    meta = model._meta
    auto = meta.auto_field  # as Model.save: an auto primary key is left to the database
    fields = tuple(field for field in meta.concrete_fields if field is not auto)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    returning = quote(str(auto.column)) if auto is not None else ""
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 (identifiers)
    return insert, fields, returning


def _insert_parts(row: models.Model) -> tuple[str, list[Any], str]:
    insert, fields, returning = _insert_template(type(row))
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    return insert, values, returning


def lock_accounts(accounts: Iterable[LedgerAccount]) -> dict[int, LedgerAccount]:
    """Lock owner accounts (primary-key order, no deadlocks) and return them fresh from the database."""
    ids = sorted({account.pk for account in accounts})
    return {a.pk: a for a in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def balance_of(account: LedgerAccount) -> int:
    """The balance as the sum of the account's postings (the truth; the cache is only a copy)."""
    from django.db.models import Sum

    total: Any = Posting.objects.filter(account=account).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)
