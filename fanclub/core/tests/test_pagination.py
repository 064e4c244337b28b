"""Keyset pagination: every row exactly once, stable while rows come and go, cursors that cannot be forged."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.accounts.selectors import CREATOR_ORDERING, creator_qs_public
from fanclub.core.errors import ApiError
from fanclub.core.pagination import InvalidCursor, paginate
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db

BASE = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def creator(make_user):
    def make(handle: str, joined: datetime) -> User:
        user = make_user(role=Role.CREATOR, handle=handle)
        User.objects.filter(pk=user.pk).update(date_joined=joined)
        return user

    return make


@pytest.fixture
def seven(creator) -> list[str]:
    """Seven creators, newest first (the list's order), each joined a minute before the previous."""
    for index in range(7):
        creator(f"c{index}", BASE - timedelta(minutes=index))
    return [f"c{index}" for index in range(7)]


def _page(client, *, limit: int, cursor: str | None = None) -> tuple[list[str], str | None]:
    query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = client.get(f"/api/v1/creators?{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    return [item["handle"] for item in body["items"]], body["nextCursor"]


def _walk(client, *, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        handles, cursor = _page(client, limit=limit, cursor=cursor)
        pages.append(handles)
        if cursor is None:
            return pages


def _forge(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_pages_cover_every_row_exactly_once_in_order(client, seven, make_user):
    make_user(role=Role.FAN, handle="just.a.fan")

    assert _walk(client, limit=3) == [seven[0:3], seven[3:6], seven[6:7]]


def test_last_full_page_has_no_cursor(client, creator):
    for index in range(6):
        creator(f"c{index}", BASE - timedelta(minutes=index))

    assert [len(page) for page in _walk(client, limit=3)] == [3, 3]


def test_empty_list(client):
    assert _page(client, limit=5) == ([], None)


def test_pages_are_stable_while_rows_are_inserted_and_deleted(client, seven, creator):
    first, cursor = _page(client, limit=3)
    creator("newest", BASE + timedelta(minutes=5))
    creator("oldest", BASE - timedelta(days=1))
    User.objects.filter(handle="c4").delete()

    rest, cursor = _page(client, limit=3, cursor=cursor)
    last, cursor = _page(client, limit=3, cursor=cursor)

    assert first == ["c0", "c1", "c2"]
    assert rest == ["c3", "c5", "c6"]
    assert last == ["oldest"]
    assert cursor is None


def test_rows_sharing_a_timestamp_are_ordered_by_id(client, creator):
    users = [creator(f"tie{index}", BASE) for index in range(5)]
    expected = [user.handle for user in sorted(users, key=lambda user: user.pk, reverse=True)]

    assert _walk(client, limit=2) == [expected[0:2], expected[2:4], expected[4:5]]


def test_cursor_is_opaque_and_url_safe(client, seven):
    _, cursor = _page(client, limit=1)

    assert cursor is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)


def test_each_page_is_one_query(client, seven, django_assert_num_queries):
    _, cursor = _page(client, limit=3)

    with django_assert_num_queries(1):
        _page(client, limit=3, cursor=cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm90IGpzb24",  # "not json"
        _forge({"a": 1}),
        _forge([1]),
        _forge([1, 2, 3]),
        _forge([{"dt": "garbage"}, 5]),
        _forge([{"x": 1}, 5]),
        _forge([{"dt": "2025-06-01T12:00:00+00:00"}, "abc"]),
        _forge([{"dt": "2025-06-01T12:00:00+00:00"}, None]),
        _forge([{"dt": "2025-06-01T12:00:00+00:00"}, {"dt": "2025-06-01T12:00:00+00:00"}]),
        _forge([None, None]),
        _forge(["tomorrow", 5]),
        _forge([[1], [2]]),
        _forge([{"dt": 5}, 5]),
        _forge([{"dt": "2025-06-01T12:00:00"}, 5]),  # naive: our cursors always carry the zone
    ],
)
def test_forged_or_malformed_cursor_is_400(client, seven, cursor):
    response = client.get(f"/api/v1/creators?cursor={cursor}")

    error = assert_api_error(response, status=400, code="invalid_cursor", details=None)
    assert error["message"] == "The cursor is malformed or does not belong to this list."


@pytest.mark.parametrize("limit", [0, -1, 101, 10_000])
def test_limit_out_of_bounds_is_422(client, limit):
    response = client.get(f"/api/v1/creators?limit={limit}")

    assert_api_error(response, status=422, code="validation_error")


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_inclusive(client, seven, limit):
    handles, _ = _page(client, limit=limit)

    assert handles == seven[:limit]


def test_paginate_rejects_bad_limits_and_cursors_directly(seven):
    queryset = creator_qs_public()

    with pytest.raises(ApiError) as too_big:
        paginate(queryset, ordering=CREATOR_ORDERING, cursor=None, limit=101)
    with pytest.raises(InvalidCursor):
        paginate(queryset, ordering=CREATOR_ORDERING, cursor=_forge([None, None]), limit=5)

    assert (too_big.value.status, too_big.value.code) == (422, "validation_error")


def test_paginate_on_an_ascending_ordering(seven):
    queryset = creator_qs_public()
    first = paginate(queryset, ordering=("date_joined", "id"), cursor=None, limit=4)
    second = paginate(queryset, ordering=("date_joined", "id"), cursor=first.next_cursor, limit=4)

    assert [user.handle for user in first.items + second.items] == list(reversed(seven))
    assert second.next_cursor is None
