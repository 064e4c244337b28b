"""A post as one viewer sees it: the single place that decides which media URLs get signed.

With access: every ready item in its viewing variants (never the original, except for the owner).
Without access: the post's existence, text withheld, a blurred preview of the *first* item only
(blurred image or blurred teaser clip), the price or the required tiers, and one action.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanclub.content.constants import Access, Action
from fanclub.content.models import Post
from fanclub.creators.models import Tier
from fanclub.media import delivery
from fanclub.media.constants import MediaKind, MediaState, Variant

FULL_VARIANTS: dict[str, list[str]] = {
    MediaKind.IMAGE: [Variant.DISPLAY, Variant.THUMB_640],
    MediaKind.VIDEO: [Variant.HLS, Variant.POSTER],
    MediaKind.AUDIO: [Variant.AUDIO, Variant.WAVEFORM],
}
PREVIEW_VARIANTS: dict[str, list[str]] = {
    MediaKind.IMAGE: [Variant.BLURRED],
    MediaKind.VIDEO: [Variant.TEASER],
    MediaKind.AUDIO: [],
}


def attachments_of(post: Any) -> list[Any]:
    """The post's attachments in order: the selectors' prefetched list, else one query."""
    prefetched = getattr(post, "attachment_list", None)
    return list(prefetched) if prefetched is not None else list(post.attachments.all())


def tiers_of(post: Any) -> list[Tier]:
    """The post's tiers: the selectors' prefetched list, else one query."""
    prefetched = getattr(post, "tier_list", None)
    return list(prefetched) if prefetched is not None else list(post.tiers.all())


def _cheapest(tiers: list[Tier]) -> Tier | None:
    return min(tiers, key=lambda tier: (tier.price_minor, tier.position, tier.pk), default=None)


def action_for(post: Any, *, viewer: Any, offered: list[Tier]) -> dict[str, Any] | None:
    """The one clear action for a viewer without access (None when they have it)."""
    if getattr(post, "has_access", False):
        return None
    signed_in = bool(getattr(viewer, "is_authenticated", False))
    post_tiers = tiers_of(post)
    if post.access == Access.FOLLOWERS:
        kind, price, currency, tiers = Action.FOLLOW, None, None, []
    elif post.access == Access.PPV:
        kind, price, currency, tiers = Action.UNLOCK, post.price_minor, post.currency, post_tiers
    else:
        tiers = post_tiers if post.access == Access.TIERS else offered
        cheapest = _cheapest([tier for tier in tiers if not tier.is_archived] or tiers)
        kind = Action.SUBSCRIBE
        price = cheapest.price_minor if cheapest else None
        currency = cheapest.currency if cheapest else None
    return {
        "kind": kind,
        "requires_sign_in": not signed_in,
        "price_minor": price,
        "currency": currency,
        "tiers": [{"id": tier.pk, "name": tier.name} for tier in tiers],
    }


def _media_out(item: Any, *, viewer_key: str, variants: list[str], owner: bool) -> dict[str, Any]:
    media = item.media
    ready = media.state == MediaState.READY and media.deleted_at is None
    names = [name for name in variants if ready and name in media.variants]
    urls = delivery.variant_urls(media=media, viewer=viewer_key, variants=names) if names else {}
    return {
        "id": media.pk,
        "kind": media.kind,
        "state": media.state if owner else ("ready" if ready else "processing"),
        "width": media.width,
        "height": media.height,
        "duration_seconds": media.duration_seconds,
        "face_count": item.face_count if owner else None,
        "variants": [{"name": name, **data} for name, data in urls.items()],
    }


def post_card(
    request: HttpRequest, post: Post, *, offered: list[Tier] | None = None, force_locked: bool = False
) -> dict[str, Any]:
    """``force_locked`` renders the card as a fan without access sees it (the creator's preview)."""
    viewer = request.user
    owner = (
        bool(getattr(viewer, "is_authenticated", False)) and viewer.pk == post.creator_id and not force_locked
    )
    has_access = bool(getattr(post, "has_access", False)) and not force_locked
    key = delivery.viewer_key(request)
    attachments = attachments_of(post)
    post_tiers = tiers_of(post)
    if has_access:
        media = []
        for item in attachments:
            names = FULL_VARIANTS[item.media.kind]
            if owner:
                names = [name for name in item.media.variants if not name.startswith("_")]
            media.append(_media_out(item, viewer_key=key, variants=names, owner=owner))
        preview = None
    else:
        media = []
        first = attachments[0] if attachments else None
        preview = (
            _media_out(first, viewer_key=key, variants=PREVIEW_VARIANTS[first.media.kind], owner=False)
            if first
            else None
        )
    locked_post = post if not force_locked else _Locked(post)
    profile = getattr(post.creator, "creator_profile", None)
    return {
        "id": post.pk,
        "creator_handle": post.creator.handle,
        "creator_name": profile.display_name if profile else post.creator.name,
        "text": post.text if has_access else None,
        "access": post.access,
        "price_minor": post.price_minor,
        "currency": post.currency or None,
        "required_tiers": [{"id": tier.pk, "name": tier.name} for tier in post_tiers],
        "state": post.state,
        "publish_at": post.publish_at,
        "published_at": post.published_at,
        "expires_at": post.expires_at,
        "is_pinned": post.is_pinned,
        "category": post.category or None,
        "tags": post.tags,
        "media_count": len(attachments),
        "has_access": has_access,
        "is_owner": owner,
        "media": media,
        "preview": preview,
        "action": action_for(locked_post, viewer=viewer if not force_locked else None, offered=offered or []),
        "likes_count": post.likes_count,
        "comments_count": post.comments_count,
        "viewer_liked": bool(getattr(post, "viewer_liked", False)),
        "viewer_bookmarked": bool(getattr(post, "viewer_bookmarked", False)),
        "face_warning": post.face_warning if owner else False,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
    }


class _Locked:
    """A post seen as locked (for the creator's "preview as a fan")."""

    has_access = False

    def __init__(self, post: Post) -> None:
        self._post = post

    def __getattr__(self, name: str) -> Any:
        return getattr(self._post, name)
