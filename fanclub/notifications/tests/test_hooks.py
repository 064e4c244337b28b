"""The events other apps raise: follows, publishing (now and scheduled), comments, like milestones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fanclub.content import services as content_services
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.notifications import constants as k
from fanclub.notifications.models import Notification
from fanclub.notifications.tests.conftest import deferred_jobs
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


def test_a_new_follow_notifies_the_creator_once(make_user):
    creator = make_creator(make_user, "lena")
    fan = make_user(handle="fan")

    assert social_services.follow_create(follower=fan, creator=creator) is True
    assert social_services.follow_create(follower=fan, creator=creator) is False

    (notification,) = Notification.objects.all()
    assert (notification.recipient_id, notification.kind, notification.actor_id) == (
        creator.pk,
        k.NEW_FOLLOWER,
        fan.pk,
    )


def test_publishing_defers_one_fanout_job_and_drafts_none(make_user):
    creator = make_creator(make_user, "lena")

    draft = make_post(creator, publish=False)
    assert deferred_jobs("new_post_fanout_task") == []
    content_services.post_publish(user=creator, post_id=draft.pk)
    live = make_post(creator)
    content_services.post_update(user=creator, post_id=live.pk, text="edited")  # an edit is no new post

    assert [job["args"] for job in deferred_jobs("new_post_fanout_task")] == [
        {"post_id": draft.pk},
        {"post_id": live.pk},
    ]


def test_scheduled_posts_fan_out_when_their_time_comes(make_user):
    creator = make_creator(make_user, "lena")
    soon = timezone.now() + timedelta(minutes=5)
    post = make_post(creator, publish=False, publish_at=soon)
    assert deferred_jobs("new_post_fanout_task") == []

    assert content_services.posts_publish_due(now=soon + timedelta(seconds=1)) == 1
    assert content_services.posts_publish_due(now=soon + timedelta(seconds=2)) == 0

    assert [job["args"] for job in deferred_jobs("new_post_fanout_task")] == [{"post_id": post.pk}]


def test_comments_and_like_milestones_notify_the_creator(make_user):
    creator = make_creator(make_user, "lena")
    post = make_post(creator, access="public")
    fans = [make_user(handle=f"fan{n}") for n in range(10)]

    content_services.comment_create(user=fans[0], post_id=post.pk, text="  Love   this  ")
    content_services.comment_create(user=creator, post_id=post.pk, text="thanks!")  # own comment: nothing
    for fan in fans:
        content_services.post_like(user=fan, post_id=post.pk)
    content_services.post_unlike(user=fans[9], post_id=post.pk)
    content_services.post_like(user=fans[9], post_id=post.pk)  # back to 10: not twice

    rows = Notification.objects.filter(recipient=creator).order_by("id")
    assert [(row.kind, row.data) for row in rows] == [
        (k.COMMENT, {"post_id": post.pk, "comment_id": rows[0].data["comment_id"], "excerpt": "Love this"}),
        (k.LIKE_MILESTONE, {"post_id": post.pk, "likes": 10}),
    ]
