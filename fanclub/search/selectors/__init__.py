"""Search, suggestions, and tag and category listings: reads, always scoped by the access policy.

* ``query``: the viewer's query parsed, the SQL fragments the rankings share, bounded pagination.
* ``creators`` and ``posts``: the ranked searches, each an ORM specification and its SQL twin.
  Ranking: ``ts_rank`` over weighted documents (handle and display name A, tags/categories B,
  bio and post text C); when full-text search finds fewer than ``FALLBACK_BELOW`` results, the
  trigram fallback adds names, handles and tags whose word similarity passes pg_trgm's threshold
  (typos: "lenna" finds "lena"), scored ``ts_rank + TRIGRAM_WEIGHT * similarity``.
* ``correction``: spelling correction of posts (same fallback).
* ``suggest``: suggestions while typing.
* ``listings``: the tag and category lists.
"""

from fanclub.search.selectors.correction import Correction, search_correction
from fanclub.search.selectors.creators import creator_qs_visible_to, creator_search
from fanclub.search.selectors.listings import (
    LISTING_ORDER,
    category_check,
    post_list_for_category,
    post_list_for_tag,
    tag_normalize,
)
from fanclub.search.selectors.posts import (
    PostResults,
    post_qs_searchable_by,
    post_search,
    snippet_parts,
    snippet_plain,
)
from fanclub.search.selectors.query import ParsedQuery, search_query_parse
from fanclub.search.selectors.suggest import Suggestions, TagSuggestion, search_suggest

__all__ = [
    "LISTING_ORDER",
    "Correction",
    "ParsedQuery",
    "PostResults",
    "Suggestions",
    "TagSuggestion",
    "category_check",
    "creator_qs_visible_to",
    "creator_search",
    "post_list_for_category",
    "post_list_for_tag",
    "post_qs_searchable_by",
    "post_search",
    "search_correction",
    "search_query_parse",
    "search_suggest",
    "snippet_parts",
    "snippet_plain",
    "tag_normalize",
]
