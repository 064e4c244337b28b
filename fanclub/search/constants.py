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

# Spelling correction of post text ("sunsett" -> "sunset"): the word table (models.SearchWord) is
# matched with pg_trgm's similarity(); an unknown query word of CORRECTION_MIN_LENGTH letters or more
# is replaced by the known word most similar to it, at least CORRECTION_SIMILARITY and at most
# CORRECTION_LENGTH_DIFFERENCE letters longer or shorter (the pg_trgm docs' "similar length" test).
CORRECTION_MIN_LENGTH = 4
CORRECTION_SIMILARITY = 0.4
CORRECTION_LENGTH_DIFFERENCE = 2
# A correction to a word in fewer posts than this ranks its matches found through the indexes, not
# by walking the newest posts (docs/benchmarks.md, "Search": 850 ms -> a few ms at 100,000 posts).
CORRECTION_COLLECT_BELOW = 2000
WORD_MAX_LENGTH = 40  # longer lexemes (URLs, hashes) are never worth suggesting
QUEUE = "search"


class SearchType(models.TextChoices):
    ALL = "all", "Everything"
    CREATORS = "creators", "Creators"
    POSTS = "posts", "Posts"
