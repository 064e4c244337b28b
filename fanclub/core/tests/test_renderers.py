"""The API's orjson renderer writes the same JSON as Django Ninja's own encoder."""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import json
import uuid
import zoneinfo

import pytest
from django.db import models
from django.utils.translation import gettext_lazy
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from fanclub.core.renderers import dumps


class _Color(models.TextChoices):  # the enums this project has (none in a schema so far)
    RED = "red"


class _Plain(enum.Enum):
    RED = "red"


class _Point(BaseModel):
    x: int
    at: datetime.datetime


_UTC = datetime.UTC
_BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SAMPLES = [
    datetime.datetime(2026, 11, 26, 2, 53, 20, 824406, tzinfo=_UTC),
    datetime.datetime(2026, 11, 26, 2, 53, 20, tzinfo=_UTC),
    datetime.datetime(2026, 11, 26, 2, 53, 20, 123, tzinfo=_UTC),
    datetime.datetime(2026, 1, 1, 12, 0, 0, 5000, tzinfo=_BERLIN),
    datetime.datetime(2026, 1, 1, 12, 0),
    datetime.date(2026, 1, 2),
    datetime.time(1, 2, 3, 456789),
    datetime.timedelta(hours=1, seconds=3),
    decimal.Decimal("1.50"),
    uuid.UUID("b3ed6bb1-f867-4ac0-ab54-59ce275fb447"),
    'héllo ✓ \u2028 "quoted" </script>',
    gettext_lazy("Not found."),
    ipaddress.ip_address("192.0.2.1"),
    _Color.RED,
    _Point(x=1, at=datetime.datetime(2026, 1, 1, tzinfo=_UTC)),
    {"nested": [1, 2.5, None, True, {"deep": datetime.date(2020, 2, 29)}], "empty": {}},
    {1: "integer keys become strings"},
]


@pytest.mark.parametrize("value", SAMPLES, ids=lambda value: type(value).__name__)
def test_same_json_as_ninjas_encoder(value):
    assert json.loads(dumps(value)) == json.loads(json.dumps(value, cls=NinjaJSONEncoder))


def test_a_plain_enum_is_written_as_its_value():
    # Ninja's encoder wrote str(member), "_Plain.RED": a class name no client can use.
    assert dumps(_Plain.RED) == b'"red"'


def test_dates_keep_djangos_text():
    moment = datetime.datetime(2026, 11, 26, 2, 53, 20, 824406, tzinfo=_UTC)
    assert dumps({"at": moment}) == b'{"at":"2026-11-26T02:53:20.824Z"}'


def test_a_type_json_has_no_text_for_is_an_error():
    with pytest.raises(TypeError):
        dumps({"value": object()})


@pytest.mark.django_db
def test_the_api_answers_through_it(client):
    response = client.get("/api/v1/creators", {"limit": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # Ninja's renderer writes ", " and ": "; orjson writes no whitespace.
    assert response.content == dumps(json.loads(response.content))
