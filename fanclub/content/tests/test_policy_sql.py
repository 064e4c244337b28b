"""The policy's SQL twin (``policy.VISIBLE_SQL`` / ``HAS_ACCESS_SQL``, run by the list pages' one
prepared statement) answers exactly as the ORM policy (``post_qs_visible_to``), for every access
rule x post state x viewer relation (the ``matrix`` fixture is in ``conftest.py``)."""

from __future__ import annotations

import pytest

from fanclub.content import policy, selectors

pytestmark = pytest.mark.django_db


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
