"""Pages: search results (tabs), header suggestions (an htmx partial), tag and category pages.

Each view returns the full page or, for htmx "load more" requests, the named partial; the
selectors apply the access policy, so a partial request sees exactly what the page would.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fanclub.content.constants import Category
from fanclub.core.errors import ApiError
from fanclub.creators import geo
from fanclub.creators.presenters import avatar_url
from fanclub.search import presenters, selectors
from fanclub.search.constants import SearchType

PAGE_SIZE = 20
ALL_CREATORS = 6


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    tab = request.GET.get("type", SearchType.ALL)
    if tab not in SearchType.values:
        tab = SearchType.ALL
    context: dict[str, Any] = {"q": raw.strip(), "tab": tab, "tabs": SearchType.choices, "error": None}
    context.update(creators=[], cards=[], creators_next=None, posts_next=None, correction=None)
    if not raw.strip():
        return render(request, "search/results.html", context)
    try:
        query = selectors.search_query_parse(raw=raw)
    except ApiError as exc:
        context["error"] = exc.message
        return render(request, "search/results.html", context, status=exc.status)
    country = geo.country_for_request(request)
    cursor = request.GET.get("cursor") if tab != SearchType.ALL else None
    try:
        if tab in (SearchType.ALL, SearchType.CREATORS):
            creators = selectors.creator_search(
                viewer=request.user,
                country=country,
                query=query,
                cursor=cursor,
                limit=ALL_CREATORS if tab == SearchType.ALL else PAGE_SIZE,
            )
            context["creators"] = [presenters.creator_hit(request, profile) for profile in creators.items]
            context["creators_next"] = creators.next_cursor
        if tab in (SearchType.ALL, SearchType.POSTS):
            posts = selectors.post_search(
                viewer=request.user, country=country, query=query, cursor=cursor, limit=PAGE_SIZE
            )
            context["cards"] = presenters.post_hits(request, posts.items)
            context["posts_next"] = posts.next_cursor
            context["correction"] = posts.correction.text if posts.correction else None
    except ApiError as exc:  # a forged cursor
        context["error"] = exc.message
        return render(request, "search/results.html", context, status=exc.status)
    if _is_htmx(request) and cursor:
        partial = "creator_items" if tab == SearchType.CREATORS else "post_items"
        return render(request, f"search/results.html#{partial}", context)
    return render(request, "search/results.html", context)


@require_GET
def search_suggest(request: HttpRequest) -> HttpResponse:
    """The header's listbox options (an htmx partial; empty for an empty or over-long query)."""
    options: list[dict[str, Any]] = []
    correction = None
    raw = request.GET.get("q", "")
    try:
        query = selectors.search_query_parse(raw=raw)
    except ApiError:
        query = None
    if query is not None:
        found = selectors.search_suggest(
            viewer=request.user, country=geo.country_for_request(request), query=query
        )
        options = [
            {
                "kind": "creator",
                "handle": profile.user.handle,
                "label": profile.display_name,
                "avatar_url": avatar_url(request, profile),
            }
            for profile in found.creators
        ] + [{"kind": "tag", "tag": item.tag, "count": item.post_count} for item in found.tags]
        correction = found.correction.text if found.correction else None
    return render(
        request, "search/_suggest.html", {"options": options, "q": raw.strip(), "correction": correction}
    )


def _listing(
    request: HttpRequest, *, title: str, heading: str, load: Any, kind: str, value: str
) -> HttpResponse:
    try:
        page = load(cursor=request.GET.get("cursor"))
    except ApiError as exc:
        raise Http404(exc.message) from exc
    context = {
        "title": title,
        "heading": heading,
        "kind": kind,
        "value": value,
        "cards": presenters.post_hits(request, page.items),
        "next_cursor": page.next_cursor,
    }
    if _is_htmx(request) and request.GET.get("cursor"):
        return render(request, "search/listing.html#posts", context)
    return render(request, "search/listing.html", context)


@require_GET
def tag_posts(request: HttpRequest, tag: str) -> HttpResponse:
    try:
        cleaned = selectors.tag_normalize(tag=tag)
    except ApiError as exc:
        raise Http404(exc.message) from exc
    country = geo.country_for_request(request)
    return _listing(
        request,
        title=f"#{cleaned}",
        heading=f"#{cleaned}",
        kind="tag",
        value=cleaned,
        load=lambda cursor: selectors.post_list_for_tag(
            viewer=request.user, country=country, tag=cleaned, cursor=cursor, limit=PAGE_SIZE
        ),
    )


@require_GET
def category_posts(request: HttpRequest, category: str) -> HttpResponse:
    try:
        cleaned = selectors.category_check(category=category)
    except ApiError as exc:
        raise Http404(exc.message) from exc
    country = geo.country_for_request(request)
    label = str(Category(cleaned).label)
    return _listing(
        request,
        title=label,
        heading=label,
        kind="category",
        value=cleaned,
        load=lambda cursor: selectors.post_list_for_category(
            viewer=request.user, country=country, category=cleaned, cursor=cursor, limit=PAGE_SIZE
        ),
    )
