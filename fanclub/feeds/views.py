"""The home feed page (htmx infinite scroll: the same view returns the next cards as a partial)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fanclub.core.errors import ApiError
from fanclub.feeds.api import feed_cards


@require_GET
@login_required
def home_feed(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        cards, next_cursor = feed_cards(request, cursor=cursor, limit=20)
    except ApiError:  # a forged or stale cursor: start from the top
        cards, next_cursor, cursor = *feed_cards(request, cursor=None, limit=20), None
    partial = request.headers.get("HX-Request") == "true" and cursor
    template = "feeds/feed.html#cards" if partial else "feeds/feed.html"
    return render(request, template, {"cards": cards, "next_cursor": next_cursor})
