"""fetch_prepared: a server-side prepared statement on Django's connection, still counted."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from fanclub.core.sql import fetch_prepared, positional

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
    assert [query["sql"] for query in captured.captured_queries] == [positional(SQL)[0]] * 3
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


def test_placeholders_are_numbered_once_by_name_as_psycopg_numbers_them():
    assert positional(SQL) == (
        "SELECT $1::bigint + 1, $2::text, $1::bigint = ANY($3) -- core test",
        ("number", "text", "numbers"),
    )
    assert positional("SELECT 'a%%' LIKE %(pattern)s") == ("SELECT 'a%' LIKE $1", ("pattern",))
    for refused in ("SELECT %s", "SELECT 'a%' LIKE %(p)s", "SELECT %(p)d"):
        with pytest.raises(ValueError, match="only %"):
            positional(refused)


def test_a_parameter_without_a_value_is_named():
    with pytest.raises(KeyError, match="numbers"):
        fetch_prepared(SQL, {"number": 1, "text": "a"})


def test_timestamps_load_as_django_loads_them():
    """psycopg's loader on the prepared cursor, Django's on its own: the same values, same zone."""
    sql = (
        "SELECT ts, ts + interval '1 microsecond', ts::date::timestamptz FROM (VALUES"
        " (%(a)s::timestamptz), ('1999-12-31 23:59:59.999999+05:30'), ('0001-01-01 00:00:00+00'),"
        " ('9999-12-31 23:59:59+00'), (NULL), ('2026-03-29 01:30:00 Europe/Paris')) v(ts)"
    )
    given = datetime.datetime(2026, 11, 26, 5, 6, 7, 891011, tzinfo=datetime.UTC)
    prepared = fetch_prepared(sql, {"a": given})
    with connection.cursor() as cursor:
        cursor.execute(sql, {"a": given})
        expected = cursor.fetchall()
    assert prepared == expected and prepared[0][0] == given
    zones = {value.tzinfo for row in prepared for value in row if value is not None}
    assert zones == {datetime.UTC} and next(iter(zones)) is datetime.UTC
