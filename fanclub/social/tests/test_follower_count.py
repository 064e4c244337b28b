"""The creator's follower counter (``CreatorProfile.followers_count``) kept by the ``social_follow``
triggers (migration social.0004), whatever writes the follows, and its daily reconciliation."""

from __future__ import annotations

import logging
import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fanclub.content.tests.factories import make_creator
from fanclub.creators import selectors as creator_selectors
from fanclub.creators import services as creator_services
from fanclub.creators.models import CreatorProfile
from fanclub.creators.tasks import followers_count_reconcile_task
from fanclub.social import selectors, services
from fanclub.social.models import Follow

pytestmark = pytest.mark.django_db


def _stored(*users: Any) -> list[int]:
    counts = dict(
        CreatorProfile.objects.filter(pk__in=[u.pk for u in users]).values_list("pk", "followers_count")
    )
    return [counts[u.pk] for u in users]


def _counted(*users: Any) -> list[int]:
    return [Follow.objects.filter(creator_id=u.pk).count() for u in users]


def _fans(n: int, prefix: str = "bulkfan") -> list[int]:
    """``n`` fan accounts in one statement (no password hashing), their ids in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO accounts_user (password, is_superuser, email, handle, display_name, role,
                   avatar, is_active, is_staff, date_joined)
               SELECT '!', false, %(p)s || g || '@example.com', %(p)s || g, '', 'fan', '', true, false, now()
                 FROM generate_series(1, %(n)s) g RETURNING id""",
            {"p": prefix, "n": n},
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.fixture
def creators(make_user: Any) -> list[Any]:
    return [make_creator(make_user, handle) for handle in ("ana", "bo", "cy")]


def test_follow_and_unfollow_through_services_and_the_api_move_the_counter(make_user, creators):
    ana, bo, _ = creators
    fans = [make_user(handle=f"fan{i}") for i in range(3)]

    assert [services.follow_create(follower=fan, creator=ana) for fan in fans] == [True, True, True]
    assert services.follow_create(follower=fans[0], creator=ana) is False  # idempotent: no double count
    services.follow_create(follower=fans[0], creator=bo)
    assert _stored(ana, bo) == [3, 1]

    assert services.follow_delete(follower=fans[1], creator=ana) is True
    assert services.follow_delete(follower=fans[1], creator=ana) is False
    assert _stored(ana, bo) == [2, 1]
    assert selectors.follower_count(creator_id=ana.pk) == 2

    client = Client()
    client.force_login(fans[1])
    assert client.post("/api/v1/creators/ana/follow").json() == {"following": True, "followerCount": 3}
    assert Client().get("/api/v1/creators/ana").json()["followerCount"] == 3
    assert client.delete("/api/v1/creators/ana/follow").json() == {"following": False, "followerCount": 2}
    assert Client().get("/api/v1/creators/ana").json()["followerCount"] == 2


def test_one_statement_inserting_many_follows_for_several_creators_counts_each_exactly(creators):
    ana, bo, cy = creators
    fans = _fans(300)
    with connection.cursor() as cursor:
        # 300 + 150 + 100 follows in a single INSERT, plus follows of a user without a profile.
        cursor.execute(
            """INSERT INTO social_follow (follower_id, creator_id, created_at)
               SELECT f, c, now() FROM unnest(%(fans)s::bigint[]) WITH ORDINALITY AS x(f, i),
                      LATERAL (VALUES (%(a)s, 1), (%(b)s, 2), (%(c)s, 3), (%(nobody)s, 4)) AS t(c, every)
                WHERE i %% every = 0""",
            {"fans": fans, "a": ana.pk, "b": bo.pk, "c": cy.pk, "nobody": fans[0]},
        )
        assert cursor.rowcount == 300 + 150 + 100 + 75

    assert _stored(ana, bo, cy) == _counted(ana, bo, cy) == [300, 150, 100]
    assert creator_services.followers_count_reconcile() == 0


def test_bulk_deletes_and_a_truncate_subtract_exactly(creators):
    ana, bo, cy = creators
    fans = _fans(200)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO social_follow (follower_id, creator_id, created_at)
               SELECT f, c, now() FROM unnest(%s::bigint[]) f, unnest(%s::bigint[]) c""",
            [fans, [ana.pk, bo.pk, cy.pk]],
        )
        cursor.execute("DELETE FROM social_follow WHERE follower_id %% 3 = 0 AND creator_id <> %s", [cy.pk])
        removed = cursor.rowcount
    expected = 200 - sum(1 for fan in fans if fan % 3 == 0)
    assert removed == 2 * (200 - expected)
    assert _stored(ana, bo, cy) == _counted(ana, bo, cy) == [expected, expected, 200]

    deleted, _ = Follow.objects.filter(creator_id=cy.pk, follower_id__in=fans[:50]).delete()
    assert deleted == 50
    assert _stored(ana, bo, cy) == [expected, expected, 150]

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks on the table
        cursor.execute("TRUNCATE social_follow")
    assert _stored(ana, bo, cy) == [0, 0, 0]


def test_an_update_moving_follows_between_creators_moves_the_counts(creators):
    ana, bo, cy = creators
    fans = _fans(10)
    Follow.objects.bulk_create([Follow(follower_id=fan, creator_id=ana.pk) for fan in fans])
    Follow.objects.bulk_create([Follow(follower_id=fan, creator_id=cy.pk) for fan in fans[:4]])
    assert _stored(ana, bo, cy) == [10, 0, 4]

    assert Follow.objects.filter(creator_id=ana.pk, follower_id__in=fans[:6]).update(creator_id=bo.pk) == 6
    assert _stored(ana, bo, cy) == [4, 6, 4]
    assert Follow.objects.filter(creator_id=cy.pk, follower_id=fans[0]).update(follower_id=fans[9]) == 1
    assert _stored(ana, bo, cy) == [4, 6, 4]


def test_a_block_ending_follows_and_account_deletions_are_counted(make_user, creators):
    ana, bo, _ = creators
    fan, other = make_user(handle="fan"), make_user(handle="other")
    for user in (fan, other):
        services.follow_create(follower=user, creator=ana)
        services.follow_create(follower=user, creator=bo)
    services.follow_create(follower=bo, creator=ana)
    assert _stored(ana, bo) == [3, 2]

    services.block_create(blocker=ana, blocked=fan)  # the creator blocks a follower
    services.block_create(blocker=other, blocked=bo)  # a follower blocks the creator
    assert _stored(ana, bo) == _counted(ana, bo) == [2, 1]

    other.delete()  # the account's follows cascade
    assert _stored(ana, bo) == [1, 1]
    bo.delete()  # a creator who follows and is followed: their profile goes, ana's count drops
    assert _stored(ana) == [0]
    assert not CreatorProfile.objects.filter(pk=bo.pk).exists()


def test_a_profile_starts_from_the_follows_its_user_already_has(make_user):
    user, fan = make_user(handle="late"), make_user(handle="early")
    Follow.objects.create(follower=fan, creator=user)  # the model allows following any user

    creator_services.creator_become(user=user, display_name="Late")

    assert _stored(user) == [1]


def test_only_the_triggers_write_the_column(make_user, creators):
    ana = creators[0]
    services.follow_create(follower=make_user(handle="fan"), creator=ana)
    stale = CreatorProfile.objects.get(pk=ana.pk)
    services.follow_create(follower=make_user(handle="fan2"), creator=ana)

    stale.bio = "edited with a profile read before the second follow"
    stale.save()  # writes every column, followers_count=1 included
    creator_services.creator_profile_update(user=ana, bio="and through the service")
    CreatorProfile.objects.filter(pk=ana.pk).update(followers_count=99)

    assert _stored(ana) == [2]
    assert CreatorProfile.objects.get(pk=ana.pk).bio == "and through the service"


def test_reconciliation_repairs_injected_drift_and_says_so(make_user, creators, caplog):
    ana, bo, _ = creators
    for i in range(3):
        services.follow_create(follower=make_user(handle=f"fan{i}"), creator=ana)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('fanclub.followers_count_repair', 'on', true)")
        cursor.execute("UPDATE creators_creatorprofile SET followers_count = 7 WHERE user_id = %s", [ana.pk])
    assert _stored(ana, bo) == [7, 0]

    with caplog.at_level(logging.INFO, logger="fanclub.creators.services"):
        assert creator_services.followers_count_reconcile(batch_size=2) == 1

    assert _stored(ana, bo) == [3, 0]
    messages = [record.getMessage() for record in caplog.records]
    assert f"followers_count drift repaired: creator {ana.pk} stored 7, counted 3" in messages
    assert "followers_count reconciled: 1 profiles corrected" in messages
    assert followers_count_reconcile_task(timestamp=0) == 0
    out = StringIO()
    call_command("followers_count_reconcile", stdout=out)
    assert out.getvalue() == "0 profiles corrected\n"


def test_the_profile_lookup_and_the_anonymous_profile_reads_touch_no_follow(
    make_user, creators, django_assert_num_queries
):
    ana = creators[0]
    services.follow_create(follower=make_user(handle="fan"), creator=ana)

    viewer = make_user(handle="viewer")
    with CaptureQueriesContext(connection) as lookup:
        profile = creator_selectors.creator_profile_get_public(handle="ana", viewer=viewer)
    assert profile.followers_count == 1
    assert len(lookup.captured_queries) == 1
    assert "social_follow" not in lookup.captured_queries[0]["sql"]

    client = Client()
    with CaptureQueriesContext(connection) as api, django_assert_num_queries(2):  # profile, tiers
        assert client.get("/api/v1/creators/ana").json()["followerCount"] == 1
    with CaptureQueriesContext(connection) as page:
        assert "1 follower ·" in client.get("/c/ana/").content.decode()
    assert not [q for q in api.captured_queries + page.captured_queries if "social_follow" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_follows_of_one_creator_are_both_counted(make_user):
    ana = make_creator(make_user, "ana")
    first, second = make_user(handle="first"), make_user(handle="second")
    first_inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def follow_and_hold() -> None:
        try:
            with transaction.atomic():
                services.follow_create(follower=first, creator=ana)
                first_inserted.set()
                release.wait(10)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            first_inserted.set()
        finally:
            connection.close()

    def follow() -> None:
        try:
            services.follow_create(follower=second, creator=ana)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=follow_and_hold)
    holder.start()
    assert first_inserted.wait(10)
    follower = threading.Thread(target=follow)
    follower.start()
    waited = False
    deadline = time.monotonic() + 10
    while not waited and time.monotonic() < deadline:  # the second follow waits on the profile row
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE '%%social_follow%%'"
            )
            waited = cursor.fetchone()[0] == 1
        time.sleep(0.02)
    release.set()
    holder.join(10)
    follower.join(10)

    assert not errors
    assert waited
    assert _stored(ana) == _counted(ana) == [2]
