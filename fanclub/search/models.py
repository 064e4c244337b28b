from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models


class SearchWord(models.Model):
    """A distinct word (a lexeme of the ``fanclub_search`` configuration) that any visitor may read:
    from the *text* of live public posts and the *labels* (tags, category) of every live post.

    The spelling correction of post search looks typos up here with pg_trgm, as the PostgreSQL
    docs recommend ("Text Search Integration" in pg_trgm). Words of locked posts' text are never
    stored, so a correction cannot reveal them. Kept by ``services.search_words_add`` in the
    transaction that publishes or edits a post (new words only) and rebuilt by
    ``search_words_rebuild`` (hourly job and ``manage.py search_words_rebuild``), which removes
    words no longer used and refreshes ``ndoc``.
    """

    # "C" collation: byte order, so a prefix is a range scan on the primary key ("is this a known word
    # or the start of one?") whatever the database's locale.
    word = models.TextField(primary_key=True, db_collation="C")
    ndoc = models.PositiveIntegerField(default=1)  # posts holding the word at the last rebuild

    class Meta:
        db_table = "search_word"
        indexes = [GinIndex(fields=["word"], name="search_word_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word
