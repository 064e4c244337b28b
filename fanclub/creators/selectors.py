"""Reads of the creators app. Public selectors never touch LegalIdentity."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.creators.constants import MembershipStatus
from fanclub.creators.errors import GeoBlocked
from fanclub.creators.models import CreatorProfile, LegalIdentity, Membership, Tier
from fanclub.social import selectors as social_selectors


def creator_profile_get_public(*, handle: str, viewer: Any = None, country: str = "") -> CreatorProfile:
    """The public persona by handle (404 for unknown, inactive or non-creator accounts; 451 when the
    creator blocks the viewer's country, except for the creator themself). One query; the follower
    count is the profile's trigger-kept ``followers_count`` column, so no follow is read."""
    queryset = CreatorProfile.objects.select_related("user").filter(
        user__handle__iexact=handle, user__is_active=True, user__role="creator"
    )
    viewer_id = getattr(viewer, "pk", None) if getattr(viewer, "is_authenticated", False) else None
    if viewer_id:
        # A block either way hides the profile as if it did not exist (same query, no extra trip).
        queryset = queryset.exclude(
            ~Q(pk=viewer_id) & social_selectors.block_between_q(user_id=viewer_id, other_field="pk")
        )
    profile = queryset.first()
    if profile is None:
        raise NotFound("No such creator.")
    is_owner = viewer_id is not None and viewer_id == profile.pk
    if country and country.upper() in profile.blocked_countries and not is_owner:
        raise GeoBlocked("This creator's profile is not available in your region.")
    return profile


def creator_profile_for_user(*, user: Any) -> CreatorProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CreatorProfile.objects.select_related("user").filter(pk=user.pk).first()


def legal_identity_for_owner(*, user: Any) -> LegalIdentity | None:
    """The owner's private legal identity (only the owner's private endpoint and page call this)."""
    return LegalIdentity.objects.filter(creator_id=user.pk).first()


def tier_qs_offered(*, creator_id: int) -> QuerySet[Tier]:
    return Tier.objects.filter(creator_id=creator_id, is_archived=False).order_by("position", "id")


def tier_list_offered(*, creator_id: int) -> list[Tier]:
    """Offered tiers with their active member counts (one query)."""
    now = timezone.now()
    active = Q(memberships__status=MembershipStatus.ACTIVE) & (
        Q(memberships__current_period_end__isnull=True) | Q(memberships__current_period_end__gt=now)
    )
    return list(
        tier_qs_offered(creator_id=creator_id).annotate(member_count=Count("memberships", filter=active))
    )


def membership_active_for(*, fan: Any, creator_id: int) -> Membership | None:
    if not getattr(fan, "is_authenticated", False):
        return None
    now = timezone.now()
    return (
        Membership.objects.select_related("tier")
        .filter(fan_id=fan.pk, creator_id=creator_id, status=MembershipStatus.ACTIVE)
        .filter(Q(current_period_end__isnull=True) | Q(current_period_end__gt=now))
        .first()
    )


def membership_list_for_creator(*, creator: Any, cursor: str | None, limit: int) -> Page[Membership]:
    queryset = Membership.objects.select_related("fan", "tier").filter(
        creator_id=creator.pk, status=MembershipStatus.ACTIVE
    )
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


def membership_list_for_fan(*, fan: Any, cursor: str | None, limit: int) -> Page[Membership]:
    queryset = Membership.objects.select_related("creator", "tier").filter(
        fan_id=fan.pk, status=MembershipStatus.ACTIVE
    )
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)
