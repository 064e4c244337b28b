"""Ranked post search. Posts come from ``content.policy.post_qs_visible_to`` restricted to live posts
(published, date passed, not expired, not deleted, active creator): drafts and scheduled posts are
never found, not even by their author. A post's *labels* (tags and category: public, shown on a
locked card) are searched for every visible post; its *text* only where the viewer has access, so a
locked post can never be found, ranked or excerpted by words only its buyers may read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from fanclub.content import policy
from fanclub.content import selectors as content_selectors
from fanclub.content.models import Post
from fanclub.search import documents as docs
from fanclub.search.constants import CONFIG, CORRECTION_COLLECT_BELOW, RANK_WINDOW, TRIGRAM_WEIGHT
from fanclub.search.selectors.correction import Correction, _readable_match, search_correction
from fanclub.search.selectors.query import _NEEDLE_SQL, _TSQUERY_SQL, ParsedQuery, _ranked_page


def post_qs_searchable_by(*, viewer: Any, country: str = "", now: datetime | None = None) -> QuerySet[Post]:
    """The access policy's visible posts, live ones only (drafts and scheduled posts never appear)."""
    now = now or timezone.now()
    return policy.post_qs_visible_to(user=viewer, country=country, now=now).filter(policy.live_q(now))


def _post_search_qs(
    *, viewer: Any, country: str, query: ParsedQuery, fuzzy: bool, correction: Correction | None = None
) -> QuerySet[Any]:
    """The ranking's specification (the requests run its SQL twin, :func:`_post_ranked_rows`)."""
    queryset = post_qs_searchable_by(viewer=viewer, country=country)
    match = Q(pk__in=[])
    score: Any = Value(0.0, output_field=FloatField())
    snippet: Any = Value(None, output_field=docs.TextField())
    via_correction: Any = Value(False, output_field=BooleanField())
    if query.tsquery:
        # In the fallback, the corrected query joins the query's own: "(sunsett:*) | (sunset:*)".
        effective = f"({query.tsquery}) | ({correction.tsquery})" if fuzzy and correction else query.tsquery
        tsquery = docs.TsQuery(docs.text(effective))
        # The text counts only where the viewer has access: a locked post is found by its labels.
        match |= _readable_match(tsquery)
        document = docs.VectorConcat(
            docs.SetWeight(docs.post_labels_document(), "B"),
            Case(
                When(has_access=True, then=docs.SetWeight(docs.post_text_document(), "C")),
                default=Value("", output_field=docs.SearchVectorField()),
            ),
        )
        score = docs.Rank(document, tsquery)
        snippet = Case(
            When(
                has_access=True,
                then=docs.Headline(F("text"), tsquery, docs.text(docs.HEADLINE_OPTIONS)),
            ),
            default=Value(None, output_field=docs.TextField()),
        )
        if fuzzy and correction:
            via_correction = Case(
                When(_readable_match(docs.TsQuery(docs.text(correction.tsquery))), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
    if fuzzy and query.trigram_ok:
        needle = docs.Unaccent(docs.text(query.text))
        match |= Q(docs.WordSimilar(needle, docs.post_labels_trigram()))
        score = score + docs.WordSimilarity(needle, docs.post_labels_trigram()) * Value(TRIGRAM_WEIGHT)
    # Ranking needs each candidate's documents (to_tsvector of its text): bounded to the newest
    # RANK_WINDOW matches, so a word found in half the posts costs the same as a rare one.
    newest: Any = F("published_at")
    if fuzzy and correction and correction.ndoc < CORRECTION_COLLECT_BELOW:
        # A rare corrected word: collect its few matches through the indexes (bitmap) and sort them.
        # Ordered by the bare column, the planner walks the newest posts instead, testing each one
        # (it cannot estimate the OR of several documents), 0.85 s for 100,000 posts.
        newest = ExpressionWrapper(F("published_at") + Value(timedelta(0)), output_field=DateTimeField())
    window = queryset.filter(match).order_by(newest.desc(), "-id").values("pk")[:RANK_WINDOW]
    return (
        queryset.filter(pk__in=window)
        .annotate(score=score, snippet=snippet, via_correction=via_correction)
        .order_by("-score", "-published_at", "-id")
    )


def _post_ranked_rows_orm(
    *,
    viewer: Any,
    country: str,
    query: ParsedQuery,
    fuzzy: bool,
    correction: Correction | None,
    start: int,
    stop: int,
) -> list[tuple[int, float, str | None, bool]]:
    """Rows ``start`` to ``stop`` of :func:`_post_search_qs`: (id, score, snippet, via_correction)."""
    queryset = _post_search_qs(
        viewer=viewer, country=country, query=query, fuzzy=fuzzy, correction=correction
    )
    return list(queryset.values_list("pk", "score", "snippet", "via_correction")[start:stop])


# --- The ranking as SQL text ------------------------------------------------------------------------
# The SQL twin of ``_post_search_qs`` (which stays as its readable specification): one text per
# shape (full text or not, trigrams or not, with a correction or not, collecting a rare correction's
# matches or not), written once at import. Building and compiling the queryset was ~15 ms of CPU per
# search (docs/benchmarks.md). The document expressions are the ORM's, character for character where
# an index needs it (``documents.py``; ``tests/test_indexes.py``). ``tests/test_ranking_sql.py``
# compares both, row by row, for every kind of viewer, post and query.
#
# Not prepared: the best plan depends on the words (a rare word: its posts from the GIN indexes, then a
# sort; a common one: the newest posts walked and tested), and a generic plan would pick one for all.
# Bound on the client and planned per execution, as Django's own statements are.
_LABELS_SQL = "fanclub_post_labels(p.tags, p.category)"
_LABELS_DOCUMENT_SQL = f"to_tsvector('{CONFIG}'::regconfig, {_LABELS_SQL})"
_TEXT_DOCUMENT_SQL = f"to_tsvector('{CONFIG}'::regconfig, p.text)"
_LABELS_TRIGRAM_SQL = f"fanclub_unaccent(lower({_LABELS_SQL}))"
_CORRECTED_SQL = f"to_tsquery('{CONFIG}'::regconfig, %(corrected)s)"
# ``post_qs_searchable_by``'s twin over ``content_selectors.POSTS_FROM_SQL``, with ``policy.sql_params``.
_SEARCHABLE_SQL = f"{policy.LIVE_SQL} AND {policy.VISIBLE_SQL}"


def _readable_match_sql(tsquery: str, *, has_access: str) -> str:
    """``_readable_match``'s twin: labels always, text with access."""
    return (
        f"(({_LABELS_DOCUMENT_SQL} @@ {tsquery}) OR ({has_access} AND ({_TEXT_DOCUMENT_SQL} @@ {tsquery})))"
    )


def _post_ranking_sql(*, full_text: bool, trigram: bool, corrected: bool, collect: bool) -> str:
    """The statement of one shape of ``_post_search_qs``: the newest ``RANK_WINDOW`` matches among the
    live posts the viewer may know exist, then those ranked, one page (``limit``, ``offset``)."""
    arms: list[str] = []
    score = "0.0"
    snippet = "NULL"
    via_correction = "false"
    if full_text:
        # In the window, the policy's CASE inline; in the ranking, computed once per row (``a``).
        arms.append(_readable_match_sql(_TSQUERY_SQL, has_access=f"({policy.HAS_ACCESS_SQL})"))
        document = (
            f"(setweight({_LABELS_DOCUMENT_SQL}, 'B')"
            f" || CASE WHEN a.has_access THEN setweight({_TEXT_DOCUMENT_SQL}, 'C') ELSE ''::tsvector END)"
        )
        score = f"ts_rank({document}, {_TSQUERY_SQL})"
        headline = f"ts_headline('{CONFIG}'::regconfig, p.text, {_TSQUERY_SQL}, %(headline)s)"
        snippet = f"CASE WHEN a.has_access THEN {headline} ELSE NULL END"
        if corrected:
            via_correction = _readable_match_sql(_CORRECTED_SQL, has_access="a.has_access")
    if trigram:
        arms.append(f"({_NEEDLE_SQL} <<%% {_LABELS_TRIGRAM_SQL})")
        score = (
            f"({score} + (strict_word_similarity({_NEEDLE_SQL}, {_LABELS_TRIGRAM_SQL}) * {TRIGRAM_WEIGHT}))"
        )
    # A rare corrected word: see ``_post_search_qs`` (an expression, so not the feed index's order).
    newest = "(p.published_at + interval '0')" if collect else "p.published_at"
    return f"""
    SELECT p.id, {score} AS score, {snippet} AS snippet, {via_correction} AS via_correction
    FROM content_post p CROSS JOIN LATERAL (SELECT {policy.HAS_ACCESS_SQL} AS has_access) AS a
    WHERE p.id IN (
      SELECT p.id FROM {content_selectors.POSTS_FROM_SQL}
      WHERE {_SEARCHABLE_SQL} AND ({" OR ".join(arms)})
      ORDER BY {newest} DESC, p.id DESC
      LIMIT {RANK_WINDOW}
    )
    ORDER BY 2 DESC, p.published_at DESC, p.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 (constants only; the query's words are bound parameters)


_POST_RANKING: dict[tuple[bool, bool, bool, bool], str] = {
    (full_text, trigram, corrected, collect): _post_ranking_sql(
        full_text=full_text, trigram=trigram, corrected=corrected, collect=collect
    )
    for full_text in (True, False)
    for trigram in (True, False)
    for corrected in (True, False)
    for collect in (True, False)
    if (full_text or trigram) and (full_text or not corrected) and (corrected or not collect)
}


def _post_ranked_rows(
    *,
    viewer: Any,
    country: str,
    query: ParsedQuery,
    fuzzy: bool,
    correction: Correction | None,
    start: int,
    stop: int,
) -> list[tuple[int, float, str | None, bool]]:
    """:func:`_post_ranked_rows_orm` in one hand-written statement (none when nothing can match)."""
    full_text = bool(query.tsquery)
    trigram = fuzzy and query.trigram_ok
    corrected = correction if fuzzy and full_text else None
    if not (full_text or trigram):
        return []
    collect = corrected is not None and corrected.ndoc < CORRECTION_COLLECT_BELOW
    sql = _POST_RANKING[full_text, trigram, corrected is not None, collect]
    params = {
        **policy.sql_params(user=viewer, country=country),
        "tsquery": f"({query.tsquery}) | ({corrected.tsquery})" if corrected else query.tsquery,
        "corrected": corrected.tsquery if corrected else None,
        "needle": query.text,
        "headline": docs.HEADLINE_OPTIONS,
        "limit": stop - start,
        "offset": start,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


RankedRows = Callable[..., list[tuple[int, float, str | None, bool]]]


def _post_ranked_page(
    *,
    viewer: Any,
    country: str,
    query: ParsedQuery,
    cursor: str | None,
    limit: int,
    rows_for: RankedRows = _post_ranked_rows,
) -> tuple[list[tuple[int, float, str | None, bool]], str | None, Correction | None]:
    """One page of ranked (id, score, snippet, via_correction), its next cursor, and the correction
    looked up for the fallback (None if it did not run). ``rows_for``: the SQL or its ORM
    specification (``_post_ranked_rows_orm``, for tests)."""
    corrections: list[Correction | None] = []

    def fetch(fuzzy: bool, start: int, stop: int) -> list[Any]:
        if fuzzy and not corrections:
            corrections.append(search_correction(query=query))
        correction = corrections[0] if fuzzy else None
        return rows_for(
            viewer=viewer,
            country=country,
            query=query,
            fuzzy=fuzzy,
            correction=correction,
            start=start,
            stop=stop,
        )

    rows, next_cursor = _ranked_page(fetch, query=query, cursor=cursor, limit=limit)
    return rows, next_cursor, corrections[0] if corrections else None


@dataclass(frozen=True)
class PostResults:
    """A page of ranked posts, and the correction it used (None unless a post on this page was
    found through it)."""

    items: list[Post]
    next_cursor: str | None
    correction: Correction | None = None


def post_search(
    *, viewer: Any, country: str = "", query: ParsedQuery, cursor: str | None = None, limit: int = 20
) -> PostResults:
    """Ranked live posts for ``query`` as ``viewer`` sees them (``snippet`` only with access). In
    the fallback, also posts found by the spelling correction (one more query to find it)."""
    # The ranked ids and what the ranking adds (one hand-written statement, two with the fallback),
    # then their cards in one prepared statement (the policy's SQL twin, with the creators' offered
    # tiers): the ORM's select_related, two prefetches and the offered tiers were most of a results
    # page's CPU, and the ranking queryset most of the rest (docs/benchmarks.md).
    rows, next_cursor, correction = _post_ranked_page(
        viewer=viewer, country=country, query=query, cursor=cursor, limit=limit
    )
    posts = content_selectors.post_list_by_ids_for_viewer(
        viewer=viewer, post_ids=[row[0] for row in rows], country=country
    )
    ranked = {post_id: (score, snippet, via) for post_id, score, snippet, via in rows}
    for post in posts:
        post.score, post.snippet, post.via_correction = ranked[post.pk]  # type: ignore[attr-defined]
    used = correction if any(post.via_correction for post in posts) else None  # type: ignore[attr-defined]
    return PostResults(items=posts, next_cursor=next_cursor, correction=used)


def snippet_parts(snippet: str | None) -> list[tuple[str, bool]]:
    """A headline split into (text, highlighted) parts, for templates and the API."""
    if not snippet:
        return []
    parts: list[tuple[str, bool]] = []
    for index, chunk in enumerate(re.split(f"[{docs.HIGHLIGHT_START}{docs.HIGHLIGHT_END}]", snippet)):
        if chunk:
            parts.append((chunk, index % 2 == 1))
    return parts


def snippet_plain(snippet: str | None) -> str | None:
    if not snippet:
        return None
    return snippet.replace(docs.HIGHLIGHT_START, "").replace(docs.HIGHLIGHT_END, "")
