"""Search API: ranked search, suggestions while typing, and tag and category listings.

Public reads (``auth=PUBLIC_AUTH``): credentials are used when sent, since blocks and access
depend on the viewer; anonymous visitors search too.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query

from fanclub.content.schemas import PostPageOut
from fanclub.core.errors import ApiError
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.creators.api import PUBLIC_AUTH
from fanclub.creators.presenters import avatar_url
from fanclub.search import presenters, selectors
from fanclub.search.constants import SearchType
from fanclub.search.schemas import SearchOut, SearchParams, SuggestOut, SuggestParams

router = api_router(tags=["search"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 404: E, 422: E, 429: E}
ALL_CREATORS = 5  # creators shown above the posts when searching everything


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("/search", auth=PUBLIC_AUTH, response={200: SearchOut, **ERRORS})
def list_search_results(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Creators and posts matching ``q``, ranked. ``type=all`` returns the top creators and a page
    of posts, each with its own next cursor; pass a cursor with ``type=creators`` or ``posts``.
    ``correction``: the query with typos corrected, when posts were found through it."""
    query = selectors.search_query_parse(raw=params.q)
    if params.cursor and params.type == SearchType.ALL:
        raise ApiError(
            "A cursor pages one list: pass type=creators or type=posts with it.",
            code="validation_error",
            status=422,
            details=[{"loc": ["query", "type"], "msg": "creators or posts with a cursor"}],
        )
    country = geo.country_for_request(request)
    out: dict[str, Any] = {
        "query": query.text,
        "correction": None,
        "type": params.type,
        "creators": [],
        "posts": [],
        "creators_next_cursor": None,
        "posts_next_cursor": None,
    }
    if params.type in (SearchType.ALL, SearchType.CREATORS):
        creators = selectors.creator_search(
            viewer=request.user,
            country=country,
            query=query,
            cursor=params.cursor,
            limit=min(params.limit, ALL_CREATORS) if params.type == SearchType.ALL else params.limit,
        )
        out["creators"] = [presenters.creator_hit(request, profile) for profile in creators.items]
        out["creators_next_cursor"] = creators.next_cursor
    if params.type in (SearchType.ALL, SearchType.POSTS):
        posts = selectors.post_search(
            viewer=request.user, country=country, query=query, cursor=params.cursor, limit=params.limit
        )
        out["posts"] = presenters.post_hits(request, posts.items)
        out["posts_next_cursor"] = posts.next_cursor
        out["correction"] = posts.correction.text if posts.correction else None
    return out


@router.get("/search/suggest", auth=PUBLIC_AUTH, response={200: SuggestOut, **ERRORS})
def list_search_suggestions(request: HttpRequest, params: Query[SuggestParams]) -> dict[str, Any]:
    """At most 8 suggestions while typing: creators (handle or name prefix, or a near miss), then
    tags; ``correction``: the query with typos corrected, when that finds the viewer a post."""
    query = selectors.search_query_parse(raw=params.q)
    found = selectors.search_suggest(
        viewer=request.user, country=geo.country_for_request(request), query=query
    )
    return {
        "creators": [
            {
                "handle": profile.user.handle,
                "display_name": profile.display_name,
                "avatar_url": avatar_url(request, profile),
            }
            for profile in found.creators
        ],
        "tags": [{"tag": item.tag, "post_count": item.post_count} for item in found.tags],
        "correction": found.correction.text if found.correction else None,
    }


@router.get("/tags/{tag}/posts", auth=PUBLIC_AUTH, response={200: PostPageOut, **ERRORS})
def list_tag_posts(request: HttpRequest, tag: str, params: Query[ListParams]) -> dict[str, Any]:
    """Live posts with this tag that the viewer may know exist, newest first (locked ones locked)."""
    page = selectors.post_list_for_tag(
        viewer=request.user,
        country=geo.country_for_request(request),
        tag=selectors.tag_normalize(tag=tag),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {"items": presenters.post_hits(request, page.items), "next_cursor": page.next_cursor}


@router.get("/categories/{category}/posts", auth=PUBLIC_AUTH, response={200: PostPageOut, **ERRORS})
def list_category_posts(request: HttpRequest, category: str, params: Query[ListParams]) -> dict[str, Any]:
    """Live posts in this category that the viewer may know exist, newest first."""
    page = selectors.post_list_for_category(
        viewer=request.user,
        country=geo.country_for_request(request),
        category=selectors.category_check(category=category),
        cursor=params.cursor,
        limit=params.limit,
    )
    return {"items": presenters.post_hits(request, page.items), "next_cursor": page.next_cursor}
