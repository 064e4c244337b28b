"""The unread badge of the site header: cached, and computed only if a template shows it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

from fanclub.notifications import selectors


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    user_id = int(user.pk)

    @cache
    def count() -> int:  # templates call callables; cached so several uses cost one query
        return selectors.unread_count_cached(user_id=user_id)

    counter: Callable[[], int] = count
    return {"notifications_unread": counter}
