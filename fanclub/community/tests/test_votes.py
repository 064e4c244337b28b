from __future__ import annotations

import threading

import pytest
from django.db import connection

from fanclub.community import services
from fanclub.community.models import EngagementEvent, ImageVote, ImageVoteTally, PostVote, PostVoteTally
from fanclub.community.tests.factories import make_scene
from fanclub.content import services as content_services
from fanclub.core.errors import ApiError
from fanclub.social import services as social_services


def _counts(post_id):
    tally = PostVoteTally.objects.get(pk=post_id)
    return tally.up_count, tally.down_count


def test_vote_set_change_and_remove_keep_exact_counts_and_log_events(make_user):
    scene = make_scene(make_user)
    other = make_user(handle="other")
    post = scene.public_post
    state = services.post_vote_set(user=scene.fan, post_id=post.pk, value=1)
    assert (state.up_count, state.down_count, state.value, state.score) == (1, 0, 1, 1)
    services.post_vote_set(user=other, post_id=post.pk, value=1)
    services.post_vote_set(user=scene.fan, post_id=post.pk, value=1)  # same vote again: no change
    assert _counts(post.pk) == (2, 0)
    state = services.post_vote_set(user=scene.fan, post_id=post.pk, value=-1)
    assert (state.up_count, state.down_count) == (1, 1)
    assert PostVote.objects.get(user=scene.fan, post=post).value == -1
    state = services.post_vote_delete(user=scene.fan, post_id=post.pk)
    assert (state.up_count, state.down_count, state.value) == (1, 0, 0)
    assert not PostVote.objects.filter(user=scene.fan).exists()
    state = services.post_vote_delete(user=scene.fan, post_id=post.pk)  # nothing left: no error
    assert (state.up_count, state.down_count) == (1, 0)
    kinds = list(EngagementEvent.objects.filter(user=scene.fan).order_by("pk").values_list("kind", "value"))
    assert kinds == [("post_vote", 1), ("post_vote", 1), ("post_vote", -1), ("post_unvote", 0)]


def test_image_votes_are_per_attachment(make_user):
    scene = make_scene(make_user)
    first, second = scene.public_media
    services.image_vote_set(user=scene.fan, post_id=scene.public_post.pk, media_id=first.pk, value=1)
    state = services.image_vote_set(
        user=scene.fan, post_id=scene.public_post.pk, media_id=second.pk, value=-1
    )
    assert (state.up_count, state.down_count, state.media_id) == (0, 1, second.pk)
    assert ImageVote.objects.filter(user=scene.fan).count() == 2
    state = services.image_vote_delete(user=scene.fan, post_id=scene.public_post.pk, media_id=first.pk)
    assert (state.up_count, state.down_count) == (0, 0)
    event = EngagementEvent.objects.filter(user=scene.fan).order_by("pk").first()
    assert (event.kind, event.media_id, event.post_id) == ("image_vote", first.pk, scene.public_post.pk)
    with pytest.raises(ApiError) as exc:  # a media of another post
        services.image_vote_set(
            user=scene.fan, post_id=scene.public_post.pk, media_id=scene.locked_media[0].pk, value=1
        )
    assert exc.value.status == 404


@pytest.mark.parametrize(
    "case", ["locked", "own", "blocked_by_creator", "blocking_creator", "missing", "bad_value"]
)
def test_refused_votes_change_nothing(make_user, case):
    scene = make_scene(make_user)
    voter, post_id, value, status = scene.fan, scene.public_post.pk, 1, 404
    if case == "locked":
        post_id, status = scene.locked_post.pk, 403
    elif case == "own":
        voter, status = scene.creator, 403
    elif case == "blocked_by_creator":
        social_services.block_create(blocker=scene.creator, blocked=scene.fan)
    elif case == "blocking_creator":
        social_services.block_create(blocker=scene.fan, blocked=scene.creator)
    elif case == "missing":
        post_id = 999_999
    else:
        value, status = 2, 422
    with pytest.raises(ApiError) as exc:
        services.post_vote_set(user=voter, post_id=post_id, value=value)
    assert exc.value.status == status
    assert not PostVote.objects.exists()
    assert not EngagementEvent.objects.exists()


def test_unlocking_opens_voting(make_user):
    scene = make_scene(make_user)
    content_services.post_unlock_grant(fan=scene.fan, post=scene.locked_post)
    assert services.post_vote_set(user=scene.fan, post_id=scene.locked_post.pk, value=1).up_count == 1


def test_events_are_append_only(make_user):
    scene = make_scene(make_user)
    services.post_vote_set(user=scene.fan, post_id=scene.public_post.pk, value=1)
    with pytest.raises(Exception, match="append-only"):
        EngagementEvent.objects.update(value=5)


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_keep_counters_exact(make_user):
    scene = make_scene(make_user)
    voters = [make_user(handle=f"voter{i}") for i in range(8)]
    post_id = scene.public_post.pk
    barrier = threading.Barrier(len(voters) * 2)
    errors: list[BaseException] = []

    def work(user, values):
        try:
            barrier.wait()
            for value in values:
                if value:
                    services.post_vote_set(user=user, post_id=post_id, value=value)
                else:
                    services.post_vote_delete(user=user, post_id=post_id)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    # Two threads per user racing on the same vote row: up/down/remove in different orders.
    threads = [threading.Thread(target=work, args=(u, [1, -1, 1, 0, -1])) for u in voters] + [
        threading.Thread(target=work, args=(u, [-1, 1, 0, 1])) for u in voters
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    up = PostVote.objects.filter(post_id=post_id, value=1).count()
    down = PostVote.objects.filter(post_id=post_id, value=-1).count()
    assert up + down == len(voters)  # every user ends with exactly one vote (both sequences end voted)
    assert _counts(post_id) == (up, down)


def test_image_tally_rows_exist_only_when_voted(make_user):
    scene = make_scene(make_user)
    assert not ImageVoteTally.objects.exists()
    services.image_vote_set(
        user=scene.fan, post_id=scene.public_post.pk, media_id=scene.public_media[0].pk, value=1
    )
    assert ImageVoteTally.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_user_voting_and_unvoting_in_two_tabs_never_errors(make_user):
    # The race that once failed the test above: one request finds no row and inserts, the other
    # inserted first (IntegrityError) and then deleted the row again before the first looked.
    scene = make_scene(make_user)
    post_id = scene.public_post.pk
    rounds = 200
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(values):
        try:
            barrier.wait()
            for value in values:
                if value:
                    services.post_vote_set(user=scene.fan, post_id=post_id, value=value)
                else:
                    services.post_vote_delete(user=scene.fan, post_id=post_id)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=([1, 0] * rounds,)),
        threading.Thread(target=work, args=([-1, 0] * rounds,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PostVote.objects.filter(post_id=post_id).count() == 0  # both tabs end by removing it
    assert _counts(post_id) == (0, 0)
