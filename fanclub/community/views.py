"""Pages: the swipe deck, explore (trending, new creators) and rankings."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fanclub.community import presenters, selectors
from fanclub.community.api import period_datetime
from fanclub.community.constants import Sort, Window
from fanclub.content.constants import Category
from fanclub.creators import geo
from fanclub.creators.presenters import avatar_url

CATEGORIES = [(value, label) for value, label in Category.choices if value]


def _choice(value: str | None, allowed: list[str], default: str) -> str:
    return value if value in allowed else default


@require_GET
@login_required
def swipe(request: HttpRequest) -> HttpResponse:
    """The deck: cards are loaded and swiped through the API by community/deck.js."""
    return render(request, "community/swipe.html", {})


@require_GET
def explore(request: HttpRequest) -> HttpResponse:
    category = _choice(request.GET.get("category"), [value for value, _ in CATEGORIES], "")
    country = geo.country_for_request(request)
    page = selectors.trending_page(user=request.user, country=country, category=category, limit=24)
    creators = selectors.new_creator_list(viewer=request.user, country=country)
    context = {
        "cards": presenters.ranked_cards(request, page.posts, meta=page.meta),
        "creators": [
            {"handle": p.user.handle, "display_name": p.display_name, "avatar_url": avatar_url(request, p)}
            for p in creators
        ],
        "categories": CATEGORIES,
        "category": category,
        "windows": Window.choices,
    }
    return render(request, "community/explore.html", context)


@require_GET
def rankings(request: HttpRequest) -> HttpResponse:
    window = _choice(request.GET.get("window"), Window.values, Window.WEEK)
    sort = _choice(request.GET.get("sort"), Sort.values, Sort.HOT)
    category = _choice(request.GET.get("category"), [value for value, _ in CATEGORIES], "")
    try:
        period = date.fromisoformat(request.GET.get("period", ""))
    except ValueError:
        period = None
    snapshot, page = selectors.ranking_page(
        user=request.user,
        country=geo.country_for_request(request),
        window=window,
        category=category,
        sort=sort,
        period=period_datetime(period),
        limit=50,
    )
    context = {
        "snapshot": snapshot,
        "cards": presenters.ranked_cards(request, page.posts, meta=page.meta),
        "periods": selectors.snapshot_periods(window=window, category=category),
        "window": window,
        "sort": sort,
        "category": category,
        "period": period.isoformat() if period else "",
        "windows": Window.choices,
        "sorts": Sort.choices,
        "categories": CATEGORIES,
    }
    return render(request, "community/rankings.html", context)
