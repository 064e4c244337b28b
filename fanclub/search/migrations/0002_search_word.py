"""The word table of the spelling correction (``models.SearchWord``); 0003 fills it."""

import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_indexes")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.TextField(db_collation="C", primary_key=True, serialize=False)),
                ("ndoc", models.PositiveIntegerField(default=1)),
            ],
            options={
                "db_table": "search_word",
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["word"], name="search_word_trgm", opclasses=["gin_trgm_ops"]
                    )
                ],
            },
        ),
    ]
