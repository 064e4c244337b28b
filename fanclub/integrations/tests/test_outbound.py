"""Outgoing HTTP to user-given URLs: never to a non-public address, whatever the URL says."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import requests

from fanclub.core.tests.recording_server import RecordingServer
from fanclub.integrations import outbound


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped: judged as its IPv4 address
        ("::ffff:8.8.8.8", True),
        ("not-an-address", False),
    ],
)
def test_address_is_public(address, public):
    assert outbound.address_is_public(address) is public


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("127.0.0.1", True),
        ("127.1", True),  # what the resolver reads as 127.0.0.1, and ipaddress does not parse
        ("2130706433", True),
        ("0x7f000001", True),
        ("0177.0.0.1", True),
        ("10.1", True),
        ("::ffff:10.0.0.1", True),
        ("169.254.169.254", True),
        ("8.8.8.8", False),
        ("push.example", False),  # a name: checked where the connection is made, not here
        ("fcm.googleapis.com", False),
    ],
)
def test_literal_address_is_private(host, private):
    assert outbound.literal_address_is_private(host) is private


@pytest.fixture
def local_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "localhost"])
def test_the_session_refuses_a_private_peer_before_sending_anything(local_server, host):
    with pytest.raises(requests.ConnectionError, match="non-public address"):
        outbound.public_session().post(f"http://{host}:{local_server.port}/push/x", data=b"x", timeout=5)
    assert local_server.received == []


def test_the_session_talks_to_a_peer_it_judges_public(local_server, monkeypatch):
    # The plumbing, with the judgement widened to loopback: the request goes through unchanged.
    monkeypatch.setattr(outbound, "address_is_public", lambda address: True)
    response = outbound.public_session().post(
        f"http://127.0.0.1:{local_server.port}/push/x", data=b"x", timeout=5
    )
    assert response.status_code == 201
    assert [hit["path"] for hit in local_server.received] == ["/push/x"]


def test_the_session_ignores_proxies_from_the_environment(local_server, monkeypatch):
    # A proxy would be the peer checked instead of the push service: none is used.
    monkeypatch.setattr(outbound, "address_is_public", lambda address: True)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{local_server.port}")
    monkeypatch.setenv("NO_PROXY", "")
    # Straight to that address: whatever answers there (or nothing), it is not the proxy.
    with contextlib.suppress(requests.RequestException):
        outbound.public_session().post("http://203.0.113.9:9/push/x", data=b"x", timeout=2)
    assert local_server.received == []
