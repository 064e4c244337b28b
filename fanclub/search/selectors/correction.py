"""Spelling correction of posts (in the trigram fallback): each query word that is not a known word,
nor the start of one, in the word table (``models.SearchWord``: words any visitor may read) is
replaced by the most similar known word, and posts matching the corrected query are added. The page
says which correction was used ("Showing results for …") only when a post it returns was found
through it, so a correction never points at what the viewer may not see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q

from fanclub.search import documents as docs
from fanclub.search.constants import (
    CORRECTION_LENGTH_DIFFERENCE,
    CORRECTION_MIN_LENGTH,
    CORRECTION_SIMILARITY,
)
from fanclub.search.models import SearchWord
from fanclub.search.selectors.query import _TOKEN, ParsedQuery


@dataclass(frozen=True)
class Correction:
    """The query with its unknown words replaced: ``text`` to show ("Showing results for …"),
    ``tsquery`` to search (every word a prefix, as the query's own)."""

    text: str
    tsquery: str
    ndoc: int = 0  # posts holding the rarest replacement word (at the last rebuild)


# One statement for every word of the query: is it a known word or the start of one (a range scan
# on the "C"-collated primary key), and if not, the most similar known word (the trigram index;
# ``%`` is pg_trgm's similarity operator at its 0.3 threshold, then our stricter floor).
_CORRECTION_SQL = f"""
    SELECT t.n, best.word, best.ndoc
    FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS t(term, n)
    CROSS JOIN LATERAL (SELECT fanclub_unaccent(lower(t.term)) COLLATE "C" AS norm) AS q
    LEFT JOIN LATERAL (
        SELECT w.word, w.ndoc FROM {SearchWord._meta.db_table} w
        WHERE length(q.norm) >= %(min_length)s
          AND NOT EXISTS (
              SELECT 1 FROM {SearchWord._meta.db_table} k
              WHERE k.word >= q.norm AND k.word < q.norm || %(last)s
          )
          AND w.word %% q.norm
          AND similarity(w.word, q.norm) >= %(similarity)s
          AND abs(length(w.word) - length(q.norm)) <= %(length_difference)s
        ORDER BY similarity(w.word, q.norm) DESC, w.ndoc DESC, w.word
        LIMIT 1
    ) AS best ON true
    ORDER BY t.n
"""  # noqa: S608 (constants only; the query's words are bound parameters)


def search_correction(*, query: ParsedQuery) -> Correction | None:
    """The query with each unknown word (``CORRECTION_MIN_LENGTH`` letters or more) replaced by the
    most similar known word, or None when no word was replaced. One query (none without words)."""
    if not query.tokens or not any(len(token) >= CORRECTION_MIN_LENGTH for token in query.tokens):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            _CORRECTION_SQL,
            {
                "terms": list(query.tokens),
                "similarity": CORRECTION_SIMILARITY,
                "length_difference": CORRECTION_LENGTH_DIFFERENCE,
                "min_length": CORRECTION_MIN_LENGTH,
                "last": chr(0x10FFFF),  # after any character: [norm, norm || last) holds its extensions
            },
        )
        found = {
            int(n): (word, int(ndoc))
            for n, word, ndoc in cursor.fetchall()
            if word and _TOKEN.fullmatch(word)
        }
    if not found:
        return None
    words = [
        found[index][0] if index in found else token for index, token in enumerate(query.tokens, start=1)
    ]
    return Correction(
        text=" ".join(words),
        tsquery=" & ".join(f"{word}:*" for word in words),
        ndoc=min(ndoc for _, ndoc in found.values()),
    )


def _readable_match(tsquery: Any) -> Q:
    """Posts matching ``tsquery`` by what the viewer may read: labels always, text with access."""
    return Q(docs.Matches(docs.post_labels_document(), tsquery)) | (
        Q(has_access=True) & Q(docs.Matches(docs.post_text_document(), tsquery))
    )
