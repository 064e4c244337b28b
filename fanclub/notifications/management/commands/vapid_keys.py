"""Print a new VAPID key pair for Web Push, ready for the environment (.env)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fanclub.integrations.webpush import vapid_keys_generate


class Command(BaseCommand):
    help = "Generate a VAPID key pair (P-256) for Web Push: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = vapid_keys_generate()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
