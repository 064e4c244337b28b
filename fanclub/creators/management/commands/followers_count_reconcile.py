"""``manage.py followers_count_reconcile``: recount every creator's followers now and repair the
trigger-kept ``followers_count`` where it drifted (the daily job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fanclub.creators import services


class Command(BaseCommand):
    help = "Recount creators' followers and repair CreatorProfile.followers_count where it differs."

    def handle(self, *args: Any, **options: Any) -> None:
        corrected = services.followers_count_reconcile()
        self.stdout.write(f"{corrected} profiles corrected")
