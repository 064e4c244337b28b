from __future__ import annotations

from fanclub.content.schemas import PostOut, PresentedOut
from fanclub.core.schemas import ApiSchema
from fanclub.search.constants import SearchType


class SearchParams(ApiSchema):
    q: str | None = None
    type: SearchType = SearchType.ALL
    cursor: str | None = None
    limit: int = 20


class SuggestParams(ApiSchema):
    q: str | None = None


class CreatorHitOut(PresentedOut):
    handle: str
    display_name: str
    bio_excerpt: str
    archetype: str
    avatar_url: str | None


class PostHitOut(PostOut):
    snippet: str | None  # an excerpt around the matched words; only for posts the viewer may read


class SearchOut(PresentedOut):
    query: str
    # The query with its typos corrected, when posts were found through it ("Showing results for …");
    # only for posts (type all or posts), null otherwise.
    correction: str | None
    type: str
    creators: list[CreatorHitOut]
    posts: list[PostHitOut]
    creators_next_cursor: str | None
    posts_next_cursor: str | None


class TagSuggestionOut(ApiSchema):
    tag: str
    post_count: int


class CreatorSuggestionOut(ApiSchema):
    handle: str
    display_name: str
    avatar_url: str | None


class SuggestOut(ApiSchema):
    creators: list[CreatorSuggestionOut]
    tags: list[TagSuggestionOut]
    correction: str | None  # "Did you mean …": only when it finds the viewer a post
