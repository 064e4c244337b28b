"""Outgoing HTTP to URLs that users give us (Web Push endpoints), kept off private addresses.

A push endpoint is a URL the browser hands over and a worker later POSTs to, so an attacker who
registers ``https://10.0.0.5/...`` could make the server call its own network (SSRF). Two checks:

- where the URL is given, :func:`literal_address_is_private` refuses a host written as a non-public
  address in any form the system's resolver accepts (``127.1``, ``2130706433``, ``0x7f000001``,
  ``::ffff:10.0.0.1``), not only the dotted form :mod:`ipaddress` parses; names are not resolved
  there (no DNS lookup inside a request);
- where it is used, :func:`public_session` checks the address each connection actually reached,
  after the resolver and before a byte is sent: a name that resolves to a private address, or
  resolves to a public one when registered and to a private one later (DNS rebinding), or a
  redirect to such a host, all end in ``requests.ConnectionError`` (an ``OSError``).

Public means :attr:`ipaddress.IPv4Address.is_global` (IPv4-mapped IPv6 judged as its IPv4 address):
not loopback, private, link-local (cloud metadata at 169.254.169.254), shared, reserved or
unspecified. Proxies from the environment are not used, so the address checked is the one reached.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError


def address_is_public(address: str) -> bool:
    """``address`` (an IP address as text) is globally routable."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone index is not an address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global


def literal_address_is_private(host: str) -> bool:
    """``host`` is an address (in any notation the resolver reads as one) that is not public.
    A name is not an address: False, without a lookup."""
    try:
        found = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return False
    return any(not address_is_public(str(info[4][0])) for info in found)


class _PublicOnly:
    """A urllib3 connection that refuses to talk to a non-public peer."""

    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        address = str(sock.getpeername()[0])
        if not address_is_public(address):
            sock.close()
            raise NewConnectionError(self, f"refused: {self.host} is at a non-public address ({address})")  # type: ignore[arg-type]
        return sock


class _HTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _HTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _PublicAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


def public_session() -> requests.Session:
    """A ``requests`` session whose every connection, redirects included, reaches a public address."""
    session = requests.Session()
    session.trust_env = False
    adapter = _PublicAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
