"""Who is on the other end of a request: IP, user agent, device label and approximate country."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest

from fanclub.core.middleware import client_ip


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str

    @property
    def device(self) -> str:
        return describe_device(self.user_agent)

    @property
    def country(self) -> str:
        return country_for_ip(self.ip)


def from_request(request: HttpRequest) -> ClientInfo:
    ip = client_ip(request) or None
    try:
        if ip:
            ipaddress.ip_address(ip)
    except ValueError:
        ip = None
    return ClientInfo(ip=ip, user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:512])


@lru_cache(maxsize=2048)
def describe_device(user_agent: str) -> str:
    """'Firefox 128 on Android (Pixel 7)', from the user agent; 'Unknown device' when absent."""
    if not user_agent:
        return "Unknown device"
    import user_agents

    parsed = user_agents.parse(user_agent)
    browser = f"{parsed.browser.family} {parsed.browser.version_string.split('.')[0]}".strip()
    label = f"{browser} on {parsed.os.family}"
    if parsed.device.family and parsed.device.family != "Other":
        label += f" ({parsed.device.family})"
    return label[:120]


@lru_cache(maxsize=4096)
def country_for_ip(ip: str | None) -> str:
    """ISO country code from the bundled offline database; '' for private or unknown addresses."""
    if not ip:
        return ""
    import iptocc

    try:
        return str(iptocc.country_code(ip) or "")
    except (ValueError, TypeError):
        return ""


def ip_bucket(ip: str | None) -> str:
    """The unit rate limits count per: the address for IPv4, its /64 network for IPv6."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
