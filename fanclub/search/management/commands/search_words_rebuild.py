"""``manage.py search_words_rebuild``: rebuild the spelling correction's word table now (after a
bulk import, or to drop words at once rather than at the next hourly job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fanclub.search import services


class Command(BaseCommand):
    help = "Rebuild the search word table (spelling correction) from every live post."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.search_words_rebuild()
        self.stdout.write(
            f"{result.words} words ({result.removed} removed, {result.changed} added or recounted)"
        )
