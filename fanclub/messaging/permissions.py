"""Who may see what in messaging: pure predicates, and media delivery's entitlement for messages."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from fanclub.media.constants import PUBLIC_SAFE_VARIANTS


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def media_entitlement(user: Any, media: Any, variant: str, *, country: str = "") -> bool | None:
    """Was ``media`` given to ``user`` in a message: a free message they received, or a paid one
    they unlocked, and not removed by a moderator since? One indexed query per delivered file (the
    owner never gets here)."""
    if variant in PUBLIC_SAFE_VARIANTS or not _signed_in(user):
        return None
    from fanclub.messaging.models import MessageMedia, MessageUnlock

    unlocked = MessageUnlock.objects.filter(fan_id=user.pk, message_id=OuterRef("message_id"))
    granted = (
        MessageMedia.objects.filter(
            media_id=media.pk, message__recipient_id=user.pk, message__removed_at__isnull=True
        )
        .filter(Q(message__price_minor__isnull=True) | Q(Exists(unlocked)))
        .exists()
    )
    return granted or None


def register() -> None:
    from fanclub.media.permissions import register_entitlement_provider

    register_entitlement_provider(media_entitlement)
