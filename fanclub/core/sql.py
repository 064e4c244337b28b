"""Hand-written statements that PostgreSQL parses and plans once per connection.

Django's psycopg backend binds parameters on the client and never prepares (``prepare_threshold``
None, for connection poolers), so PostgreSQL plans every statement again: for a list page's card
statement (a dozen correlated subqueries) planning costs more than running it. :func:`fetch_prepared`
sends one statement as a server-side prepared statement: psycopg keeps it per connection (and
re-prepares after a reconnect, ``DISCARD ALL`` or eviction from its cache of 100), PostgreSQL reuses
the plan. Only for statements whose best plan does not depend on the values (lookups by primary key,
per-row probes): a plan chosen for one user's data would otherwise be reused for everyone's.

It still goes through Django's cursor wrapper, so execute wrappers (query counting, the metrics
middleware) and ``django_assert_num_queries`` see it. A pooler in *transaction* mode needs
protocol-level prepared statements (PgBouncer >= 1.21 with ``max_prepared_statements``); to turn
preparing off, set ``"prepare_threshold": None`` explicitly in the database's ``OPTIONS``.

Every connection runs with ``plan_cache_mode = force_generic_plan`` (set once, when Django connects):
PostgreSQL's default plans a prepared statement's first five executions for their values and then
keeps re-planning whenever its estimate of the generic plan is above the custom plans' average. For
a statement with branches chosen at run time (the home feed's, ``feeds.selectors``) that estimate is
always above, so it was planned on every execution (2.7 ms of CPU instead of 1.0 for a feed page).
Django's own statements are bound on the client and sent as text, planned each time whatever the
setting; only the statements prepared here keep their one plan.

Two costs of psycopg's defaults are paid once here instead of on every execution (measured on the
home feed's 6.5 KB statement):
- psycopg turns ``%(name)s`` placeholders into ``$1``, ``$2``... on every execution of a statement
  longer than 4 KB (its cache keeps only shorter ones): 75 us. Statements are converted once, when
  first used, and run through psycopg's ``RawCursor``, which takes ``$n`` placeholders as they are.
- Django loads every ``timestamptz`` with a Python loader (3.3 us a value, 40 on a feed page) only to
  set the connection's time zone on it. When that zone is UTC, which the server's session zone then
  is too, psycopg's own (C) loader returns the same values, ``datetime.timezone.utc`` included, in
  0.2 us; the prepared statements' cursors use it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.dispatch import receiver
from psycopg import RawCursor
from psycopg.abc import Loader
from psycopg.pq import Format
from psycopg.types.numeric import Int8

# psycopg's own timestamptz loader (its C implementation when psycopg[binary] is installed).
_TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
_TIMESTAMPTZ_LOADER: type[Loader] = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)  # type: ignore[assignment]  # psycopg registers one for every built-in type


class _PreparingCursor(RawCursor[Any]):
    """Server-side binding, every statement prepared (Django's wrapper calls ``execute(sql, params)``),
    ``$n`` placeholders; timestamps through psycopg's loader when the connection's zone is UTC."""

    def __init__(self, connection: Any, *, utc: bool) -> None:
        super().__init__(connection)
        if utc:
            self.adapters.register_loader(_TIMESTAMPTZ_OID, _TIMESTAMPTZ_LOADER)

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")


@functools.lru_cache(maxsize=512)  # statements are constants written in the code: a bounded set
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``%(name)s`` placeholders numbered ``$1``, ``$2``... in order of first use (a
    name used twice keeps its number) and ``%%`` turned into ``%``, as psycopg would; and the names,
    in the order of their numbers. Any other ``%`` is refused."""
    numbers: dict[str, int] = {}

    def swap(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            raise ValueError(f"only %(name)s placeholders and %% are allowed: {sql[match.start() :][:30]!r}")
        return f"${numbers.setdefault(name, len(numbers) + 1)}"

    return _PLACEHOLDER.sub(swap, sql), tuple(numbers)


# psycopg prepares nothing while a connection's threshold is None (Django's default); a threshold no
# statement reaches keeps automatic preparing off for every other server-binding cursor.
_NEVER_AUTOMATICALLY = 2**31 - 1


class _DebugWrapper(CursorDebugWrapper):
    """Logs the statement's text (Django reads a client-bound cursor's last query, None here)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


@receiver(connection_created)
def _generic_plans(*, connection: Any, **kwargs: Any) -> None:
    """Prepared statements keep their generic plan (see the module's docstring). Sent on the driver's
    connection, in autocommit (Django connects in autocommit mode, even inside ``atomic``), so no
    query counter sees it and no rollback undoes it."""
    if connection.vendor == "postgresql":
        connection.connection.execute("SET plan_cache_mode = force_generic_plan")


def _typed(value: Any) -> Any:
    # One parameter type per placeholder whatever the value's size (psycopg would pick int2, int4 or
    # int8 by value, and each combination of types is a prepared statement of its own).
    if type(value) is int:
        return Int8(value)
    if type(value) is list and value and all(type(item) is int for item in value):
        return [Int8(item) for item in value]
    return value


def fetch_prepared(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (``%(name)s`` placeholders) as a prepared statement on Django's connection."""
    # As Django's own cursors do: a persistent connection is checked once per request before its
    # first statement (``CONN_HEALTH_CHECKS``), so one the server ended is replaced, not used.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if "prepare_threshold" in connection.settings_dict.get("OPTIONS", {}):  # the operator decides
        if connection.settings_dict["OPTIONS"]["prepare_threshold"] is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
    elif connection.connection.prepare_threshold is None:
        connection.connection.prepare_threshold = _NEVER_AUTOMATICALLY
    text, names = positional(sql)
    try:
        values = [_typed(params[name]) for name in names]
    except KeyError as missing:
        raise KeyError(f"the statement's parameter {missing} has no value") from None
    raw = _PreparingCursor(connection.connection, utc=connection.timezone_name == "UTC")
    wrapped = (_DebugWrapper if connection.queries_logged else CursorWrapper)(raw, connection)
    with wrapped as cursor:
        cursor.execute(text, values)
        return list(cursor.fetchall())
