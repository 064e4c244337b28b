"""Badges, awarded by the daily job: idempotent (unique per user, badge and period).

* ``top10_week``: a creator with a post in the top 10 (sort "top") of the final snapshot of a week
  in a category; the period is the ISO week (``2026-W47``), the rank their best one.
* ``verified``: a creator whose identity is on file and whose sign-in email is verified (the
  compliance app's KYC approval will replace this predicate when it exists; see docs/rankings.md).
* ``anniversary``: each full year since the account was created (period ``"1"``, ``"2"``...).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Exists, Min, OuterRef

from fanclub.community import cache
from fanclub.community.constants import BadgeKind, Sort, Window
from fanclub.community.models import Badge, BadgeAward, RankingEntry, RankingSnapshot
from fanclub.content.constants import Category
from fanclub.creators.models import CreatorProfile, LegalIdentity


def badge_get(*, kind: str, category: str = "") -> Badge:
    if kind == BadgeKind.TOP10_WEEK:
        label = Category(category).label if category else "everything"
        name, description = f"Top 10 · {label}", f"In the week's top 10 of {label}"
    elif kind == BadgeKind.VERIFIED:
        name, description = "Verified creator", "Identity on file and email verified"
    else:
        name, description = "Anniversary", "Years on the platform"
    badge, _ = Badge.objects.get_or_create(
        kind=kind, category=category, defaults={"name": name, "description": description}
    )
    return badge


def _insert(awards: list[BadgeAward]) -> int:
    """Insert the awards not held yet; the number actually created (the job runs one at a time)."""
    before = BadgeAward.objects.count()
    BadgeAward.objects.bulk_create(awards, ignore_conflicts=True)
    return BadgeAward.objects.count() - before


def _week_label(start: datetime) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def badges_award_weekly_top(*, now: datetime) -> int:
    """Award every final weekly category snapshot not yet awarded (each period once is enough)."""
    created = 0
    snapshots = (
        RankingSnapshot.objects.filter(window=Window.WEEK, is_final=True, period_end__lte=now)
        .exclude(category="")
        .filter(period_start__gte=now - timedelta(days=35))
    )
    for snapshot in snapshots:
        badge = badge_get(kind=BadgeKind.TOP10_WEEK, category=snapshot.category)
        best = (
            RankingEntry.objects.filter(snapshot=snapshot, sort=Sort.TOP, rank__lte=10, score__gt=0)
            .values("creator_id")
            .annotate(best=Min("rank"))
        )
        period = _week_label(snapshot.period_start)
        awards = [
            BadgeAward(user_id=row["creator_id"], badge=badge, period=period, rank=row["best"])
            for row in best
        ]
        created += _insert(awards)
    return created


def badges_award_verified() -> int:
    badge = badge_get(kind=BadgeKind.VERIFIED)
    identity = (
        LegalIdentity.objects.filter(creator_id=OuterRef("pk"))
        .exclude(legal_name="")
        .filter(date_of_birth__isnull=False)
        .exclude(country="")
    )
    email = EmailAddress.objects.filter(user_id=OuterRef("pk"), verified=True)
    creators = CreatorProfile.objects.filter(Exists(identity), Exists(email), user__is_active=True)
    awards = [BadgeAward(user_id=pk, badge=badge, period="") for pk in creators.values_list("pk", flat=True)]
    return _insert(awards)


def badges_award_anniversaries(*, now: datetime) -> int:
    badge = badge_get(kind=BadgeKind.ANNIVERSARY)
    awards: list[BadgeAward] = []
    profiles = CreatorProfile.objects.filter(
        user__is_active=True, user__date_joined__lte=now - timedelta(days=365)
    )
    for user_id, joined in profiles.values_list("pk", "user__date_joined"):
        years = _full_years(joined, now)
        awards.extend(
            BadgeAward(user_id=user_id, badge=badge, period=str(year)) for year in range(1, years + 1)
        )
    return _insert(awards)


def _full_years(start: datetime, now: datetime) -> int:
    years = now.year - start.year
    if (now.month, now.day, now.time()) < (start.month, start.day, start.time()):
        years -= 1
    return max(0, years)


def badges_award(*, now: datetime) -> dict[str, int]:
    """The daily job's work, in one transaction (cached badge lists are dropped after commit)."""
    with transaction.atomic():
        transaction.on_commit(cache.generation_bump)
        return {
            "top10_week": badges_award_weekly_top(now=now),
            "verified": badges_award_verified(),
            "anniversary": badges_award_anniversaries(now=now),
        }
