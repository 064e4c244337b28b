"""The SQL of the search documents, as Django expressions.

Each expression here must be structurally identical to an index expression created by migration
0001 (PostgreSQL matches an expression index by its expression tree, not by name): change both or
neither. ``tests/test_indexes.py`` pins with EXPLAIN that every search path uses its index.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db.models import BooleanField, Expression, F, FloatField, Func, TextField, Value

from fanclub.search.constants import CONFIG


class TsVector(Func):
    template = f"to_tsvector('{CONFIG}'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


class TsQuery(Func):
    template = f"to_tsquery('{CONFIG}'::regconfig, %(expressions)s)"
    output_field = SearchQueryField()


class SetWeight(Func):
    function = "setweight"
    output_field = SearchVectorField()

    def __init__(self, vector: Any, weight: str) -> None:
        super().__init__(vector, Value(weight, output_field=TextField()))


class VectorConcat(Func):
    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = SearchVectorField()


class Matches(Func):
    """``document @@ query``: the full-text match (GIN-indexable on the document)."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


class Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


class Headline(Func):
    """A fragment of ``text`` around the query's words, marked with ``HIGHLIGHT_START/END``."""

    template = f"ts_headline('{CONFIG}'::regconfig, %(expressions)s)"
    output_field = TextField()


HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords=30, MinWords=12, MaxFragments=2, "
    "FragmentDelimiter= … "
)


class Unaccent(Func):
    """``fanclub_unaccent(lower(x))``: the trigram columns' normal form (immutable, so indexable)."""

    template = "fanclub_unaccent(lower(%(expressions)s))"
    output_field = TextField()


class WordSimilar(Func):
    """``needle <<% haystack``: some whole word(s) of ``haystack`` are trigram-similar to ``needle``
    (``pg_trgm.strict_word_similarity_threshold``, 0.5 by default: "lenna" ~ "lena" is 0.57);
    GIN-indexable on ``haystack``."""

    template = "(%(expressions)s)"
    arg_joiner = " <<%% "
    output_field = BooleanField()


class WordSimilarity(Func):
    function = "strict_word_similarity"
    output_field = FloatField()


class Similarity(Func):
    function = "similarity"
    output_field = FloatField()


class Like(Func):
    """``haystack LIKE pattern`` (a prefix pattern uses the trigram index too)."""

    template = "(%(expressions)s)"
    arg_joiner = " LIKE "
    output_field = BooleanField()


def text(value: str) -> Value:
    return Value(value, output_field=TextField())


# --- Posts (content_post) --------------------------------------------------------------------------
def post_text_document() -> Expression:
    return TsVector(F("text"))


def post_labels() -> Func:
    """Tags and category: the public fields of a post, shown even when it is locked."""
    return Func(F("tags"), F("category"), function="fanclub_post_labels", output_field=TextField())


def post_labels_document() -> Expression:
    return TsVector(post_labels())


def post_labels_trigram() -> Expression:
    return Unaccent(post_labels())


# --- Creators (creators_creatorprofile + accounts_user) --------------------------------------------
def creator_document(prefix: str = "") -> Expression:
    """Display name (A), archetype and the categories they make (B), bio (C)."""
    labels = Func(
        F(f"{prefix}archetype"),
        F(f"{prefix}boundaries"),
        function="fanclub_creator_labels",
        output_field=TextField(),
    )
    return VectorConcat(
        SetWeight(TsVector(F(f"{prefix}display_name")), "A"),
        SetWeight(TsVector(labels), "B"),
        SetWeight(TsVector(F(f"{prefix}bio")), "C"),
    )


def handle_document(field: str = "handle") -> Expression:
    """The handle split at '.', '_' and '-' ("lena.rossi" -> "lena rossi"), on accounts_user."""
    return TsVector(Func(F(field), function="fanclub_handle_words", output_field=TextField()))


def creator_name_trigram(prefix: str = "") -> Expression:
    return Unaccent(F(f"{prefix}display_name"))


def handle_trigram(field: str = "handle") -> Expression:
    return Unaccent(F(field))
