"""A request id ties a response, its error body and its log line together."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from fanclub.core.logging import build_logging_config
from fanclub.core.request_id import accept_or_generate, current_request_id

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """Lines of the "fanclub.request" logger, rendered as JSON by the production formatter."""
    structured = build_logging_config(level="INFO", fmt="json")["formatters"]["structured"]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=structured["processors"], foreign_pre_chain=structured["foreign_pre_chain"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("fanclub.request")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous_level)


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "candidate",
    ["abcdefgh", "req-2024.01:07_X", "0f8c2a3e-9d1b-4c55-8e2f-7a6b5c4d3e2f", "a" * 128],
)
def test_well_formed_client_id_is_echoed(client, candidate):
    response = client.get("/healthz", headers={"X-Request-ID": candidate})

    assert response["X-Request-ID"] == candidate


@pytest.mark.parametrize(
    "candidate",
    ["short", "abcdefg", "has spaces in it", "semi;colon;id", "quote'quote'", "é" * 10, "a" * 129, ""],
)
def test_malformed_client_id_is_replaced(client, candidate):
    response = client.get("/healthz", headers={"X-Request-ID": candidate})

    assert response["X-Request-ID"] != candidate
    assert GENERATED.match(response["X-Request-ID"])


def test_missing_id_is_generated_and_unique_per_request(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert GENERATED.match(first)
    assert GENERATED.match(second)
    assert first != second


def test_accept_or_generate_boundaries():
    assert accept_or_generate("a" * 8) == "a" * 8
    assert accept_or_generate("a" * 128) == "a" * 128
    assert GENERATED.match(accept_or_generate("a" * 7))
    assert GENERATED.match(accept_or_generate("a" * 129))
    assert GENERATED.match(accept_or_generate(None))
    assert GENERATED.match(accept_or_generate("line\nbreak-injected"))
    assert GENERATED.match(accept_or_generate("trailing-newline\n"))  # ``$`` would have let it in
    assert GENERATED.match(accept_or_generate("trailing-crlf\r\n"))


def test_log_line_carries_the_client_request_id(client, request_log):
    response = client.get("/api/v1/creators", headers={"X-Request-ID": "trace-me-12345"})

    assert response.status_code == 200
    (record,) = _records(request_log)
    assert isinstance(record.pop("duration_ms"), float)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$", record.pop("timestamp"))
    assert record == {
        "event": "request",
        "method": "GET",
        "path": "/api/v1/creators",
        "route": "/api/v1/creators",
        "status": 200,
        "db_queries": 1,
        "request_id": "trace-me-12345",
        "level": "info",
        "logger": "fanclub.request",
    }


def test_log_line_carries_the_generated_request_id_when_the_client_one_is_malformed(client, request_log):
    response = client.get("/api/v1/me", headers={"X-Request-ID": "bad id"})

    assert response.status_code == 401
    generated = response["X-Request-ID"]
    assert GENERATED.match(generated)
    assert response.json()["error"]["requestId"] == generated
    (record,) = _records(request_log)
    assert record["request_id"] == generated
    assert record["status"] == 401


def test_each_request_logs_its_own_id(client, request_log):
    client.get("/healthz", headers={"X-Request-ID": "first-request"})
    client.get("/healthz", headers={"X-Request-ID": "second-request"})

    assert [record["request_id"] for record in _records(request_log)] == ["first-request", "second-request"]


def test_request_id_does_not_leak_past_the_request(client):
    client.get("/healthz", headers={"X-Request-ID": "leak-check-1"})

    assert current_request_id.get() == ""
    assert "request_id" not in structlog.contextvars.get_contextvars()
