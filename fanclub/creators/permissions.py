"""Who may do what with creator profiles, plus the media entitlement for avatars and banners."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from fanclub.accounts.constants import Role
from fanclub.media.constants import THUMB_WIDTHS


def is_creator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.role == Role.CREATOR


def can_become_creator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.role == Role.FAN


def persona_media_entitlement(user: Any, media: Any, variant: str, *, country: str = "") -> bool | None:
    """A creator's chosen avatar and banner are public (their thumbnails only, never the original)."""
    if variant not in THUMB_WIDTHS:
        return None
    from fanclub.creators.models import CreatorProfile

    return (
        CreatorProfile.objects.filter(Q(avatar_media_id=media.pk) | Q(banner_media_id=media.pk))
        .filter(user__is_active=True)
        .exists()
        or None
    )
