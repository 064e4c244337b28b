"""The database backend's health check: no statement for an idle connection, Django's otherwise."""

from __future__ import annotations

import select
from collections.abc import Iterator

import pytest
from django.db import close_old_connections, connection, connections
from psycopg.errors import DataError

from fanclub.core.sql import fetch_prepared

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh() -> Iterator:
    """Two connections of their own (autocommit), outside the test's transaction."""
    opened = [connections.create_connection("default") for _ in range(2)]
    for wrapper in opened:
        wrapper.ensure_connection()
    yield opened
    for wrapper in opened:
        wrapper.close()


def _last_statement(observer, pid: int) -> str:
    with observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else "<gone>"


def _wait_readable(wrapper) -> None:
    readable, _, _ = select.select([wrapper.connection.pgconn.socket], [], [], 10)
    assert readable, "the server sent nothing within 10 s"


def test_an_idle_connection_is_usable_without_a_statement(fresh):
    checked, observer = fresh
    with checked.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = checked.connection.info.backend_pid
    assert checked.is_usable() is True
    assert _last_statement(observer, pid) == "SELECT 'the last statement'"


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(fresh):
    checked, observer = fresh
    pid = checked.connection.info.backend_pid
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable(checked)
    assert checked.is_usable() is False
    # What Django runs before a request's first query: the dead connection is closed, a new one opened.
    checked.health_check_done = False
    checked.close_if_health_check_failed()
    assert checked.connection is None
    with checked.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_something_unexpected_on_the_socket_is_checked_with_a_statement(fresh):
    checked, observer = fresh
    pid = checked.connection.info.backend_pid
    with checked.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    with observer.cursor() as cursor:
        cursor.execute("NOTIFY health_check_test")
    _wait_readable(checked)
    assert checked.is_usable() is True  # a notification: still usable, as SELECT 1 found
    assert _last_statement(observer, pid) == "SELECT 1"


def test_a_connection_inside_a_transaction_is_checked_with_a_statement(fresh):
    checked, observer = fresh
    pid = checked.connection.info.backend_pid
    checked.connection.execute("BEGIN")
    assert checked.is_usable() is True
    assert _last_statement(observer, pid) == "SELECT 1"
    with pytest.raises(DataError):
        checked.connection.execute("SELECT 1 / 0")
    assert checked.is_usable() is False  # an aborted transaction refuses SELECT 1
    checked.connection.execute("ROLLBACK")
    assert checked.is_usable() is True


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_first_in_a_request_gets_a_live_connection(fresh):
    """``core.sql.fetch_prepared`` (every bearer request's first statement) goes through the same
    check as the ORM: after the server ended a persistent connection, the request gets a new one
    instead of an error."""
    _, observer = fresh
    connection.ensure_connection()
    connection.close_at = None  # persistent, as CONN_MAX_AGE > 0 makes it
    pid = connection.connection.info.backend_pid
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable(connection)
    close_old_connections()  # what Django runs when a request starts
    assert fetch_prepared("SELECT pg_backend_pid()", {})[0][0] != pid
