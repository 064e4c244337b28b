"""fetch_prepared: a server-side prepared statement on Django's connection, still counted."""

from __future__ import annotations

import pytest
from django.db import connection

from fanclub.core.sql import fetch_prepared

pytestmark = pytest.mark.django_db
SQL = "SELECT %(number)s::bigint + 1, %(text)s::text, %(number)s::bigint = ANY(%(numbers)s) -- core test"


def _prepared() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%-- core test%%'"
        )
        return cursor.fetchall()


def test_prepared_once_per_connection_whatever_the_values_and_counted(django_assert_num_queries):
    before = dict(_prepared())
    with django_assert_num_queries(3) as captured:
        assert fetch_prepared(SQL, {"number": 1, "text": "a", "numbers": [1, 2]}) == [(2, "a", True)]
        assert fetch_prepared(SQL, {"number": 40_000, "text": "b", "numbers": [3]}) == [(40_001, "b", False)]
        assert fetch_prepared(SQL, {"number": 5_000_000_000, "text": "c", "numbers": [5]}) == [
            (5_000_000_001, "c", False)
        ]
    assert [query["sql"] for query in captured.captured_queries] == [SQL] * 3
    # one statement for int2-, int4- and int8-sized values alike
    ((statement, runs),) = _prepared()
    assert runs - before.get(statement, 0) == 3 and "$1" in statement


def test_an_explicit_prepare_threshold_none_turns_preparing_off():
    before = _prepared()
    connection.settings_dict.setdefault("OPTIONS", {})
    options = connection.settings_dict["OPTIONS"]
    options["prepare_threshold"] = None
    try:
        assert fetch_prepared(SQL, {"number": 1, "text": "a", "numbers": [1]}) == [(2, "a", True)]
    finally:
        del options["prepare_threshold"]
    assert _prepared() == before
