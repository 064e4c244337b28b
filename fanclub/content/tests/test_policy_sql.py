"""The policy's SQL twin (``policy.VISIBLE_SQL`` / ``HAS_ACCESS_SQL``, run by the list pages' one
prepared statement) answers exactly as the ORM policy (``post_qs_visible_to``), for every access
rule x post state x viewer relation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from fanclub.content import policy, selectors, services
from fanclub.content.models import Post, PostLike
from fanclub.content.tests.factories import make_creator, make_post, ready_media
from fanclub.creators import services as creator_services
from fanclub.creators.models import Membership
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(make_user):
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

    def fan(handle: str):
        return make_user(handle=handle)

    viewers: dict[str, tuple[object, str]] = {"owner": (lena, ""), "anonymous": (AnonymousUser(), "")}
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


def test_sql_twin_matches_the_orm_policy_for_every_rule_state_and_viewer(matrix):
    posts, viewers = matrix
    ids = [post.pk for post in posts.values()]
    name_of = {post.pk: name for name, post in posts.items()}
    seen_access: set[bool] = set()
    for viewer_name, (viewer, country) in viewers.items():
        expected = {
            name_of[post.pk]: (post.has_access, post.viewer_liked)
            for post in selectors._for_display(
                policy.post_qs_visible_to(user=viewer, country=country).filter(pk__in=ids), viewer=viewer
            )
        }
        got = {
            name_of[post.pk]: (post.has_access, post.viewer_liked)
            for post in selectors.post_list_by_ids_for_viewer(viewer=viewer, post_ids=ids, country=country)
        }
        assert got == expected, viewer_name
        seen_access |= {has_access for has_access, _ in got.values()}
    assert seen_access == {True, False}


def test_the_matrix_is_what_the_policy_says(matrix):
    # A few anchors, so that the comparison above is not between two equally wrong answers.
    posts, viewers = matrix

    def access(viewer_name: str) -> dict[str, bool]:
        viewer, country = viewers[viewer_name]
        ids = [post.pk for post in posts.values()]
        name_of = {post.pk: name for name, post in posts.items()}
        found = selectors.post_list_by_ids_for_viewer(viewer=viewer, post_ids=ids, country=country)
        return {name_of[post.pk]: post.has_access for post in found}

    live = {"public", "followers", "subscribers", "tiers", "ppv"}
    assert access("anonymous") == {rule: rule == "public" for rule in live}
    assert access("follower") == {rule: rule in ("public", "followers") for rule in live}
    assert access("member (other tier)") == {
        rule: rule in ("public", "followers", "subscribers") for rule in live
    }
    assert access("tier member") == dict.fromkeys(live, True)
    assert access("unlocked") == {rule: rule in ("public", "ppv") for rule in live}
    assert access("membership period over") == access("stranger") == access("anonymous")
    assert access("blocked by the creator") == access("blocking the creator") == {}
    assert access("geo-blocked follower") == {}
    assert access("inactive account") == access("anonymous")
    owner = access("geo-blocked owner")
    assert set(owner) == set(posts) - {name for name in posts if name.endswith("-deleted")} - {
        "inactive-creator"
    }
    assert all(owner.values())


def test_cards_carry_what_the_presenter_needs_without_a_query(matrix, django_assert_num_queries):
    posts, viewers = matrix
    viewer, _ = viewers["unlocked"]
    with django_assert_num_queries(1):
        (post,) = selectors.post_list_by_ids_for_viewer(viewer=viewer, post_ids=[posts["ppv"].pk])
        assert (post.has_access, post.viewer_liked, post.viewer_bookmarked) == (True, True, False)
        assert post.creator.handle == "lena" and post.creator.creator_profile.display_name == "Lena"
        assert [tier.name for tier in post.tier_list] == ["Gold"]
        assert [tier.name for tier in post.offered_tier_list] == ["Gold", "Silver"]
        (item,) = post.attachment_list
        assert (
            item.media.pk == item.media_id and item.media.state == "ready" and item.media.deleted_at is None
        )
        assert "display" in item.media.variants
