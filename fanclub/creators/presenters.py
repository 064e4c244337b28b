"""Creator data as a viewer sees it (shared by the API and the pages; never the legal identity)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from fanclub.creators.models import CreatorProfile, Membership, Tier
from fanclub.media import delivery
from fanclub.media.constants import MediaState, Variant
from fanclub.media.models import MediaItem


def media_image_url(request: HttpRequest, media: MediaItem | None, variant: str) -> str | None:
    if media is None or media.state != MediaState.READY or media.deleted_at is not None:
        return None
    urls = delivery.variant_urls(media=media, viewer=delivery.viewer_key(request), variants=[variant])
    entry = urls.get(variant)
    return str(entry["url"]) if entry else None


def avatar_url(request: HttpRequest, profile: CreatorProfile) -> str | None:
    url = media_image_url(request, profile.avatar_media, Variant.THUMB_320)
    if url:
        return url
    return reverse("accounts:avatar", args=[profile.user.handle]) if profile.user.avatar else None


def tier_out(tier: Tier, *, owner: bool = False) -> dict[str, Any]:
    count = getattr(tier, "member_count", None)
    data: dict[str, Any] = {
        "id": tier.pk,
        "name": tier.name,
        "price_minor": tier.price_minor,
        "currency": tier.currency,
        "benefits": tier.benefits,
        "member_cap": tier.member_cap,
        "spots_left": max(0, tier.member_cap - (count or 0)) if tier.member_cap is not None else None,
        "position": tier.position,
    }
    if owner:
        data["welcome_message"] = tier.welcome_message
        data["member_count"] = count or 0
    return data


def creator_out(
    request: HttpRequest,
    profile: CreatorProfile,
    *,
    tiers: list[Tier],
    is_following: bool,
    membership: Membership | None,
    owner: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "handle": profile.user.handle,
        "display_name": profile.display_name,
        "bio": profile.bio,
        "archetype": profile.archetype,
        "avatar_url": avatar_url(request, profile),
        "banner_url": media_image_url(request, profile.banner_media, Variant.THUMB_1280),
        "links": profile.links,
        "boundaries": {
            "does": profile.boundaries.get("does", []),
            "does_not": profile.boundaries.get("doesNot", []),
        },
        "follower_count": profile.followers_count,
        "tiers": [tier_out(tier) for tier in tiers],
        "is_following": is_following,
        "membership": (
            {
                "tier_id": membership.tier_id,
                "tier_name": membership.tier.name,
                "current_period_end": membership.current_period_end,
            }
            if membership
            else None
        ),
    }
    if owner:
        data["blocked_countries"] = profile.blocked_countries
        data["masked_mode"] = profile.masked_mode
        data["my_tiers"] = [tier_out(tier, owner=True) for tier in tiers]
    return data


def membership_out(membership: Membership, *, welcome: bool = False) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "fan_handle": membership.fan.handle,
        "creator_handle": membership.creator.handle,
        "tier_id": membership.tier_id,
        "tier_name": membership.tier.name,
        "status": membership.status,
        "source": membership.source,
        "current_period_end": membership.current_period_end,
        "created_at": membership.created_at,
        "welcome_message": membership.tier.welcome_message if welcome else None,
    }
