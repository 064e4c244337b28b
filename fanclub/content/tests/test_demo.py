from __future__ import annotations

import pytest

from fanclub import demo
from fanclub.content.models import Post
from fanclub.creators.models import CreatorProfile, Tier
from fanclub.media.models import MediaItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_creators_get_profiles_tiers_and_processed_posts(make_user):
    from fanclub.accounts import services

    services.user_create(
        email="a@demo.example", handle="aurora.lens", password="x-long-password", role="creator"
    )

    assert demo.demo_creators_load() == 1
    assert demo.demo_creators_load() == 0  # idempotent

    assert CreatorProfile.objects.get().display_name == "Aurora Lens"
    assert Tier.objects.count() == 2
    assert sorted(Post.objects.values_list("access", flat=True)) == ["ppv", "public", "subscribers"]
    assert set(MediaItem.objects.values_list("state", flat=True)) == {"ready"}
