"""Suggestions while typing: creators whose handle or name starts with (or is trigram-similar to) the
query, tags of visible posts, and from 4 letters the spelling correction when it finds the viewer a
post."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, FloatField, Q, QuerySet, Value, When

from fanclub.accounts.models import User
from fanclub.content import policy
from fanclub.content import selectors as content_selectors
from fanclub.content.models import Post
from fanclub.creators.models import CreatorProfile
from fanclub.search import documents as docs
from fanclub.search.constants import (
    MIN_TRIGRAM_LENGTH,
    SUGGEST_CREATORS,
    SUGGEST_LIMIT,
    SUGGEST_TAG_SCAN,
    TAG_SUGGEST_SIMILARITY,
)
from fanclub.search.selectors.correction import Correction, _readable_match, search_correction
from fanclub.search.selectors.creators import (
    _CREATOR_COLUMNS_SQL,
    _CREATOR_FROM_SQL,
    _CREATOR_VISIBLE_SQL,
    _HANDLE_TRIGRAM_SQL,
    _NAME_SIMILARITY_SQL,
    _NAME_TRIGRAM_SQL,
    _PROFILE_ARM_SQL,
    _USER_ARM_SQL,
    _WORD_SIMILAR_ARMS_SQL,
    _creator_from_row,
    _creator_visible_params,
    _name_similarity,
    _ranked_creators_qs,
)
from fanclub.search.selectors.posts import (
    _CORRECTED_SQL,
    _LABELS_TRIGRAM_SQL,
    _SEARCHABLE_SQL,
    _readable_match_sql,
    post_qs_searchable_by,
)
from fanclub.search.selectors.query import ParsedQuery


@dataclass(frozen=True)
class TagSuggestion:
    tag: str
    post_count: int


@dataclass(frozen=True)
class Suggestions:
    creators: list[CreatorProfile]
    tags: list[TagSuggestion]
    correction: Correction | None = None


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _creator_suggest_qs(*, viewer: Any, country: str, query: ParsedQuery) -> QuerySet[CreatorProfile]:
    """The suggested creators' specification (the requests run its SQL twin,
    :func:`_creator_suggestions`): handle or name starting with the query or, from 4 letters,
    trigram-similar to it; those that start with it first, then by similarity."""
    needle = docs.Unaccent(docs.text(query.text))
    prefix = docs.Unaccent(docs.text(_like_prefix(query.text)))
    name_arms = docs.Like(docs.creator_name_trigram(), prefix)
    handle_arms = docs.Like(docs.handle_trigram(), prefix)
    arms = Q(pk__in=CreatorProfile.objects.filter(name_arms).values("pk")) | Q(
        pk__in=User.objects.filter(handle_arms).values("pk")
    )
    if len(query.text) > MIN_TRIGRAM_LENGTH:  # prefixes cover short queries; typos need 4+ letters
        arms |= Q(
            pk__in=CreatorProfile.objects.filter(
                docs.WordSimilar(needle, docs.creator_name_trigram())
            ).values("pk")
        )
        arms |= Q(pk__in=User.objects.filter(docs.WordSimilar(needle, docs.handle_trigram())).values("pk"))
    starts = Case(
        When(Q(docs.Like(docs.handle_trigram("user__handle"), prefix)), then=Value(2.0)),
        When(Q(docs.Like(docs.creator_name_trigram(), prefix)), then=Value(2.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return _ranked_creators_qs(
        viewer=viewer, country=country, arms=arms, score=starts + _name_similarity(needle)
    )


def _creator_suggestions_orm(*, viewer: Any, country: str, query: ParsedQuery) -> list[CreatorProfile]:
    """The first ``SUGGEST_CREATORS`` of :func:`_creator_suggest_qs` (profiles with ``score``)."""
    return list(_creator_suggest_qs(viewer=viewer, country=country, query=query)[:SUGGEST_CREATORS])


# The SQL twin of ``_creator_suggest_qs`` (its readable specification), as the ranking's
# (``_creator_ranking_sql``): one text per shape (trigram arms or not), written once at import, bound
# on the client and planned per execution, not prepared (a one-letter prefix and a rare name want
# different plans). It runs on every keystroke, where building and compiling the queryset cost more
# CPU than the statement (docs/benchmarks.md). ``tests/test_suggest_sql.py`` compares both.
# The pattern is ``_like_prefix``'s: LIKE's default escape character, the backslash, is its escape.
_PREFIX_SQL = "fanclub_unaccent(lower(%(prefix)s))"


def _creator_suggest_sql(*, trigram: bool) -> str:
    """The statement of one shape of ``_creator_suggest_qs``, its first ``SUGGEST_CREATORS`` rows."""
    arms = [
        _PROFILE_ARM_SQL.format(match=f"({_NAME_TRIGRAM_SQL.format(t='a')} LIKE {_PREFIX_SQL})"),
        _USER_ARM_SQL.format(match=f"({_HANDLE_TRIGRAM_SQL.format(t='a')} LIKE {_PREFIX_SQL})"),
    ]
    if trigram:
        arms.extend(_WORD_SIMILAR_ARMS_SQL)
    starts = (
        f"CASE WHEN ({_HANDLE_TRIGRAM_SQL.format(t='u')} LIKE {_PREFIX_SQL}) THEN 2.0"
        f" WHEN ({_NAME_TRIGRAM_SQL.format(t='cp')} LIKE {_PREFIX_SQL}) THEN 2.0 ELSE 0.0 END"
    )
    return f"""
    SELECT {_CREATOR_COLUMNS_SQL}, ({starts} + {_NAME_SIMILARITY_SQL}) AS score
    FROM {_CREATOR_FROM_SQL}
    WHERE {_CREATOR_VISIBLE_SQL}
      AND ({" OR ".join(arms)})
    ORDER BY score DESC, cp.display_name, cp.user_id
    LIMIT {SUGGEST_CREATORS}
    """  # noqa: S608 (constants only; the query's words are bound parameters)


_CREATOR_SUGGEST: dict[bool, str] = {
    trigram: _creator_suggest_sql(trigram=trigram) for trigram in (True, False)
}


def _creator_suggestions(*, viewer: Any, country: str, query: ParsedQuery) -> list[CreatorProfile]:
    """:func:`_creator_suggestions_orm` in one hand-written statement, each profile with ``user``,
    ``avatar_media`` and ``score`` loaded."""
    params = {
        **_creator_visible_params(viewer=viewer, country=country),
        "needle": query.text,
        "prefix": _like_prefix(query.text),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CREATOR_SUGGEST[len(query.text) > MIN_TRIGRAM_LENGTH], params)
        rows = cursor.fetchall()
    return [_creator_from_row(row) for row in rows]


def search_suggest(*, viewer: Any, country: str = "", query: ParsedQuery) -> Suggestions:
    """Up to ``SUGGEST_LIMIT`` suggestions while typing: creators whose handle or name starts with
    (or is trigram-similar to) the query (one hand-written statement), then tags of visible posts;
    from 4 letters, the spelling correction too when it finds the viewer a post (one more
    hand-written statement, ``EXISTS``). Two queries (three from 4 letters, four when a word is
    corrected)."""
    creators = _creator_suggestions(viewer=viewer, country=country, query=query)
    return Suggestions(
        creators=creators,
        tags=_tag_suggestions(
            viewer=viewer, country=country, query=query, limit=SUGGEST_LIMIT - len(creators)
        ),
        correction=_suggested_correction(viewer=viewer, country=country, query=query),
    )


def _suggested_correction_found_orm(*, viewer: Any, country: str, correction: Correction) -> bool:
    """The correction check's specification (the requests run its SQL twin,
    :func:`_suggested_correction_found`): does ``correction`` find the viewer a live post by what
    they may read (labels always, text with access)?"""
    tsquery = docs.TsQuery(docs.text(correction.tsquery))
    return post_qs_searchable_by(viewer=viewer, country=country).filter(_readable_match(tsquery)).exists()


# ``_suggested_correction_found_orm``'s SQL twin, written once at import from the ranking's pieces
# (``_SEARCHABLE_SQL``, ``_readable_match_sql`` with the policy's ``has_access`` inline): it runs on
# keystrokes, where building and compiling the queryset cost more CPU than the statement. Not
# prepared (the words decide between the GIN indexes and walking the posts), as the ranking;
# ``tests/test_correction_sql.py`` compares both.
_CORRECTION_FOUND = f"""
    SELECT EXISTS (
      SELECT 1 FROM {content_selectors.POSTS_FROM_SQL}
      WHERE {_SEARCHABLE_SQL}
        AND {_readable_match_sql(_CORRECTED_SQL, has_access=f"({policy.HAS_ACCESS_SQL})")}
    )
    """  # noqa: S608 (constants only; the corrected words are a bound parameter)


def _suggested_correction_found(*, viewer: Any, country: str, correction: Correction) -> bool:
    """:func:`_suggested_correction_found_orm` in one hand-written statement."""
    params = {**policy.sql_params(user=viewer, country=country), "corrected": correction.tsquery}
    with connection.cursor() as cursor:
        cursor.execute(_CORRECTION_FOUND, params)
        (found,) = cursor.fetchone()
    return bool(found)


CorrectionFound = Callable[..., bool]


def _suggested_correction(
    *,
    viewer: Any,
    country: str,
    query: ParsedQuery,
    found_for: CorrectionFound = _suggested_correction_found,
) -> Correction | None:
    """The correction, offered only if it finds the viewer a post by what they may read (the same
    rule as the results page: never a hint at what blocks, geo-blocks or locks hide). ``found_for``:
    the SQL check or its ORM specification (``_suggested_correction_found_orm``, for tests)."""
    if len(query.text) <= MIN_TRIGRAM_LENGTH:
        return None
    correction = search_correction(query=query)
    if correction is None:
        return None
    found = found_for(viewer=viewer, country=country, correction=correction)
    return correction if found else None


def _tag_suggestions_orm(*, viewer: Any, country: str, query: ParsedQuery, limit: int) -> list[TagSuggestion]:
    """The tag suggestions' specification (the requests run its SQL twin, :func:`_tag_suggestions`)."""
    tag_text = query.text.lstrip("#").replace(" ", "-")
    if not tag_text or limit <= 0:
        return []
    needle = docs.Unaccent(docs.text(tag_text))
    match = Q(docs.Like(docs.post_labels_trigram(), docs.Unaccent(docs.text("%" + _like_prefix(tag_text)))))
    if len(tag_text) > MIN_TRIGRAM_LENGTH:  # three letters are similar to too many tags to help
        match |= Q(docs.WordSimilar(needle, docs.post_labels_trigram()))
    # The newest matching posts first (one bitmap scan, no join), then the policy on those only:
    # the planner cannot estimate a trigram match, and a join inside the scan cost 10x more.
    recent = Post.objects.filter(match).order_by("-published_at", "-id").values("pk")[: SUGGEST_TAG_SCAN * 2]
    candidates = (
        post_qs_searchable_by(viewer=viewer, country=country)
        .filter(pk__in=recent)
        .order_by("-published_at", "-id")
        .values("pk", "tags")[:SUGGEST_TAG_SCAN]
    )
    candidate_sql, candidate_params = candidates.query.sql_with_params()
    # candidate_sql is Django's own compilation (its values are parameters), never user text.
    sql = f"""
        SELECT tag, count(*) AS post_count
        FROM ({candidate_sql}) AS candidate, unnest(candidate.tags) AS tag
        WHERE (fanclub_unaccent(lower(tag)) LIKE fanclub_unaccent(lower(%s))
               OR similarity(fanclub_unaccent(lower(%s)), fanclub_unaccent(lower(tag))) >= %s)
        GROUP BY tag
        ORDER BY (fanclub_unaccent(lower(tag)) LIKE fanclub_unaccent(lower(%s))) DESC, count(*) DESC, tag
        LIMIT %s
    """  # noqa: S608
    prefix = _like_prefix(tag_text)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*candidate_params, prefix, tag_text, TAG_SUGGEST_SIMILARITY, prefix, limit])
        return [TagSuggestion(tag=row[0], post_count=row[1]) for row in cursor.fetchall()]


# ``_tag_suggestions_orm``'s SQL twin, one text per shape (trigram arm or not), written once at
# import: the newest posts whose labels contain the typed prefix (or, from 4 letters, are trigram-
# similar to it), then the policy (``post_qs_searchable_by``'s twin, ``posts._SEARCHABLE_SQL``)
# on those only, then their tags. Not prepared (a one-letter prefix and a rare tag want different
# plans); ``tests/test_suggest_sql.py`` compares both.
_TAG_NEEDLE_SQL = "fanclub_unaccent(lower(%(tag)s))"


def _tag_suggest_sql(*, trigram: bool) -> str:
    """The statement of one shape of ``_tag_suggestions_orm`` (the inner ``p`` is its own scan)."""
    match = f"({_LABELS_TRIGRAM_SQL} LIKE fanclub_unaccent(lower(%(contains)s)))"
    if trigram:
        match = f"({match} OR ({_TAG_NEEDLE_SQL} <<%% {_LABELS_TRIGRAM_SQL}))"
    tag_starts = "(fanclub_unaccent(lower(tag)) LIKE fanclub_unaccent(lower(%(prefix)s)))"
    return f"""
    SELECT tag, count(*) AS post_count
    FROM (
      SELECT p.id, p.tags FROM {content_selectors.POSTS_FROM_SQL}
      WHERE p.id IN (
        SELECT p.id FROM content_post p WHERE {match}
        ORDER BY p.published_at DESC, p.id DESC
        LIMIT {SUGGEST_TAG_SCAN * 2}
      ) AND {_SEARCHABLE_SQL}
      ORDER BY p.published_at DESC, p.id DESC
      LIMIT {SUGGEST_TAG_SCAN}
    ) AS candidate, unnest(candidate.tags) AS tag
    WHERE ({tag_starts} OR similarity({_TAG_NEEDLE_SQL}, fanclub_unaccent(lower(tag))) >= %(similarity)s)
    GROUP BY tag
    ORDER BY {tag_starts} DESC, count(*) DESC, tag
    LIMIT %(limit)s
    """  # noqa: S608 (constants only; the query's words are bound parameters)


_TAG_SUGGEST: dict[bool, str] = {trigram: _tag_suggest_sql(trigram=trigram) for trigram in (True, False)}


def _tag_suggestions(*, viewer: Any, country: str, query: ParsedQuery, limit: int) -> list[TagSuggestion]:
    """:func:`_tag_suggestions_orm` in one hand-written statement (none when nothing is left to fill)."""
    tag_text = query.text.lstrip("#").replace(" ", "-")
    if not tag_text or limit <= 0:
        return []
    params = {
        **policy.sql_params(user=viewer, country=country),
        "tag": tag_text,
        "contains": "%" + _like_prefix(tag_text),
        "prefix": _like_prefix(tag_text),
        "similarity": TAG_SUGGEST_SIMILARITY,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_TAG_SUGGEST[len(tag_text) > MIN_TRIGRAM_LENGTH], params)
        return [TagSuggestion(tag=row[0], post_count=row[1]) for row in cursor.fetchall()]
