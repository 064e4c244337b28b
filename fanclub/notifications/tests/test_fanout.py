"""New-post fan-out: followers + active subscribers, minus mutes/blocks/in-app off, exactly once."""

from __future__ import annotations

import pytest

from fanclub.content.tests.factories import make_creator, make_post
from fanclub.creators import services as creator_services
from fanclub.notifications import constants as k
from fanclub.notifications import fanout, services
from fanclub.notifications.models import Notification, PushSubscription
from fanclub.notifications.tests.conftest import deferred_jobs
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


def _audience(make_user, creator):
    fans = [make_user(handle=f"fan{n}") for n in range(12)]
    for fan in fans:
        social_services.follow_create(follower=fan, creator=creator)
    social_services.mute_create(muter=fans[0], muted=creator)
    social_services.block_create(blocker=fans[1], blocked=creator)  # also removes the follow
    social_services.follow_create(follower=fans[2], creator=creator)
    social_services.block_create(blocker=creator, blocked=fans[2])
    services.preferences_update(user_id=fans[3].pk, preferences={k.NEW_POST: {"in_app": False}})
    subscriber = make_user(handle="subscriber")  # a paying member who does not follow
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=creator, fan=subscriber, tier_id=tier.pk)
    PushSubscription.objects.create(
        user=fans[5], endpoint="https://push.example/5", p256dh="x" * 87, auth="y" * 22
    )
    return fans, subscriber


def test_fanout_notifies_the_audience_once_even_when_retried(make_user):
    creator = make_creator(make_user, "lena")
    fans, subscriber = _audience(make_user, creator)
    post = make_post(creator, text="New set is up")

    created = fanout.new_post_fanout(post_id=post.pk, batch_size=4)
    again = fanout.new_post_fanout(post_id=post.pk, batch_size=4)

    expected = {fan.pk for fan in fans[4:]} | {subscriber.pk}
    assert created == len(expected) == 9
    assert again == 0
    rows = Notification.objects.filter(kind=k.NEW_POST)
    assert {row.recipient_id for row in rows} == expected
    assert {(row.actor_id, row.data["post_id"]) for row in rows} == {(creator.pk, post.pk)}
    # A post for subscribers (the default): only the member may read its text in the notice.
    assert {row.recipient_id for row in rows if row.data.get("excerpt") == "New set is up"} == {subscriber.pk}
    push_jobs = [
        job["args"] for job in deferred_jobs("notification_deliver_task") if job["args"]["channel"] == "push"
    ]
    assert [job["recipient_ids"] for job in push_jobs] == [[fans[5].pk]]  # only the fan with a device, once


def test_fanout_of_a_deleted_post_notifies_nobody(make_user):
    from fanclub.content import services as content_services

    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    social_services.follow_create(follower=fan, creator=creator)
    post = make_post(creator)
    content_services.post_delete(user=creator, post_id=post.pk)

    assert fanout.new_post_fanout(post_id=post.pk) == 0
    assert not Notification.objects.filter(kind=k.NEW_POST).exists()


def test_defer_is_one_job_per_post(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, publish=False)

    fanout.new_post_fanout_defer(post_id=post.pk)
    fanout.new_post_fanout_defer(post_id=post.pk)

    assert [job["lock"] for job in deferred_jobs("new_post_fanout_task")] == [f"fanout:{post.pk}"]


def test_a_job_that_dies_mid_way_finishes_on_retry_without_duplicates(make_user, monkeypatch):
    creator = make_creator(make_user, "lena")
    fans = [make_user(handle=f"fan{n}") for n in range(9)]
    for fan in fans:
        social_services.follow_create(follower=fan, creator=creator)
    post = make_post(creator)
    calls = {"n": 0}
    real = fanout._defer_deliveries

    def dies_on_the_second_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("worker lost its connection")
        real(**kwargs)

    monkeypatch.setattr(fanout, "_defer_deliveries", dies_on_the_second_batch)
    with pytest.raises(ConnectionError):
        fanout.new_post_fanout(post_id=post.pk, batch_size=4)
    assert Notification.objects.filter(kind=k.NEW_POST).count() == 4  # the first batch committed

    monkeypatch.setattr(fanout, "_defer_deliveries", real)
    assert fanout.new_post_fanout(post_id=post.pk, batch_size=4) == 5  # the retry does the rest
    recipients = list(Notification.objects.filter(kind=k.NEW_POST).values_list("recipient_id", flat=True))
    assert sorted(recipients) == sorted(fan.pk for fan in fans)


def test_someone_who_follows_after_the_post_went_live_is_not_told_it_is_new(make_user):
    creator = make_creator(make_user, "lena")
    early, late = make_user(handle="early"), make_user(handle="late")
    social_services.follow_create(follower=early, creator=creator)
    post = make_post(creator, text="Fresh")
    social_services.follow_create(follower=late, creator=creator)  # before the job runs

    assert fanout.new_post_fanout(post_id=post.pk) == 1
    assert list(Notification.objects.filter(kind=k.NEW_POST).values_list("recipient_id", flat=True)) == [
        early.pk
    ]


def test_a_locked_posts_text_reaches_only_those_who_may_read_it(make_user):
    # The card shows a locked post's text to nobody without access; its notice must not either
    # (in the list, on the socket, in the push and in the email).
    creator = make_creator(make_user, "lena")
    follower, subscriber = make_user(handle="follower"), make_user(handle="subscriber")
    social_services.follow_create(follower=follower, creator=creator)
    tier = creator_services.tier_create(user=creator, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=creator, fan=subscriber, tier_id=tier.pk)
    for user in (follower, subscriber):
        PushSubscription.objects.create(
            user=user, endpoint=f"https://push.example/{user.pk}", p256dh="x" * 87, auth="y" * 22
        )
        services.preferences_update(user_id=user.pk, preferences={k.NEW_POST: {"email": True}})
    post = make_post(creator, text="The secret is 42", access="subscribers")

    assert fanout.new_post_fanout(post_id=post.pk) == 2

    data = {row.recipient_id: row.data for row in Notification.objects.filter(kind=k.NEW_POST)}
    assert data[subscriber.pk] == {"post_id": post.pk, "excerpt": "The secret is 42"}
    assert data[follower.pk] == {"post_id": post.pk}
    jobs = {
        (job["args"]["channel"], tuple(job["args"]["recipient_ids"])): job["args"]["data"]
        for job in deferred_jobs("notification_deliver_task")
    }
    assert jobs == {
        ("push", (subscriber.pk,)): {"post_id": post.pk, "excerpt": "The secret is 42"},
        ("email", (subscriber.pk,)): {"post_id": post.pk, "excerpt": "The secret is 42"},
        ("push", (follower.pk,)): {"post_id": post.pk},
        ("email", (follower.pk,)): {"post_id": post.pk},
    }


@pytest.mark.parametrize("access", ["public", "followers"])
def test_an_open_posts_text_is_in_every_notice(make_user, access):
    creator = make_creator(make_user, "lena")
    follower = make_user(handle="follower")
    social_services.follow_create(follower=follower, creator=creator)
    post = make_post(creator, text="Hello all", access=access)

    fanout.new_post_fanout(post_id=post.pk)

    assert Notification.objects.get(kind=k.NEW_POST).data == {"post_id": post.pk, "excerpt": "Hello all"}


def test_fanout_for_a_creator_banned_before_the_job_ran_notifies_nobody(make_user):
    # A scheduled post whose time came after the ban: the post is hidden, and so is its notice.
    from fanclub.accounts import services as accounts_services

    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    social_services.follow_create(follower=fan, creator=creator)
    post = make_post(creator, access="public")
    accounts_services.user_ban(actor=make_user(handle="mod"), user=creator, reason="rules")

    assert fanout.new_post_fanout(post_id=post.pk) == 0
    assert not Notification.objects.filter(kind=k.NEW_POST).exists()
