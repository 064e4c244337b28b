"""Search limits and ranking weights (docs/architecture.md, "Search")."""

from __future__ import annotations

from django.db import models

# The PostgreSQL text search configuration created by migration 0001: the 'simple' parser and
# dictionary (no stemming, so every language is treated alike) with unaccent in front of it.
CONFIG = "fanclub_search"

MAX_QUERY_LENGTH = 100
MAX_QUERY_TOKENS = 8
MAX_RESULTS = 200  # ranked results are paged by offset up to here (bounded pagination)
RANK_WINDOW = 200  # posts: only the newest this many matches are ranked (see selectors.post_search)
SUGGEST_LIMIT = 8
SUGGEST_CREATORS = 5
SUGGEST_TAG_SCAN = 500  # newest matching posts whose tags feed the suggestions

# Below this many full-text hits on the first page, the trigram fallback runs ("lenna" -> "lena").
FALLBACK_BELOW = 3
MIN_TRIGRAM_LENGTH = 3
TRIGRAM_WEIGHT = 0.5  # word similarity (0..1) times this, added to ts_rank in fallback mode
EXACT_HANDLE_BONUS = 1.0
TAG_SUGGEST_SIMILARITY = 0.5


class SearchType(models.TextChoices):
    ALL = "all", "Everything"
    CREATORS = "creators", "Creators"
    POSTS = "posts", "Posts"
