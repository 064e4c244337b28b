from __future__ import annotations

from typing import Any

from django import template

from fanclub.creators.constants import ZERO_DECIMAL_CURRENCIES

register = template.Library()


@register.filter
def money(price_minor: Any, currency: Any = "USD") -> str:
    """1500, "USD" -> "USD 15.00" (integer minor units; formatting only)."""
    if price_minor is None:
        return ""
    currency = str(currency or "USD")
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{currency} {int(price_minor)}"
    return f"{currency} {int(price_minor) // 100}.{int(price_minor) % 100:02d}"


@register.filter
def variant(item: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    for entry in (item or {}).get("variants", []):
        if entry["name"] == name:
            return entry
    return None
