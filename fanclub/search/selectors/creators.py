"""Ranked creator search. Creators: active accounts with the creator role, without a block either way
with the viewer and not geo-blocking the viewer's country (the viewer's own profile excepted).
Ranked by handle and display name (A), archetype and boundaries (B) and bio (C); the trigram
fallback adds similar names and handles."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Case, FloatField, JSONField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.content import selectors as content_selectors
from fanclub.core.pagination import Page
from fanclub.creators.models import CreatorProfile
from fanclub.media.models import MediaItem
from fanclub.search import documents as docs
from fanclub.search.constants import CONFIG, EXACT_HANDLE_BONUS, TRIGRAM_WEIGHT
from fanclub.search.selectors.query import _NEEDLE_SQL, _TSQUERY_SQL, ParsedQuery, _ranked_page
from fanclub.social.selectors import block_between_q


def _signed_in_id(viewer: Any) -> int | None:
    if viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_active:
        return int(viewer.pk)
    return None


def creator_qs_visible_to(*, viewer: Any, country: str = "") -> QuerySet[CreatorProfile]:
    """Creators ``viewer`` may find: active creator accounts, no block either way, not geo-blocking
    the viewer's ``country`` (the viewer's own profile always)."""
    viewer_id = _signed_in_id(viewer)
    queryset = CreatorProfile.objects.filter(user__is_active=True, user__role=Role.CREATOR)
    if viewer_id:
        queryset = queryset.exclude(~Q(pk=viewer_id) & block_between_q(user_id=viewer_id, other_field="pk"))
    if country:
        queryset = queryset.exclude(Q(blocked_countries__contains=[country.upper()]) & ~Q(pk=viewer_id or 0))
    return queryset


def _name_similarity(needle: Any) -> Any:
    """How close the handle or display name is: the best word match, plus half the similarity of
    the whole handle as a tie-breaker ("lenna": @lena before @lena_art)."""
    return Greatest(
        docs.WordSimilarity(needle, docs.handle_trigram("user__handle")),
        docs.WordSimilarity(needle, docs.creator_name_trigram()),
    ) + docs.Similarity(needle, docs.handle_trigram("user__handle")) * Value(0.5)


def _creator_search_qs(*, viewer: Any, country: str, query: ParsedQuery, fuzzy: bool) -> QuerySet[Any]:
    """The ranking's specification (the requests run its SQL twin, :func:`_creator_ranked_rows`)."""
    # Each arm is its own indexed subquery (the documents live on two tables); the outer filter is a
    # hash lookup per creator profile, never a to_tsvector per row.
    arms = Q(pk__in=[])
    score: Any = Value(0.0, output_field=FloatField())
    if query.tsquery:
        tsquery = docs.TsQuery(docs.text(query.tsquery))
        arms |= Q(
            pk__in=CreatorProfile.objects.filter(docs.Matches(docs.creator_document(), tsquery)).values("pk")
        )
        arms |= Q(pk__in=User.objects.filter(docs.Matches(docs.handle_document(), tsquery)).values("pk"))
        document = docs.VectorConcat(
            docs.SetWeight(docs.handle_document("user__handle"), "A"), docs.creator_document()
        )
        score = docs.Rank(document, tsquery)
    if fuzzy and query.trigram_ok:
        needle = docs.Unaccent(docs.text(query.text))
        arms |= Q(
            pk__in=CreatorProfile.objects.filter(
                docs.WordSimilar(needle, docs.creator_name_trigram())
            ).values("pk")
        )
        arms |= Q(pk__in=User.objects.filter(docs.WordSimilar(needle, docs.handle_trigram())).values("pk"))
        score = score + _name_similarity(needle) * Value(TRIGRAM_WEIGHT)
    exact = Case(
        When(user__handle__iexact=query.text, then=Value(EXACT_HANDLE_BONUS)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return _ranked_creators_qs(viewer=viewer, country=country, arms=arms, score=score + exact)


def _ranked_creators_qs(*, viewer: Any, country: str, arms: Q, score: Any) -> QuerySet[Any]:
    """The creators ``viewer`` may find matching ``arms``, best ``score`` first (the specifications of
    the ranking and of the suggestions)."""
    return (
        creator_qs_visible_to(viewer=viewer, country=country)
        .filter(arms)
        .select_related("user", "avatar_media")
        .annotate(score=score)
        .order_by("-score", "display_name", "pk")
    )


def _creator_ranked_rows_orm(
    *, viewer: Any, country: str, query: ParsedQuery, fuzzy: bool, start: int, stop: int
) -> list[CreatorProfile]:
    """Rows ``start`` to ``stop`` of :func:`_creator_search_qs` (profiles with ``score``)."""
    return list(_creator_search_qs(viewer=viewer, country=country, query=query, fuzzy=fuzzy)[start:stop])


# The SQL twin of ``_creator_search_qs`` (which stays as its readable specification), as for posts
# (``posts._post_ranking_sql``): one text per shape (full text or not, trigrams or not), written once
# at import; building and compiling the queryset cost more CPU than PostgreSQL spends answering it
# (docs/benchmarks.md). The documents are the ORM's and the indexes' (migration 0001), character for
# character; the score is the ORM's expression with the same literals, so the same arithmetic. Not
# prepared, for the same reason as the posts' ranking: the best plan depends on the words. The
# statement returns what the ORM's ``select_related("user", "avatar_media")`` gave the callers (every
# profile field; the account's and the avatar's fields that the presenters read), and the rows
# become model instances without a query. ``tests/test_creator_ranking_sql.py`` compares both.
_PROFILE_FIELDS = [field.attname for field in CreatorProfile._meta.concrete_fields]
_PROFILE_JSON = {
    field.attname for field in CreatorProfile._meta.concrete_fields if isinstance(field, JSONField)
}
_USER_FIELDS = ["id", "handle", "display_name", "role", "avatar", "is_active"]
_MEDIA_FIELDS = [
    "id", "owner_id", "kind", "state", "width", "height", "duration_seconds", "variants", "deleted_at",
]  # fmt: skip
_CREATOR_COLUMNS_SQL = ", ".join(
    [f"cp.{name}" for name in _PROFILE_FIELDS]
    + [f"u.{name}" for name in _USER_FIELDS]
    + [f"mi.{name}" for name in _MEDIA_FIELDS]
)
_CREATOR_DOCUMENT_SQL = (
    f"(setweight(to_tsvector('{CONFIG}'::regconfig, {{t}}.display_name), 'A')"
    f" || setweight(to_tsvector('{CONFIG}'::regconfig,"
    " fanclub_creator_labels({t}.archetype, {t}.boundaries)), 'B')"
    f" || setweight(to_tsvector('{CONFIG}'::regconfig, {{t}}.bio), 'C'))"
)
_HANDLE_DOCUMENT_SQL = f"to_tsvector('{CONFIG}'::regconfig, fanclub_handle_words({{t}}.handle))"
_NAME_TRIGRAM_SQL = "fanclub_unaccent(lower({t}.display_name))"
_HANDLE_TRIGRAM_SQL = "fanclub_unaccent(lower({t}.handle))"
# An arm: a match on one table's index, as its own subquery (as ``_creator_search_qs`` explains).
_PROFILE_ARM_SQL = "cp.user_id IN (SELECT a.user_id FROM creators_creatorprofile a WHERE {match})"
_USER_ARM_SQL = "cp.user_id IN (SELECT a.id FROM accounts_user a WHERE {match})"
_BLOCK_SQL = "SELECT 1 FROM social_block b WHERE b.{me} = %(viewer)s AND b.{other} = cp.user_id"


# The creators the viewer may find (``creator_qs_visible_to``), shared by the ranking and the
# suggestions; ``%(viewer)s`` and ``%(country)s`` from :func:`_creator_visible_params`.
_CREATOR_FROM_SQL = """creators_creatorprofile cp
    JOIN accounts_user u ON u.id = cp.user_id
    LEFT JOIN media_mediaitem mi ON mi.id = cp.avatar_media_id"""
_BLOCKED_BY_ME_SQL = _BLOCK_SQL.format(me="blocker_id", other="blocked_id")
_BLOCKS_ME_SQL = _BLOCK_SQL.format(me="blocked_id", other="blocker_id")
_CREATOR_VISIBLE_SQL = f"""u.is_active AND u.role = '{Role.CREATOR.value}'
      AND (cp.user_id = %(viewer)s OR (NOT EXISTS ({_BLOCKED_BY_ME_SQL}) AND NOT EXISTS ({_BLOCKS_ME_SQL})))
      AND (%(country)s = '' OR cp.user_id = %(viewer)s
           OR NOT cp.blocked_countries @> ARRAY[%(country)s]::varchar(2)[])"""
# The trigram arms (``_creator_search_qs``'s fallback, ``search_suggest`` from 4 letters).
_WORD_SIMILAR_ARMS_SQL = [
    _PROFILE_ARM_SQL.format(match=f"{_NEEDLE_SQL} <<%% {_NAME_TRIGRAM_SQL.format(t='a')}"),
    _USER_ARM_SQL.format(match=f"{_NEEDLE_SQL} <<%% {_HANDLE_TRIGRAM_SQL.format(t='a')}"),
]
# ``_name_similarity``: the ORM's expression tree, the same literals.
_NAME_SIMILARITY_SQL = (
    f"(GREATEST(strict_word_similarity({_NEEDLE_SQL}, {_HANDLE_TRIGRAM_SQL.format(t='u')}),"
    f" strict_word_similarity({_NEEDLE_SQL}, {_NAME_TRIGRAM_SQL.format(t='cp')}))"
    f" + (similarity({_NEEDLE_SQL}, {_HANDLE_TRIGRAM_SQL.format(t='u')}) * 0.5))"
)


def _creator_visible_params(*, viewer: Any, country: str) -> dict[str, Any]:
    return {"viewer": _signed_in_id(viewer), "country": country.upper()}


def _creator_ranking_sql(*, full_text: bool, trigram: bool) -> str:
    """The statement of one shape of ``_creator_search_qs``: the creators the viewer may find
    (``creator_qs_visible_to``) in any arm, ranked, one page (``limit``, ``offset``)."""
    arms: list[str] = []
    score = "0.0"
    if full_text:
        arms.append(_PROFILE_ARM_SQL.format(match=f"{_CREATOR_DOCUMENT_SQL.format(t='a')} @@ {_TSQUERY_SQL}"))
        arms.append(_USER_ARM_SQL.format(match=f"{_HANDLE_DOCUMENT_SQL.format(t='a')} @@ {_TSQUERY_SQL}"))
        handle_document = f"setweight({_HANDLE_DOCUMENT_SQL.format(t='u')}, 'A')"
        score = f"ts_rank(({handle_document} || {_CREATOR_DOCUMENT_SQL.format(t='cp')}), {_TSQUERY_SQL})"
    if trigram:
        arms.extend(_WORD_SIMILAR_ARMS_SQL)
        score = f"({score} + ({_NAME_SIMILARITY_SQL} * {TRIGRAM_WEIGHT}))"
    exact = f"CASE WHEN UPPER(u.handle::text) = UPPER(%(needle)s) THEN {EXACT_HANDLE_BONUS} ELSE 0.0 END"
    return f"""
    SELECT {_CREATOR_COLUMNS_SQL}, ({score} + {exact}) AS score
    FROM {_CREATOR_FROM_SQL}
    WHERE {_CREATOR_VISIBLE_SQL}
      AND ({" OR ".join(arms)})
    ORDER BY score DESC, cp.display_name, cp.user_id
    LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 (constants only; the query's words are bound parameters)


def _creator_ranked_rows(
    *, viewer: Any, country: str, query: ParsedQuery, fuzzy: bool, start: int, stop: int
) -> list[CreatorProfile]:
    """:func:`_creator_ranked_rows_orm` in one hand-written statement (none when nothing can match),
    each profile with ``user`` and ``avatar_media`` loaded and its ``score``."""
    full_text = bool(query.tsquery)
    trigram = fuzzy and query.trigram_ok
    if not (full_text or trigram):
        return []
    params = {
        **_creator_visible_params(viewer=viewer, country=country),
        "tsquery": query.tsquery,
        "needle": query.text,
        "limit": stop - start,
        "offset": start,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CREATOR_RANKING[full_text, trigram], params)
        rows = cursor.fetchall()
    return [_creator_from_row(row) for row in rows]


def _creator_from_row(row: Any) -> CreatorProfile:
    """A ranking row as the ORM's ``select_related`` would have built it (``content.selectors``'s
    loader: no ``__init__``; jsonb arrives as text from Django's psycopg setup, decoded here)."""
    width, users = len(_PROFILE_FIELDS), len(_USER_FIELDS)
    values = list(row[:width])
    for index, name in enumerate(_PROFILE_FIELDS):
        if name in _PROFILE_JSON and values[index] is not None:
            values[index] = json.loads(values[index])
    profile = content_selectors.model_from_values(CreatorProfile, _PROFILE_FIELDS, values)
    user = content_selectors.model_from_values(User, _USER_FIELDS, row[width : width + users])
    media_values = list(row[width + users : -1])
    media = None
    if media_values[0] is not None:
        variants = _MEDIA_FIELDS.index("variants")
        media_values[variants] = json.loads(media_values[variants])
        media = content_selectors.model_from_values(MediaItem, _MEDIA_FIELDS, media_values)
    CreatorProfile.user.field.set_cached_value(profile, user)
    User.creator_profile.related.set_cached_value(user, profile)  # type: ignore[attr-defined]
    CreatorProfile.avatar_media.field.set_cached_value(profile, media)
    profile.score = row[-1]  # type: ignore[attr-defined]
    return profile


_CREATOR_RANKING: dict[tuple[bool, bool], str] = {
    (full_text, trigram): _creator_ranking_sql(full_text=full_text, trigram=trigram)
    for full_text in (True, False)
    for trigram in (True, False)
    if full_text or trigram
}

CreatorRows = Callable[..., list[CreatorProfile]]


def _creator_ranked_page(
    *,
    viewer: Any,
    country: str,
    query: ParsedQuery,
    cursor: str | None,
    limit: int,
    rows_for: CreatorRows = _creator_ranked_rows,
) -> tuple[list[CreatorProfile], str | None]:
    """One page of ranked creators and its next cursor. ``rows_for``: the SQL or its ORM
    specification (``_creator_ranked_rows_orm``, for tests)."""

    def fetch(fuzzy: bool, start: int, stop: int) -> list[Any]:
        return rows_for(viewer=viewer, country=country, query=query, fuzzy=fuzzy, start=start, stop=stop)

    return _ranked_page(fetch, query=query, cursor=cursor, limit=limit)


def creator_search(
    *, viewer: Any, country: str = "", query: ParsedQuery, cursor: str | None = None, limit: int = 20
) -> Page[CreatorProfile]:
    """Ranked creators for ``query`` (one query; two when the trigram fallback runs), each with
    ``user``, ``avatar_media`` and ``score``."""
    rows, next_cursor = _creator_ranked_page(
        viewer=viewer, country=country, query=query, cursor=cursor, limit=limit
    )
    return Page(items=rows, next_cursor=next_cursor)
