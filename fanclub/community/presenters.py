"""Community items as one viewer sees them; post cards come from ``content.presenters``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanclub.community.models import BadgeAward
from fanclub.content import presenters as content_presenters
from fanclub.content.models import Post, PostMedia
from fanclub.media import delivery


def ranked_cards(
    request: HttpRequest, posts: list[Post], *, meta: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Post cards (locked ones with preview and price) plus rank, score and vote counts; ``posts``
    from ``selectors.posts_for_viewer`` (the card statement brings the offered tiers along)."""
    cards = []
    for post in posts:
        card = content_presenters.post_card(request, post, offered=post.offered_tier_list)  # type: ignore[attr-defined]
        row = meta.get(post.pk, {})
        card["rank"] = row.get("rank")
        card["score"] = row.get("score")
        card["up_count"] = getattr(post, "vote_up", None) or 0
        card["down_count"] = getattr(post, "vote_down", None) or 0
        card["viewer_vote"] = getattr(post, "viewer_vote", None) or 0
        cards.append(card)
    return cards


def deck_card(
    request: HttpRequest, item: PostMedia, *, offered: list[Any], tally: Any, viewer_vote: int
) -> dict[str, Any]:
    """One swipe card: the image in full variants with access, else only its blurred preview."""
    post = item.post_obj  # type: ignore[attr-defined]
    media = item.media
    full = bool(item.has_access)  # type: ignore[attr-defined]
    names = (
        content_presenters.FULL_VARIANTS[media.kind]
        if full
        else content_presenters.PREVIEW_VARIANTS[media.kind]
    )
    names = [name for name in names if name in media.variants]
    urls = (
        delivery.variant_urls(media=media, viewer=delivery.viewer_key(request), variants=names)
        if names
        else {}
    )
    profile = getattr(post.creator, "creator_profile", None)
    return {
        "media_id": media.pk,
        "post_id": post.pk,
        "creator_handle": post.creator.handle,
        "creator_name": profile.display_name if profile else post.creator.name,
        "category": post.category or None,
        "has_access": full,
        "text": post.text if full else None,
        "width": media.width,
        "height": media.height,
        "variants": [{"name": name, **data} for name, data in urls.items()],
        "action": content_presenters.action_for(post, viewer=request.user, offered=offered),
        "up_count": tally.up_count if tally else 0,
        "down_count": tally.down_count if tally else 0,
        "viewer_vote": viewer_vote,
    }


def badge_out(award: BadgeAward) -> dict[str, Any]:
    return {
        "kind": award.badge.kind,
        "category": award.badge.category or None,
        "name": award.badge.name,
        "description": award.badge.description,
        "period": award.period or None,
        "rank": award.rank,
        "awarded_at": award.awarded_at,
    }
