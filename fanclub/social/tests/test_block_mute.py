from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content import policy
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.core.errors import ApiError
from fanclub.social import selectors, services
from fanclub.social.models import Block, Follow, Mute

pytestmark = pytest.mark.django_db


def test_block_removes_follows_both_ways_and_is_idempotent(make_user):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    services.follow_create(follower=fan, creator=creator)

    assert services.block_create(blocker=creator, blocked=fan) is True
    assert services.block_create(blocker=creator, blocked=fan) is False
    assert Follow.objects.count() == 0
    assert Block.objects.count() == 1
    assert selectors.is_blocked_either_way(user_id=fan.pk, other_id=creator.pk)
    assert selectors.is_blocked_either_way(user_id=creator.pk, other_id=fan.pk)
    assert selectors.blocked_user_ids(user_id=fan.pk) == {creator.pk}


def test_blocked_fan_cannot_follow_or_see_profile_or_posts(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, text="hello")
    fan = make_user(handle="fan")
    services.block_create(blocker=creator, blocked=fan)

    with pytest.raises(ApiError) as raised:
        services.follow_create(follower=fan, creator=creator)
    assert raised.value.status == 404
    assert not policy.can_view_post(fan, post)
    assert policy.can_view_post(make_user(handle="other"), post)
    client = Client()
    client.force_login(fan)
    assert client.post("/api/v1/creators/lena/follow").status_code == 404
    assert Follow.objects.count() == 0


def test_a_fan_who_blocks_a_creator_stops_seeing_them_and_unblock_restores(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, text="hello")
    fan = make_user(handle="fan")
    services.block_create(blocker=fan, blocked=creator)
    assert not policy.can_view_post(fan, post)
    assert services.block_delete(blocker=fan, blocked=creator) is True
    assert services.block_delete(blocker=fan, blocked=creator) is False
    assert policy.can_view_post(fan, post)


def test_self_block_and_mute_are_refused_and_mute_is_one_way(make_user):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    with pytest.raises(ApiError):
        services.block_create(blocker=fan, blocked=fan)
    with pytest.raises(ApiError):
        services.mute_create(muter=fan, muted=fan)
    assert services.mute_create(muter=fan, muted=creator) is True
    assert services.mute_create(muter=fan, muted=creator) is False
    assert selectors.is_muted(muter_id=fan.pk, muted_id=creator.pk)
    assert not selectors.is_muted(muter_id=creator.pk, muted_id=fan.pk)
    assert selectors.muted_user_ids(user_id=fan.pk) == {creator.pk}
    assert services.mute_delete(muter=fan, muted=creator) is True
    assert Mute.objects.count() == 0
