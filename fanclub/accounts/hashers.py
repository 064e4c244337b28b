"""Argon2id with parameters chosen for this deployment (see docs and the sign-in benchmark)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher (same algorithm name, so stored hashes stay valid) with settings-driven
    cost. Hashes made with other parameters are upgraded on the next successful sign-in."""

    def __init__(self) -> None:
        self.time_cost = int(settings.ARGON2_TIME_COST)
        self.memory_cost = int(settings.ARGON2_MEMORY_KIB)
        self.parallelism = int(settings.ARGON2_PARALLELISM)
