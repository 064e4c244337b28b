"""Fill the spelling correction's word table from the posts there are, and drop the LIKE twin index
Django created with 0002 (it creates such indexes at the end of a migration, so not there)."""

from django.db import migrations

# Django adds a text_pattern_ops twin to an indexed text column for LIKE outside the C locale; the
# primary key is "C"-collated already (prefixes are range scans on it), so the twin is dead weight
# on every insert.
DROP_LIKE_INDEX = r"""
DO $$
DECLARE twin text;
BEGIN
    SELECT indexname INTO twin FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = 'search_word' AND indexname LIKE '%\_like';
    IF twin IS NOT NULL THEN
        EXECUTE format('DROP INDEX %I', twin);
    END IF;
END $$;
"""


def fill(apps, schema_editor):
    # The service's own statement: the table is derived data, rebuilt hourly with the same SQL.
    from fanclub.search import services

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(services.REBUILD_SQL)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_search_word")]

    operations = [
        migrations.RunSQL(DROP_LIKE_INDEX, migrations.RunSQL.noop),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
