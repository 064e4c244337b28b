"""The search migrations are reversible: unapplying drops their indexes, functions, configuration
and the word table (``search_word``: its primary key and trigram index match 'search\\_%' too)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _search_objects() -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'search\\_%'")
        (indexes,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = ANY(%s)",
            [["fanclub_unaccent", "fanclub_post_labels", "fanclub_handle_words", "fanclub_creator_labels"]],
        )
        (functions,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_ts_config WHERE cfgname = 'fanclub_search'")
        (configs,) = cursor.fetchone()
    return indexes, functions, configs


def test_migration_unapplies_and_reapplies():
    assert _search_objects() == (10, 4, 1)
    call_command("migrate", "search", "zero", verbosity=0)
    try:
        assert _search_objects() == (0, 0, 0)
    finally:
        call_command("migrate", "search", verbosity=0)
    assert _search_objects() == (10, 4, 1)
