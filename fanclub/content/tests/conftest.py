from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from fanclub.content import services
from fanclub.content.models import Post, PostLike
from fanclub.content.tests.factories import make_creator, make_post, ready_media
from fanclub.creators import services as creator_services
from fanclub.creators.models import Membership
from fanclub.media import storage
from fanclub.social import services as social_services


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.MEDIA_STORAGE = "local"
    settings.RATE_LIMIT_ENABLED = False
    storage.get_storage.cache_clear()
    yield root
    storage.get_storage.cache_clear()


@pytest.fixture
def matrix(make_user: Any) -> tuple[dict[str, Post], dict[str, tuple[Any, str]]]:
    """Lena's posts, one per access rule x state (live, draft, scheduled, expired, deleted), an
    inactive creator's post, and viewers in every relation to Lena (name -> (user, country))."""
    lena = make_creator(make_user, "lena")
    gone = make_creator(make_user, "gone")
    gold = creator_services.tier_create(user=lena, name="Gold", price_minor=900, currency="USD")
    silver = creator_services.tier_create(user=lena, name="Silver", price_minor=400, currency="USD")
    media = ready_media(lena)
    now = timezone.now()
    posts: dict[str, Post] = {}
    for rule in ("public", "followers", "subscribers", "tiers", "ppv"):
        extra = {}
        if rule in ("tiers", "ppv"):
            extra["tier_ids"] = [gold.pk]
        if rule == "ppv":
            extra.update(price_minor=500, currency="USD")
        posts[rule] = make_post(lena, text=rule, access=rule, media_ids=[media.pk], **extra)
        posts[f"{rule}-draft"] = make_post(lena, text="draft", access=rule, publish=False, **extra)
        posts[f"{rule}-scheduled"] = make_post(
            lena, text="later", access=rule, publish=False, publish_at=now + timedelta(days=1), **extra
        )
        expired = make_post(lena, text="expired", access=rule, expires_at=now + timedelta(hours=1), **extra)
        Post.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(minutes=1))
        posts[f"{rule}-expired"] = expired
        deleted = make_post(lena, text="deleted", access=rule, **extra)
        services.post_delete(user=lena, post_id=deleted.pk)
        posts[f"{rule}-deleted"] = deleted
    posts["inactive-creator"] = make_post(gone, text="gone", access="public")
    gone.__class__.objects.filter(pk=gone.pk).update(is_active=False)

    def fan(handle: str) -> Any:
        return make_user(handle=handle)

    viewers: dict[str, tuple[Any, str]] = {"owner": (lena, ""), "anonymous": (AnonymousUser(), "")}
    follower = fan("follower")
    social_services.follow_create(follower=follower, creator=lena)
    viewers["follower"] = (follower, "")
    member = fan("member")
    creator_services.membership_grant(creator=lena, fan=member, tier_id=silver.pk)
    viewers["member (other tier)"] = (member, "")
    tier_member = fan("tiermember")
    creator_services.membership_grant(creator=lena, fan=tier_member, tier_id=gold.pk)
    viewers["tier member"] = (tier_member, "")
    unlocked = fan("unlocked")
    services.post_unlock_grant(fan=unlocked, post=posts["ppv"])
    PostLike.objects.create(user=unlocked, post=posts["ppv"])
    viewers["unlocked"] = (unlocked, "")
    viewers["stranger"] = (fan("stranger"), "")
    blocked = fan("blocked")
    creator_services.membership_grant(creator=lena, fan=blocked, tier_id=gold.pk)
    social_services.block_create(blocker=lena, blocked=blocked)
    viewers["blocked by the creator"] = (blocked, "")
    blocker = fan("blocker")
    social_services.follow_create(follower=blocker, creator=lena)
    social_services.block_create(blocker=blocker, blocked=lena)
    viewers["blocking the creator"] = (blocker, "")
    muted = fan("muter")
    social_services.follow_create(follower=muted, creator=lena)
    social_services.mute_create(muter=muted, muted=lena)
    viewers["muting the creator"] = (muted, "")
    expired = fan("expired")
    creator_services.membership_grant(creator=lena, fan=expired, tier_id=gold.pk)
    Membership.objects.filter(fan=expired).update(current_period_end=now - timedelta(minutes=1))
    viewers["membership period over"] = (expired, "")
    ended = fan("ended")
    creator_services.membership_grant(creator=lena, fan=ended, tier_id=gold.pk)
    creator_services.membership_end(creator=lena, fan=ended)
    viewers["membership ended"] = (ended, "")
    inactive = fan("inactive")
    creator_services.membership_grant(creator=lena, fan=inactive, tier_id=gold.pk)
    inactive.__class__.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    viewers["inactive account"] = (inactive, "")
    creator_services.creator_profile_update(user=lena, blocked_countries=["DE"])
    viewers["geo-blocked follower"] = (follower, "de")
    viewers["geo-blocked owner"] = (lena, "DE")
    viewers["tier member, other country"] = (tier_member, "FR")
    return posts, viewers
