from django.db import migrations


def create_extensions(apps, schema_editor):
    from fanclub.core.extensions import REQUIRED_EXTENSIONS, missing_extensions, missing_message

    with schema_editor.connection.cursor() as cursor:
        missing = missing_extensions(cursor)
        if missing:
            raise RuntimeError(missing_message(missing))
        for name in REQUIRED_EXTENSIONS:
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create_extensions, migrations.RunPython.noop)]
