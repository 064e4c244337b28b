from typing import Any

from django.core.management.base import BaseCommand

from fanclub import demo


class Command(BaseCommand):
    help = "Load demo creators and fans (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo.demo_load()
        self.stdout.write(f"Demo data: {len(created)} account(s) created; password {demo.DEMO_PASSWORD!r}.")
