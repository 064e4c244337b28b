"""Search results as a viewer sees them (shared by the API and the pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fanclub.content import presenters as content_presenters
from fanclub.content.models import Post
from fanclub.creators.models import CreatorProfile
from fanclub.creators.presenters import avatar_url
from fanclub.search import selectors

BIO_EXCERPT = 160


def creator_hit(request: HttpRequest, profile: CreatorProfile) -> dict[str, Any]:
    bio = profile.bio.strip()
    return {
        "handle": profile.user.handle,
        "display_name": profile.display_name,
        "bio_excerpt": bio if len(bio) <= BIO_EXCERPT else bio[: BIO_EXCERPT - 1].rstrip() + "…",
        "archetype": profile.archetype,
        "avatar_url": avatar_url(request, profile),
    }


def post_hits(request: HttpRequest, posts: list[Post]) -> list[dict[str, Any]]:
    """Cards through the content presenter (locked posts: preview, price, one action, no text),
    plus the highlighted excerpt, which the selector computes only for posts the viewer may read.
    ``posts`` come from the card statement, with their creators' offered tiers."""
    cards = []
    for post in posts:
        card = content_presenters.post_card(request, post, offered=post.offered_tier_list)  # type: ignore[attr-defined]
        snippet = getattr(post, "snippet", None) if card["has_access"] else None
        card["snippet"] = selectors.snippet_plain(snippet)
        card["snippet_parts"] = selectors.snippet_parts(snippet)
        cards.append(card)
    return cards
