"""Writes of the creators app: becoming a creator, the persona, the private legal identity, tiers
and memberships (complimentary today; billing calls ``membership_grant``/``membership_end`` later).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.creators.constants import (
    BOUNDARY_CATEGORIES,
    CURRENCIES,
    MAX_LINKS,
    MAX_PRICE_MINOR,
    MAX_TIERS,
    Archetype,
    MembershipSource,
    MembershipStatus,
)
from fanclub.creators.errors import NotACreator
from fanclub.creators.models import CreatorProfile, LegalIdentity, Membership, Tier

logger = logging.getLogger(__name__)

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(message, code="validation_error", status=422, details=[{"loc": [field], "msg": message}])


def _profile_of(user: Any) -> CreatorProfile:
    profile = CreatorProfile.objects.filter(pk=user.pk).first()
    if profile is None or user.role != Role.CREATOR:
        raise NotACreator("Become a creator first.")
    return profile


# --- Becoming a creator and the persona -----------------------------------------------------------
def creator_become(
    *, user: Any, display_name: str, archetype: str = Archetype.OTHER, bio: str = ""
) -> CreatorProfile:
    """Turn a fan account into a creator: the role changes and the public persona is created.

    A creator account made before profiles existed (demo data, an admin's role change) gets its
    profile here too. Moderators and admins stay staff: they cannot become creators.
    """
    if user.role not in (Role.FAN, Role.CREATOR):
        raise PermissionDenied("Staff accounts cannot become creators.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if CreatorProfile.objects.filter(pk=user.pk).exists():
            raise Conflict("You are already a creator.", code="already_creator")
        profile = CreatorProfile(user=locked, archetype=archetype)
        _apply_persona(profile, {"display_name": display_name, "bio": bio, "archetype": archetype})
        profile.save()
        if locked.role != Role.CREATOR:
            # The role lives on the accounts User; accounts has no role-change service yet.
            User.objects.filter(pk=locked.pk).update(role=Role.CREATOR)
    user.role = Role.CREATOR
    return profile


def _apply_persona(profile: CreatorProfile, fields: dict[str, Any]) -> None:
    if "display_name" in fields:
        name = (fields["display_name"] or "").strip()
        if not name or len(name) > 80:
            raise _invalid("The display name needs 1 to 80 characters.", "displayName")
        profile.display_name = name
    if "bio" in fields:
        bio = (fields["bio"] or "").strip()
        if len(bio) > 2000:
            raise _invalid("The bio may hold at most 2000 characters.", "bio")
        profile.bio = bio
    if "archetype" in fields:
        if fields["archetype"] not in Archetype.values:
            raise _invalid("Unknown archetype.", "archetype")
        profile.archetype = fields["archetype"]
    if "links" in fields:
        profile.links = _clean_links(fields["links"] or [])
    if "boundaries" in fields:
        profile.boundaries = _clean_boundaries(fields["boundaries"] or {})
    if "blocked_countries" in fields:
        codes = sorted({code.strip().upper() for code in fields["blocked_countries"] or []})
        if any(not _COUNTRY.match(code) for code in codes) or len(codes) > 250:
            raise _invalid("Countries are two-letter ISO codes (e.g. DE, US).", "blockedCountries")
        profile.blocked_countries = codes
    if "masked_mode" in fields:
        profile.masked_mode = bool(fields["masked_mode"])


def _clean_links(links: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(links) > MAX_LINKS:
        raise _invalid(f"At most {MAX_LINKS} links.", "links")
    cleaned = []
    for link in links:
        url = str(link.get("url", "")).strip()
        label = str(link.get("label", "")).strip()[:60]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise _invalid("Links must be http(s) URLs.", "links")
        cleaned.append({"label": label or parts.netloc, "url": url})
    return cleaned


def _clean_boundaries(boundaries: dict[str, list[str]]) -> dict[str, list[str]]:
    does = sorted(set(boundaries.get("does", [])))
    does_not = sorted(set(boundaries.get("doesNot", boundaries.get("does_not", []))))
    unknown = [item for item in does + does_not if item not in BOUNDARY_CATEGORIES]
    if unknown:
        raise _invalid(f"Unknown boundary categories: {', '.join(unknown)}.", "boundaries")
    if set(does) & set(does_not):
        raise _invalid("A category cannot be both made and not made.", "boundaries")
    return {"does": does, "doesNot": does_not}


def creator_profile_update(*, user: Any, **fields: Any) -> CreatorProfile:
    """Update the persona. Avatar and banner must be the creator's own ready images."""
    profile = _profile_of(user)
    _apply_persona(profile, fields)
    for field in ("avatar_media_id", "banner_media_id"):
        if field in fields:
            media_id = fields[field]
            if media_id is not None:
                _own_image(user=user, media_id=media_id, field=field)
            setattr(profile, field, media_id)
    profile.save()
    return profile


def _own_image(*, user: Any, media_id: Any, field: str) -> None:
    from fanclub.media.constants import MediaKind
    from fanclub.media.models import MediaItem

    if not MediaItem.objects.filter(
        pk=media_id, owner_id=user.pk, kind=MediaKind.IMAGE, deleted_at__isnull=True
    ).exists():
        raise _invalid("Choose one of your own images from the vault.", field)


def legal_identity_set(
    *,
    user: Any,
    legal_name: str,
    date_of_birth: date | None = None,
    country: str = "",
    address: str = "",
    tax_id: str = "",
) -> LegalIdentity:
    """Store the private legal identity (never returned by any public selector or endpoint)."""
    _profile_of(user)
    legal_name = legal_name.strip()
    if not legal_name or len(legal_name) > 200:
        raise _invalid("The legal name needs 1 to 200 characters.", "legalName")
    country = country.strip().upper()
    if country and not _COUNTRY.match(country):
        raise _invalid("The country is a two-letter ISO code.", "country")
    identity, _ = LegalIdentity.objects.update_or_create(
        creator_id=user.pk,
        defaults={
            "legal_name": legal_name,
            "date_of_birth": date_of_birth,
            "country": country,
            "address": address.strip()[:1000],
            "tax_id": tax_id.strip()[:64],
        },
    )
    return identity


# --- Tiers ----------------------------------------------------------------------------------------
def _check_tier_fields(fields: dict[str, Any]) -> None:
    if "name" in fields and not 1 <= len((fields["name"] or "").strip()) <= 60:
        raise _invalid("The tier name needs 1 to 60 characters.", "name")
    if "price_minor" in fields and not 1 <= int(fields["price_minor"]) <= MAX_PRICE_MINOR:
        raise _invalid("The price must be positive (in minor units, e.g. cents).", "priceMinor")
    if "currency" in fields and fields["currency"] not in CURRENCIES:
        raise _invalid(f"Supported currencies: {', '.join(CURRENCIES)}.", "currency")
    if "member_cap" in fields and fields["member_cap"] is not None and int(fields["member_cap"]) < 1:
        raise _invalid("The member cap must be at least 1 (or none).", "memberCap")


def tier_create(
    *,
    user: Any,
    name: str,
    price_minor: int,
    currency: str = "USD",
    benefits: str = "",
    member_cap: int | None = None,
    welcome_message: str = "",
    position: int | None = None,
) -> Tier:
    _profile_of(user)
    fields = {"name": name, "price_minor": price_minor, "currency": currency, "member_cap": member_cap}
    _check_tier_fields(fields)
    with transaction.atomic():
        # Serialize tier creation per creator (the cap on the number of tiers is check-then-act).
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = Tier.objects.filter(creator_id=user.pk, is_archived=False)
        if active.count() >= MAX_TIERS:
            raise Conflict(f"A creator may offer at most {MAX_TIERS} tiers.", code="too_many_tiers")
        if position is None:
            position = (max((t.position for t in active), default=-1)) + 1
        try:
            with transaction.atomic():
                return Tier.objects.create(
                    creator_id=user.pk,
                    name=name.strip(),
                    price_minor=price_minor,
                    currency=currency,
                    benefits=benefits.strip()[:2000],
                    member_cap=member_cap,
                    welcome_message=welcome_message.strip()[:2000],
                    position=position,
                )
        except IntegrityError as exc:
            raise Conflict("You already have a tier with this name.", code="tier_name_taken") from exc


def _own_tier(*, user: Any, tier_id: int) -> Tier:
    tier = Tier.objects.filter(pk=tier_id, creator_id=user.pk, is_archived=False).first()
    if tier is None:
        raise NotFound("No such tier.")
    return tier


def tier_update(*, user: Any, tier_id: int, **fields: Any) -> Tier:
    _profile_of(user)
    tier = _own_tier(user=user, tier_id=tier_id)
    _check_tier_fields(fields)
    for name in ("name", "price_minor", "currency", "benefits", "member_cap", "welcome_message", "position"):
        if name in fields:
            value = fields[name]
            setattr(tier, name, value.strip() if isinstance(value, str) else value)
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError as exc:
        raise Conflict("You already have a tier with this name.", code="tier_name_taken") from exc
    return tier


def tier_archive(*, user: Any, tier_id: int) -> None:
    """Stop offering a tier. Current members keep their access until their period ends."""
    tier = _own_tier(user=user, tier_id=tier_id)
    tier.is_archived = True
    tier.save(update_fields=["is_archived"])


# --- Memberships (entitlements) -------------------------------------------------------------------
def membership_grant(
    *,
    creator: Any,
    fan: Any,
    tier_id: int,
    current_period_end: datetime | None = None,
    source: str = MembershipSource.COMP,
) -> Membership:
    """Give ``fan`` access at ``tier_id`` until ``current_period_end`` (None: open-ended).

    An existing active membership with this creator is moved to the new tier and period (an
    upgrade, downgrade or renewal), so a fan holds at most one. Locks the tier row, which
    serializes grants per tier so the member cap holds under concurrency. Billing calls this with
    ``source="billing"``.
    """
    if fan.pk == creator.pk:
        raise ApiError("You cannot subscribe to yourself.", code="membership_self", status=409)
    if source not in MembershipSource.values:
        raise _invalid("Unknown membership source.", "source")
    if current_period_end is not None and current_period_end <= timezone.now():
        raise _invalid("The end of the period must be in the future.", "currentPeriodEnd")
    with transaction.atomic():
        tier = Tier.objects.select_for_update().filter(pk=tier_id, creator_id=creator.pk).first()
        if tier is None or tier.is_archived:
            raise NotFound("No such tier.")
        current = (
            Membership.objects.select_for_update()
            .filter(fan_id=fan.pk, creator_id=creator.pk, status=MembershipStatus.ACTIVE)
            .first()
        )
        if tier.member_cap is not None and (current is None or current.tier_id != tier.pk):
            taken = Membership.objects.filter(tier=tier, status=MembershipStatus.ACTIVE).count()
            if taken >= tier.member_cap:
                raise Conflict("This tier is full.", code="tier_full")
        if current is not None:
            current.tier = tier
            current.current_period_end = current_period_end
            current.source = source
            current.save(update_fields=["tier", "current_period_end", "source"])
            return current
        return Membership.objects.create(
            fan_id=fan.pk,
            creator_id=creator.pk,
            tier=tier,
            source=source,
            current_period_end=current_period_end,
        )


def membership_end(*, creator: Any, fan: Any, status: str = MembershipStatus.CANCELLED) -> Membership | None:
    """End ``fan``'s active membership with ``creator`` now (idempotent: None if there was none).

    Access stops at once: the policy reads the status on every request, delivery included.
    """
    if status not in (MembershipStatus.CANCELLED, MembershipStatus.EXPIRED):
        raise _invalid("A membership ends as cancelled or expired.", "status")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(fan_id=fan.pk, creator_id=creator.pk, status=MembershipStatus.ACTIVE)
            .first()
        )
        if membership is None:
            return None
        membership.status = status
        membership.ended_at = timezone.now()
        membership.save(update_fields=["status", "ended_at"])
        return membership


def memberships_expire_due(*, now: datetime | None = None) -> int:
    """Mark memberships whose period ended as expired (bookkeeping; the policy already ignores them)."""
    now = now or timezone.now()
    return Membership.objects.filter(status=MembershipStatus.ACTIVE, current_period_end__lte=now).update(
        status=MembershipStatus.EXPIRED, ended_at=now
    )


# One batch of profiles, locked in key order, then recounted by a later statement (READ COMMITTED:
# its snapshot sees every follow whose trigger held one of these rows while we waited). The column
# guard lets the UPDATE through only with ``fanclub.followers_count_repair`` set for the transaction.
_RECONCILE_LOCK_SQL = """
SELECT user_id FROM creators_creatorprofile WHERE user_id > %(after)s
 ORDER BY user_id LIMIT %(batch)s FOR UPDATE
"""
_RECONCILE_FIX_SQL = """
WITH actual AS (
    SELECT p.user_id, p.followers_count AS stored,
           (SELECT count(*) FROM social_follow f WHERE f.creator_id = p.user_id) AS counted
      FROM creators_creatorprofile p WHERE p.user_id = ANY(%(ids)s)
)
UPDATE creators_creatorprofile p SET followers_count = a.counted
  FROM actual a
 WHERE p.user_id = a.user_id AND a.stored <> a.counted
RETURNING p.user_id, a.stored, a.counted
"""


def followers_count_reconcile(*, batch_size: int = 1000) -> int:
    """Recount every creator's followers and repair ``CreatorProfile.followers_count`` where it
    differs; return how many profiles were corrected (expected 0: the ``social_follow`` triggers
    keep the column exact, so any correction is logged as a warning).

    Profiles are handled ``batch_size`` at a time, each batch in its own short transaction with
    its rows locked in key order, so follows of other creators never wait on the job and a follow
    of a creator in the batch waits at most one batch's recount."""
    corrected = 0
    after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_RECONCILE_LOCK_SQL, {"after": after, "batch": batch_size})
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            cursor.execute("SELECT set_config('fanclub.followers_count_repair', 'on', true)")
            cursor.execute(_RECONCILE_FIX_SQL, {"ids": ids})
            for user_id, stored, counted in cursor.fetchall():
                logger.warning(
                    "followers_count drift repaired: creator %s stored %s, counted %s",
                    user_id,
                    stored,
                    counted,
                )
                corrected += 1
        after = ids[-1]
    logger.info("followers_count reconciled: %s profiles corrected", corrected)
    return corrected
