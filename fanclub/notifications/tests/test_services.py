"""notify(): preferences, mutes and blocks respected, idempotent kinds, delivery jobs deferred."""

from __future__ import annotations

import pytest

from fanclub.notifications import constants as k
from fanclub.notifications import selectors, services
from fanclub.notifications.models import Notification, PushSubscription
from fanclub.notifications.tests.conftest import deferred_jobs
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


def _push_device(user) -> None:
    PushSubscription.objects.create(
        user=user, endpoint=f"https://push.example/{user.pk}", p256dh="x" * 87, auth="y" * 22
    )


def test_notify_writes_the_row_and_defers_email_and_push_per_defaults(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    _push_device(creator)

    services.notify(
        recipient_id=creator.pk,
        kind=k.TIP_RECEIVED,
        actor_id=fan.pk,
        data={"amount_minor": 500, "currency": "usd"},
    )

    (notification,) = Notification.objects.all()
    assert (notification.recipient_id, notification.kind, notification.actor_id) == (
        creator.pk,
        "tip_received",
        fan.pk,
    )
    assert notification.read_at is None
    jobs = deferred_jobs("notification_deliver_task")
    assert [(job["args"]["channel"], job["args"]["recipient_ids"]) for job in jobs] == [
        ("email", [creator.pk]),
        ("push", [creator.pk]),
    ]
    assert selectors.unread_count(user_id=creator.pk) == 1


def test_no_push_job_without_a_device_and_no_email_when_switched_off(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    services.preferences_update(user_id=creator.pk, preferences={k.TIP_RECEIVED: {"email": False}})

    services.notify(recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=fan.pk, data={})

    assert Notification.objects.count() == 1
    assert deferred_jobs("notification_deliver_task") == []


def test_muted_or_blocked_actor_notifies_nothing(make_user):
    creator, muted, blocked = make_user(handle="lena"), make_user(handle="muted"), make_user(handle="blocked")
    _push_device(creator)
    social_services.mute_create(muter=creator, muted=muted)
    social_services.block_create(blocker=blocked, blocked=creator)  # a block either way silences

    services.notify(recipient_id=creator.pk, kind=k.NEW_FOLLOWER, actor_id=muted.pk)
    services.notify(recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=blocked.pk)

    assert Notification.objects.count() == 0
    assert deferred_jobs("notification_deliver_task") == []


def test_account_notices_ignore_mutes_and_cannot_be_switched_off_in_app(make_user):
    fan, moderator = make_user(handle="fan"), make_user(handle="mod")
    social_services.mute_create(muter=fan, muted=moderator)
    prefs = services.preferences_update(user_id=fan.pk, preferences={k.MODERATION_RESULT: {"in_app": False}})

    services.notify(
        recipient_id=fan.pk,
        kind=k.MODERATION_RESULT,
        actor_id=moderator.pk,
        data={"message": "Post restored"},
    )

    assert prefs[k.MODERATION_RESULT]["in_app"] is True
    assert Notification.objects.get().kind == k.MODERATION_RESULT


def test_in_app_off_writes_no_row_but_still_emails(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    services.preferences_update(
        user_id=creator.pk, preferences={k.NEW_SUBSCRIBER: {"in_app": False, "email": True}}
    )

    services.notify(recipient_id=creator.pk, kind=k.NEW_SUBSCRIBER, actor_id=fan.pk)

    assert Notification.objects.count() == 0
    assert [job["args"]["channel"] for job in deferred_jobs("notification_deliver_task")] == ["email"]


def test_digest_users_get_no_instant_email(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    services.preferences_update(user_id=creator.pk, preferences={}, digest=True)

    services.notify(recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=fan.pk)

    assert Notification.objects.count() == 1
    assert deferred_jobs("notification_deliver_task") == []


def test_self_notifications_are_dropped_and_unknown_kinds_refused(make_user):
    user = make_user(handle="lena")

    services.notify(recipient_id=user.pk, kind=k.COMMENT, actor_id=user.pk)

    assert Notification.objects.count() == 0
    with pytest.raises(ValueError):
        services.notify(recipient_id=user.pk, kind="nonsense")


def test_deduplicated_kinds_are_written_once(make_user):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")

    for _ in range(3):
        services.notify(recipient_id=creator.pk, kind=k.LIKE_MILESTONE, data={"post_id": 7, "likes": 10})
        services.notify(
            recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=fan.pk, data={"charge_id": "c1"}
        )
    services.notify(recipient_id=creator.pk, kind=k.LIKE_MILESTONE, data={"post_id": 7, "likes": 100})

    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == [
        "like_milestone:7:10",
        "like_milestone:7:100",
        "tip_received:c1",
    ]


def test_mark_read_is_scoped_to_the_recipient(make_user):
    owner, other, actor = make_user(handle="owner"), make_user(handle="other"), make_user(handle="actor")
    services.notify(recipient_id=owner.pk, kind=k.NEW_FOLLOWER, actor_id=actor.pk)
    services.notify(recipient_id=owner.pk, kind=k.COMMENT, actor_id=actor.pk, data={"post_id": 1})
    first = Notification.objects.order_by("id").first()

    assert services.notification_mark_read(user_id=other.pk, notification_id=first.pk) is None
    assert selectors.unread_count(user_id=owner.pk) == 2
    assert services.notification_mark_read(user_id=owner.pk, notification_id=first.pk).read_at is not None
    assert selectors.unread_count(user_id=owner.pk) == 1
    assert services.notification_mark_all_read(user_id=owner.pk) == 1
    assert selectors.unread_count(user_id=owner.pk) == 0


def test_preferences_refuse_unknown_kinds_and_channels(make_user):
    from fanclub.core.errors import ApiError

    user = make_user(handle="lena")
    with pytest.raises(ApiError):
        services.preferences_update(user_id=user.pk, preferences={"nope": {"email": True}})
    with pytest.raises(ApiError):
        services.preferences_update(user_id=user.pk, preferences={k.COMMENT: {"sms": True}})
    assert selectors.preferences_for(user_id=user.pk) == {kind: k.DEFAULTS[kind] for kind in k.KINDS}


def test_notify_costs_a_fixed_number_of_queries(make_user, django_assert_num_queries):
    creator, fan = make_user(handle="lena"), make_user(handle="fan")
    _push_device(creator)

    # savepoint, recipient state (mute, block, preference, digest, device), insert, the rendered row,
    # unread count, email job, push job, release
    with django_assert_num_queries(8):
        services.notify(
            recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=fan.pk, data={"charge_id": "c9"}
        )
