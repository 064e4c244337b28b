"""Who may upload, manage and view media: pure predicates, plus the entitlement hook.

``can_view_variant`` is the one access policy for delivery. Today: the owner sees every variant;
anyone else sees the public-safe variants (blurred preview, blurred teaser) and whatever a
registered *entitlement provider* grants. The content and billing apps register a provider
(``register_entitlement_provider``) that answers "does this user hold a subscription/unlock that
covers this media item?". Because the delivery view asks on every request, losing an entitlement
turns a still-valid signed URL into a 403 at once.

A provider is ``(user, media, variant, *, country) -> bool | None``: True grants, False or None
does not. ``country`` is the viewer's ISO 3166-1 alpha-2 code ('' when unknown), so a provider can
also *refuse outright* by raising an ``ApiError`` (the content app raises ``GeoBlocked``, 451, for a
creator who blocks the viewer's country): that wins over the public-safe variants and over other
providers' grants, so every provider is asked. Providers must be cheap (they run per delivered
file, including HLS segments): cache per request or use an indexed query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fanclub.media.constants import PUBLIC_SAFE_VARIANTS, MediaState
from fanclub.media.models import Album, MediaItem

EntitlementProvider = Callable[..., "bool | None"]  # (user, media, variant, *, country)
_providers: list[EntitlementProvider] = []


def register_entitlement_provider(provider: EntitlementProvider) -> EntitlementProvider:
    """Add a provider (usable as a decorator); registering twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_entitlement_provider(provider: EntitlementProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def _is_owner(user: Any, owner_id: int) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.pk == owner_id


def can_upload(user: Any) -> bool:
    """Any signed-in, active user for now; the creators issue narrows this to creators."""
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def can_manage_media(user: Any, media: MediaItem) -> bool:
    return _is_owner(user, media.owner_id) and media.deleted_at is None


def can_manage_album(user: Any, album: Album) -> bool:
    return _is_owner(user, album.owner_id)


def can_view_variant(user: Any, media: MediaItem, variant: str, *, country: str = "") -> bool:
    """May ``user`` (from ``country``) fetch ``variant``? Raises what a provider raises to refuse."""
    if media.deleted_at is not None or media.state != MediaState.READY or variant not in media.variants:
        return False
    if _is_owner(user, media.owner_id):
        return True
    granted = variant in PUBLIC_SAFE_VARIANTS
    for provider in list(_providers):
        # No short-circuit on a grant: a later provider may still refuse (by raising).
        if provider(user, media, variant, country=country) is True:
            granted = True
    return granted
