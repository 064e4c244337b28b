"""Search, suggestions, and tag and category listings: reads, always scoped by the access policy.

* Posts come from ``content.policy.post_qs_visible_to`` restricted to live posts (published, date
  passed, not expired, not deleted, active creator): drafts and scheduled posts are never found,
  not even by their author. A post's *labels* (tags and category: public, shown on a locked card)
  are searched for every visible post; its *text* only where the viewer has access, so a locked
  post can never be found, ranked or excerpted by words only its buyers may read.
* Creators: active accounts with the creator role, without a block either way with the viewer and
  not geo-blocking the viewer's country (the viewer's own profile excepted).
* Ranking: ``ts_rank`` over weighted documents (handle and display name A, tags/categories B,
  bio and post text C); when full-text search finds fewer than ``FALLBACK_BELOW`` results, the
  trigram fallback adds names, handles and tags whose word similarity passes pg_trgm's threshold
  (typos: "lenna" finds "lena"), scored ``ts_rank + TRIGRAM_WEIGHT * similarity``.
* Spelling correction of posts (same fallback): each query word that is not a known word, nor the
  start of one, in the word table (``models.SearchWord``: words any visitor may read) is replaced
  by the most similar known word, and posts matching the corrected query are added. The page says
  which correction was used ("Showing results for …") only when a post it returns was found
  through it, so a correction never points at what the viewer may not see.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
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
    JSONField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.content import policy
from fanclub.content import selectors as content_selectors
from fanclub.content.constants import Category
from fanclub.content.models import Post
from fanclub.core.errors import ApiError, NotFound
from fanclub.core.pagination import InvalidCursor, Page
from fanclub.creators.models import CreatorProfile
from fanclub.media.models import MediaItem
from fanclub.search import documents as docs
from fanclub.search.constants import (
    CONFIG,
    CORRECTION_COLLECT_BELOW,
    CORRECTION_LENGTH_DIFFERENCE,
    CORRECTION_MIN_LENGTH,
    CORRECTION_SIMILARITY,
    EXACT_HANDLE_BONUS,
    FALLBACK_BELOW,
    MAX_QUERY_LENGTH,
    MAX_QUERY_TOKENS,
    MAX_RESULTS,
    MIN_TRIGRAM_LENGTH,
    RANK_WINDOW,
    SUGGEST_CREATORS,
    SUGGEST_LIMIT,
    SUGGEST_TAG_SCAN,
    TAG_SUGGEST_SIMILARITY,
    TRIGRAM_WEIGHT,
)
from fanclub.search.errors import QueryEmpty, QueryTooLong
from fanclub.search.models import SearchWord
from fanclub.social.selectors import block_between_q

_TOKEN = re.compile(r"[^\W_]+")
_TAG = re.compile(r"^[a-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class ParsedQuery:
    """A viewer's query: ``text`` normalised (NFKC, lower case, single spaces, accents kept: the
    database strips them on both sides), ``tsquery`` every word as a prefix ("lena:* & ros:*")."""

    text: str
    tsquery: str
    tokens: tuple[str, ...] = ()

    @property
    def trigram_ok(self) -> bool:
        return len(self.text) >= MIN_TRIGRAM_LENGTH


def search_query_parse(*, raw: str | None) -> ParsedQuery:
    """Validate and normalise ``q`` (422 ``query_empty`` / ``query_too_long``)."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").lower().split())
    if not text:
        raise QueryEmpty("Type something to search for.", details=[{"loc": ["query", "q"], "msg": "empty"}])
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(
            f"A search is at most {MAX_QUERY_LENGTH} characters.",
            details=[{"loc": ["query", "q"], "msg": f"at most {MAX_QUERY_LENGTH} characters"}],
        )
    # Words only (letters and digits): nothing else reaches to_tsquery's syntax.
    tokens = list(dict.fromkeys(_TOKEN.findall(text)))[:MAX_QUERY_TOKENS]
    return ParsedQuery(
        text=text.lstrip("@#") or text,
        tsquery=" & ".join(f"{token}:*" for token in tokens),
        tokens=tuple(tokens),
    )


# --- Spelling correction ----------------------------------------------------------------------------
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


# --- Bounded pagination for ranked results ----------------------------------------------------------
# A rank is not a stable key for keyset pagination (it is a float computed per query), so ranked
# results page by offset inside an opaque cursor, up to MAX_RESULTS. The cursor also remembers
# whether the first page fell back to trigrams, so later pages rank the same way.
@dataclass(frozen=True)
class _Position:
    offset: int
    fuzzy: bool


def _cursor_encode(position: _Position) -> str:
    raw = json.dumps({"o": position.offset, "f": int(position.fuzzy)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str | None) -> _Position | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, fuzzy = data["o"], data["f"]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor("The cursor is malformed or does not belong to this list.") from exc
    if type(offset) is not int or not 0 < offset < MAX_RESULTS or fuzzy not in (0, 1):
        raise InvalidCursor("The cursor is malformed or does not belong to this list.")
    return _Position(offset=offset, fuzzy=bool(fuzzy))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 50:
        raise ApiError("limit must be between 1 and 50.", code="validation_error", status=422)


# ``fetch(fuzzy, start, stop)``: rows ``start`` to ``stop`` (excluded) of the ranking.
RankedFetch = Callable[[bool, int, int], list[Any]]


def _sliced(build: Callable[[bool], QuerySet[Any]]) -> RankedFetch:
    """A ranking given as ``build(fuzzy)``, an ordered queryset, sliced."""
    return lambda fuzzy, start, stop: list(build(fuzzy)[start:stop])


def _ranked_page(
    fetch: RankedFetch, *, query: ParsedQuery, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Fetch one page of the ranking, falling back to trigrams when the first full-text page is short."""
    _check_limit(limit)
    position = _cursor_decode(cursor) or _Position(offset=0, fuzzy=not query.tsquery)
    end = min(position.offset + limit, MAX_RESULTS)
    rows = fetch(position.fuzzy, position.offset, end + 1) if query.tsquery or position.fuzzy else []
    if position.offset == 0 and not position.fuzzy and len(rows) < FALLBACK_BELOW and query.trigram_ok:
        position = _Position(offset=0, fuzzy=True)
        rows = fetch(True, 0, end + 1)
    has_more = len(rows) > end - position.offset and end < MAX_RESULTS
    rows = rows[: end - position.offset]
    next_cursor = _cursor_encode(_Position(offset=end, fuzzy=position.fuzzy)) if has_more else None
    return rows, next_cursor


# The query in the hand-written rankings (creators and posts): always bound parameters.
_NEEDLE_SQL = "fanclub_unaccent(lower(%(needle)s))"
_TSQUERY_SQL = f"to_tsquery('{CONFIG}'::regconfig, %(tsquery)s)"


# --- Creators ---------------------------------------------------------------------------------------
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
    return (
        creator_qs_visible_to(viewer=viewer, country=country)
        .filter(arms)
        .select_related("user", "avatar_media")
        .annotate(score=score + exact)
        .order_by("-score", "display_name", "pk")
    )


def _creator_ranked_rows_orm(
    *, viewer: Any, country: str, query: ParsedQuery, fuzzy: bool, start: int, stop: int
) -> list[CreatorProfile]:
    """Rows ``start`` to ``stop`` of :func:`_creator_search_qs` (profiles with ``score``)."""
    return list(_creator_search_qs(viewer=viewer, country=country, query=query, fuzzy=fuzzy)[start:stop])


# The SQL twin of ``_creator_search_qs`` (which stays as its readable specification), as for posts
# (``_post_ranking_sql`` below): one text per shape (full text or not, trigrams or not), written once
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


# --- Posts ------------------------------------------------------------------------------------------
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
      WHERE {policy.LIVE_SQL} AND {policy.VISIBLE_SQL} AND ({" OR ".join(arms)})
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


# --- Suggestions ------------------------------------------------------------------------------------
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
    return (
        creator_qs_visible_to(viewer=viewer, country=country)
        .filter(arms)
        .select_related("user", "avatar_media")
        .annotate(score=starts + _name_similarity(needle))
        .order_by("-score", "display_name", "pk")
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
    from 4 letters, the spelling correction too when it finds the viewer a post. Two queries (three
    from 4 letters, four when a word is corrected)."""
    creators = _creator_suggestions(viewer=viewer, country=country, query=query)
    return Suggestions(
        creators=creators,
        tags=_tag_suggestions(
            viewer=viewer, country=country, query=query, limit=SUGGEST_LIMIT - len(creators)
        ),
        correction=_suggested_correction(viewer=viewer, country=country, query=query),
    )


def _suggested_correction(*, viewer: Any, country: str, query: ParsedQuery) -> Correction | None:
    """The correction, offered only if it finds the viewer a post by what they may read (the same
    rule as the results page: never a hint at what blocks, geo-blocks or locks hide)."""
    if len(query.text) <= MIN_TRIGRAM_LENGTH:
        return None
    correction = search_correction(query=query)
    if correction is None:
        return None
    tsquery = docs.TsQuery(docs.text(correction.tsquery))
    found = post_qs_searchable_by(viewer=viewer, country=country).filter(_readable_match(tsquery)).exists()
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
# similar to it), then the policy (``post_qs_searchable_by``'s twin: ``LIVE_SQL``, ``VISIBLE_SQL``)
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
      ) AND {policy.LIVE_SQL} AND {policy.VISIBLE_SQL}
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


# --- Tag and category listings ----------------------------------------------------------------------
LISTING_ORDER = ("-published_at", "-id")


def tag_normalize(*, tag: str) -> str:
    """A tag as posts store it (lower case, [a-z0-9_-], at most 40), or 404."""
    cleaned = tag.strip().lstrip("#").lower()
    if not _TAG.match(cleaned):
        raise NotFound("No such tag.")
    return cleaned


def category_check(*, category: str) -> str:
    if not category or category not in Category.values:
        raise NotFound("No such category.")
    return category


# Like the content app's lists (``content.selectors.list_sql``): the page's ids in one statement
# through the policy's SQL twin, live posts only, keyset on LISTING_ORDER with the cursor
# as an index bound, then the cards in one more. Cursors are ``paginate``'s over LISTING_ORDER, so
# one handed out by the ORM version of these lists still works (``tests/test_lists_sql.py``).
_LISTING_KEYS: dict[str, type] = {"p.published_at": datetime, "p.id": int}
# A tag: for a common tag, the newest live posts tested for it one by one (``content_post_feed_idx``,
# from the cursor: 0.1 ms a page on 6,000 posts); for a rare one, its posts from the GIN index
# ``search_post_tags``, then a sort. PostgreSQL picks per tag, so this statement is not prepared:
# the generic plan (the GIN index and a sort whatever the tag) took 10 ms for a tag on half the
# posts. Planning costs ~0.3 ms.
_TAG_LIST = content_selectors.list_sql(
    source=content_selectors.POSTS_FROM_SQL,
    where=f"p.tags @> ARRAY[%(tag)s]::varchar(40)[] AND {policy.LIVE_SQL}",
    order=_LISTING_KEYS,
    prepared=False,
)
# A category (a handful of values, each a large share of the posts): the same plan for all, prepared.
# First page: ``content_post_category_idx`` (category, -published_at) then an incremental sort on
# the id; after a cursor, ``content_post_feed_idx`` from the cursor, testing the category.
_CATEGORY_LIST = content_selectors.list_sql(
    source=content_selectors.POSTS_FROM_SQL,
    where=f"p.category = %(category)s AND {policy.LIVE_SQL}",
    order=_LISTING_KEYS,
)


def post_list_for_tag(
    *, viewer: Any, country: str = "", tag: str, cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Live posts carrying ``tag`` that ``viewer`` may know exist, newest first (keyset cursor), as
    cards (``content.selectors.posts_from_card_rows``). Two statements."""
    return content_selectors.list_page(
        _TAG_LIST, viewer=viewer, params={"tag": tag}, country=country, cursor=cursor, limit=limit
    )


def post_list_for_category(
    *, viewer: Any, country: str = "", category: str, cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Live posts in ``category`` that ``viewer`` may know exist, newest first (keyset cursor), as
    cards. Two statements."""
    return content_selectors.list_page(
        _CATEGORY_LIST,
        viewer=viewer,
        params={"category": category},
        country=country,
        cursor=cursor,
        limit=limit,
    )


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
