"""Full-text and trigram search: the text search configuration, helper functions and indexes.

The indexes live on other apps' tables (content_post, creators_creatorprofile, accounts_user) but
belong to search: their expressions must match ``fanclub.search.documents`` exactly, or the planner
cannot use them (``test_search_indexes_are_used`` pins that with EXPLAIN).
"""

from django.db import migrations

FUNCTIONS = """
CREATE TEXT SEARCH CONFIGURATION fanclub_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION fanclub_search
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart
    WITH {schema}.unaccent, pg_catalog.simple;
CREATE FUNCTION fanclub_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$;
CREATE FUNCTION fanclub_post_labels(character varying[], character varying) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT pg_catalog.array_to_string($1, ' ') || ' ' || coalesce($2, '') $$;
CREATE FUNCTION fanclub_handle_words(character varying) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT pg_catalog.regexp_replace($1, '[._-]+', ' ', 'g') $$;
CREATE FUNCTION fanclub_creator_labels(character varying, jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce($1, '')::text || ' ' || coalesce(($2 -> 'does')::text, '') $$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS fanclub_creator_labels(character varying, jsonb);
DROP FUNCTION IF EXISTS fanclub_handle_words(character varying);
DROP FUNCTION IF EXISTS fanclub_post_labels(character varying[], character varying);
DROP FUNCTION IF EXISTS fanclub_unaccent(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS fanclub_search;
"""

INDEXES = """
CREATE INDEX search_post_text_fts ON content_post
    USING gin (to_tsvector('fanclub_search'::regconfig, text));
CREATE INDEX search_post_labels_fts ON content_post
    USING gin (to_tsvector('fanclub_search'::regconfig, fanclub_post_labels(tags, category)));
CREATE INDEX search_post_tags ON content_post USING gin (tags);
CREATE INDEX search_post_labels_trgm ON content_post
    USING gin (fanclub_unaccent(lower(fanclub_post_labels(tags, category))) gin_trgm_ops);
CREATE INDEX search_creator_fts ON creators_creatorprofile USING gin ((
    setweight(to_tsvector('fanclub_search'::regconfig, display_name), 'A')
    || setweight(to_tsvector('fanclub_search'::regconfig, fanclub_creator_labels(archetype, boundaries)), 'B')
    || setweight(to_tsvector('fanclub_search'::regconfig, bio), 'C')
));
CREATE INDEX search_creator_name_trgm ON creators_creatorprofile
    USING gin (fanclub_unaccent(lower(display_name)) gin_trgm_ops);
CREATE INDEX search_user_handle_fts ON accounts_user
    USING gin (to_tsvector('fanclub_search'::regconfig, fanclub_handle_words(handle)));
CREATE INDEX search_user_handle_trgm ON accounts_user
    USING gin (fanclub_unaccent(lower(handle)) gin_trgm_ops);
"""

DROP_INDEXES = """
DROP INDEX IF EXISTS search_post_text_fts;
DROP INDEX IF EXISTS search_post_labels_fts;
DROP INDEX IF EXISTS search_post_labels_trgm;
DROP INDEX IF EXISTS search_post_tags;
DROP INDEX IF EXISTS search_creator_fts;
DROP INDEX IF EXISTS search_creator_name_trgm;
DROP INDEX IF EXISTS search_user_handle_fts;
DROP INDEX IF EXISTS search_user_handle_trgm;
"""


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        if cursor.fetchone() is None:
            raise RuntimeError(
                "The PostgreSQL server at DATABASE_URL lacks the unaccent extension (PostgreSQL contrib): "
                "install contrib on that server, or unset DATABASE_URL to use Fanclub's own PostgreSQL."
            )
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
        cursor.execute(FUNCTIONS.replace("{schema}", '"' + schema.replace('"', '""') + '"'))
        cursor.execute(INDEXES)


def drop(apps, schema_editor):
    # The unaccent extension stays: other code may come to use it, and it holds no data.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DROP_INDEXES)
        cursor.execute(DROP_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_extensions"),
        ("accounts", "0002_security_sessions_tokens"),
        ("creators", "0001_initial"),
        ("content", "0002_initial"),
    ]
    operations = [migrations.RunPython(create, drop)]
