"""Demo data, so a fresh install is never empty: a few creators and fans with generated avatars.

Every record goes through the same services real users go through. Idempotent: running it twice
does not create duplicates. Everyone's password is ``DEMO_PASSWORD`` (development only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from fanclub.accounts import services as account_services
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.jobs import run_pending_jobs

DEMO_PASSWORD = "fanclub-demo-password"  # noqa: S105 - documented demo credential


@dataclass(frozen=True)
class DemoPerson:
    handle: str
    display_name: str
    role: str


PEOPLE = [
    DemoPerson("aurora.lens", "Aurora Lens", Role.CREATOR),
    DemoPerson("milo.makes", "Milo Makes", Role.CREATOR),
    DemoPerson("nightowl.art", "Night Owl Art", Role.CREATOR),
    DemoPerson("sol.fitness", "Sol Fitness", Role.CREATOR),
    DemoPerson("ivy.sings", "Ivy Sings", Role.CREATOR),
    DemoPerson("fan.alex", "Alex", Role.FAN),
    DemoPerson("fan.sam", "Sam", Role.FAN),
    DemoPerson("mod.rita", "Rita (moderator)", Role.MODERATOR),
]


def demo_load() -> list[User]:
    """Create whatever demo accounts are missing, then run their queued jobs (avatars)."""
    created = []
    with transaction.atomic():
        for person in PEOPLE:
            if User.objects.filter(handle__iexact=person.handle).exists():
                continue
            created.append(
                account_services.user_create(
                    email=f"{person.handle}@demo.fanclub.localhost",
                    handle=person.handle,
                    password=DEMO_PASSWORD,
                    display_name=person.display_name,
                    date_of_birth=date(1995, 5, 17),
                    role=person.role,
                )
            )
    run_pending_jobs(queues=["accounts"])
    return created


def demo_is_loaded() -> bool:
    return User.objects.filter(handle__iexact=PEOPLE[0].handle).exists()
