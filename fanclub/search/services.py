"""Writes of the search app: the word table behind the spelling correction (``models.SearchWord``).

Which words: the lexemes (``fanclub_search`` configuration, as the search documents) of the
*text* of live public posts, and of the *labels* (tags, category: shown on every card, locked or
not) of every live post. A locked post's text never contributes, so no correction can reveal a word
only its buyers may read. Posts of geo-blocking creators do contribute (their public posts are
public elsewhere); the selector shows a correction only when it found the viewer a post they may
see through it, so a correction never points at what blocks or geo-blocks hide.

* ``search_words_add``: in the transaction that publishes or edits a post (called by the content
  app's services), the post's new words. One statement; existing words are left alone (no row
  lock: publishing never queues behind a common word), and words go in sorted order, so two
  transactions adding overlapping words cannot deadlock.
* ``search_words_rebuild``: from scratch (hourly job, ``manage.py search_words_rebuild``): words no
  longer used by any live post (edited away, deleted, made private, expired) disappear, and
  ``ndoc`` is recounted. One statement, so it sees one snapshot: a word added by a transaction that
  commits meanwhile is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from fanclub.content.constants import Access, PostState
from fanclub.search.constants import CONFIG, WORD_MAX_LENGTH
from fanclub.search.models import SearchWord

TABLE = SearchWord._meta.db_table

# The words of one post row ``p`` (its creator ``u``): the text only when public, the labels always.
_POST_WORDS = f"""
    CASE WHEN p.access = '{Access.PUBLIC.value}' THEN to_tsvector('{CONFIG}'::regconfig, p.text)
         ELSE ''::tsvector END
    || to_tsvector('{CONFIG}'::regconfig, fanclub_post_labels(p.tags, p.category))
"""
# The policy's ``live_q`` as SQL, for a given ``now`` expression.
_LIVE = (
    "p.state = '" + PostState.PUBLISHED.value + "' AND p.published_at <= {now} AND p.deleted_at IS NULL"
    " AND u.is_active AND (p.expires_at IS NULL OR p.expires_at > {now})"
)
# Plain words only: what a query word can be replaced by (no URLs, e-mail addresses, paths).
_PLAIN = "{word} !~ '[[:punct:][:space:]]' AND length({word}) BETWEEN 2 AND " + str(WORD_MAX_LENGTH)

ADD_SQL = f"""
    INSERT INTO {TABLE} (word, ndoc)
    SELECT DISTINCT lexeme COLLATE "C", 1
    FROM content_post p
    JOIN accounts_user u ON u.id = p.creator_id
    CROSS JOIN LATERAL unnest(tsvector_to_array({_POST_WORDS})) AS lexeme
    WHERE p.id = ANY(%(post_ids)s) AND {_LIVE.format(now="%(now)s")} AND {_PLAIN.format(word="lexeme")}
    ORDER BY 1
    ON CONFLICT (word) DO NOTHING
"""  # noqa: S608 (constants only; values are bound parameters)

# statement_timestamp(), not now(): a rebuild inside a longer transaction sees what it published.
_LIVE_WORDS_QUERY = f"""
    SELECT {_POST_WORDS} FROM content_post p JOIN accounts_user u ON u.id = p.creator_id
    WHERE {_LIVE.format(now="statement_timestamp()")}
"""  # noqa: S608 (constants only)
REBUILD_SQL = f"""
    WITH fresh AS MATERIALIZED (
        SELECT word COLLATE "C" AS word, ndoc
        FROM ts_stat($words${_LIVE_WORDS_QUERY}$words$)
        WHERE {_PLAIN.format(word="word")}
    ),
    removed AS (
        DELETE FROM {TABLE} w WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.word = w.word)
        RETURNING 1
    ),
    changed AS (
        INSERT INTO {TABLE} (word, ndoc) SELECT word, ndoc FROM fresh ORDER BY word
        ON CONFLICT (word) DO UPDATE SET ndoc = EXCLUDED.ndoc WHERE {TABLE}.ndoc <> EXCLUDED.ndoc
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM removed), (SELECT count(*) FROM changed)
"""  # noqa: S608 (constants only)


def search_words_add(*, post_ids: list[int], now: datetime | None = None) -> None:
    """Add the words of these posts (those live now; others add nothing). Call it inside the
    transaction that publishes or edits them: the words are there when the post is."""
    if not post_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(ADD_SQL, {"post_ids": list(post_ids), "now": now or timezone.now()})


@dataclass(frozen=True)
class WordsRebuilt:
    words: int  # in the table now
    removed: int
    changed: int  # added, or their ndoc changed


def search_words_rebuild() -> WordsRebuilt:
    """Recompute the word table from every live post (see the module docstring)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD_SQL)
        words, removed, changed = cursor.fetchone()
    return WordsRebuilt(words=int(words), removed=int(removed), changed=int(changed))
