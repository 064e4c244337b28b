from __future__ import annotations

from typing import Any

from django import template

from fanclub.messaging import selectors

register = template.Library()


@register.simple_tag
def unread_messages_count(user: Any) -> int:
    """The header badge: the signed-in user's unread messages (one indexed query)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return selectors.unread_total(user_id=user.pk)
