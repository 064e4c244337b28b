from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fanclub.content import services
from fanclub.content.models import Bookmark, Comment, Post, PostLike
from fanclub.content.tests.factories import make_creator, make_post, ready_media
from fanclub.creators import services as creator_services
from fanclub.creators.tests.test_faces import face_image
from fanclub.media.models import MediaUsage

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def creator(make_user):
    return make_creator(make_user, "lena")


def test_create_draft_then_publish_pin_edit_and_delete(creator):
    media = ready_media(creator)
    client = _client(creator)

    created = client.post(
        "/api/v1/posts",
        {
            "text": "first",
            "mediaIds": [str(media.pk)],
            "access": "public",
            "tags": ["#Summer Vibes", "summer-vibes", "BTS"],
            "category": "photo",
        },
        content_type="application/json",
    )
    post_id = created.json()["id"]
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "draft" and created.json()["tags"] == ["summer-vibes", "bts"]
    assert MediaUsage.objects.get().target_id == str(post_id)
    assert _client().get(f"/api/v1/posts/{post_id}").status_code == 404

    assert client.post(f"/api/v1/posts/{post_id}/publish").json()["state"] == "published"
    assert client.post(f"/api/v1/posts/{post_id}/pin").json()["isPinned"] is True
    edited = client.patch(f"/api/v1/posts/{post_id}", {"text": "edited"}, content_type="application/json")
    assert edited.json()["text"] == "edited" and edited.json()["editedAt"] is not None
    assert _client().get(f"/api/v1/posts/{post_id}").json()["text"] == "edited"

    assert client.delete(f"/api/v1/posts/{post_id}").status_code == 204
    assert _client().get(f"/api/v1/posts/{post_id}").status_code == 404
    assert MediaUsage.objects.count() == 0


def test_validation_of_rules_media_and_tags(creator, make_user):
    other = make_creator(make_user, "otto")
    foreign = ready_media(other)
    client = _client(creator)

    def create(**body):
        return client.post("/api/v1/posts", {"text": "x", **body}, content_type="application/json")

    assert create(access="ppv").status_code == 422  # no price
    assert create(access="tiers").status_code == 422  # no tier
    assert create(access="public", priceMinor=100).status_code == 422
    assert create(mediaIds=[str(foreign.pk)]).status_code == 422
    assert create(tags=[f"t{i}" for i in range(11)]).status_code == 422
    assert create(category="nope").status_code == 422
    assert Post.objects.count() == 0


def test_fans_cannot_post_or_edit_others_posts_and_nothing_changes(creator, make_user):
    post = make_post(creator, text="mine", access="public")
    fan = make_user(handle="fan")
    other = make_creator(make_user, "otto")

    assert (
        _client(fan).post("/api/v1/posts", {"text": "x"}, content_type="application/json").status_code == 403
    )
    assert (
        _client(other)
        .patch(f"/api/v1/posts/{post.pk}", {"text": "hacked"}, content_type="application/json")
        .status_code
        == 404
    )
    assert _client(other).delete(f"/api/v1/posts/{post.pk}").status_code == 404
    assert _client(other).post(f"/api/v1/posts/{post.pk}/pin").status_code == 404
    post.refresh_from_db()
    assert (post.text, post.deleted_at, post.is_pinned) == ("mine", None, False)
    assert Post.objects.count() == 1


def test_scheduled_post_is_hidden_until_due_then_published_by_the_job(creator):
    when = timezone.now() + timedelta(minutes=5)
    post = make_post(creator, access="public", publish=False, publish_at=when)

    assert post.state == "scheduled"
    assert services.posts_publish_due() == 0
    assert _client().get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert services.posts_publish_due(now=when + timedelta(seconds=1)) == 1
    assert services.posts_publish_due(now=when + timedelta(seconds=2)) == 0  # idempotent
    post.refresh_from_db()
    assert post.state == "published" and post.published_at == when


@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_publishes_due_posts(make_user, run_jobs):
    from procrastinate.exceptions import AlreadyEnqueued

    from fanclub.content.tasks import posts_publish_due_task

    creator = make_creator(make_user, "lena")
    post = make_post(
        creator, access="public", publish=False, publish_at=timezone.now() + timedelta(minutes=5)
    )
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))

    # An earlier worker run's periodic deferrer may have queued it already: the lock holds.
    with contextlib.suppress(AlreadyEnqueued):
        posts_publish_due_task.defer(timestamp=0)
    run_jobs(queues=["content"])

    post.refresh_from_db()
    assert post.state == "published"


def test_expiry_hides_a_post_without_a_job(creator):
    post = make_post(creator, access="public", expires_at=timezone.now() + timedelta(hours=1))
    assert _client().get(f"/api/v1/posts/{post.pk}").status_code == 200

    Post.objects.filter(pk=post.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _client().get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert _client(creator).get(f"/api/v1/posts/{post.pk}").status_code == 200


def test_comments_with_one_level_of_replies(creator, make_user):
    post = make_post(creator, access="public")
    fan = make_user(handle="fan")
    client = _client(fan)

    top = client.post(
        f"/api/v1/posts/{post.pk}/comments", {"text": "nice"}, content_type="application/json"
    ).json()
    reply = client.post(
        f"/api/v1/posts/{post.pk}/comments",
        {"text": "thanks", "parentId": top["id"]},
        content_type="application/json",
    ).json()
    deep = client.post(
        f"/api/v1/posts/{post.pk}/comments",
        {"text": "deep", "parentId": reply["id"]},
        content_type="application/json",
    ).json()
    listing = _client().get(f"/api/v1/posts/{post.pk}/comments").json()

    assert deep["parentId"] == top["id"]  # a reply to a reply joins the thread
    assert [c["text"] for c in listing["items"]] == ["nice"]
    assert [r["text"] for r in listing["items"][0]["replies"]] == ["thanks", "deep"]
    assert Post.objects.get().comments_count == 3
    assert _client(make_user(handle="stranger")).delete(f"/api/v1/comments/{top['id']}").status_code == 403
    assert _client(creator).delete(f"/api/v1/comments/{top['id']}").status_code == 204
    assert Post.objects.get().comments_count == 2


def test_locked_posts_cannot_be_commented_or_liked_but_can_be_saved(creator, make_user):
    post = make_post(creator, access="subscribers")
    fan = make_user(handle="fan")
    client = _client(fan)

    assert (
        client.post(
            f"/api/v1/posts/{post.pk}/comments", {"text": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/posts/{post.pk}/comments").status_code == 403
    assert client.post(f"/api/v1/posts/{post.pk}/like").status_code == 403
    assert Comment.objects.count() == PostLike.objects.count() == 0
    assert client.post(f"/api/v1/posts/{post.pk}/bookmark").json() == {"active": True, "count": None}
    assert [p["id"] for p in client.get("/api/v1/me/bookmarks").json()["items"]] == [post.pk]


def test_like_unlike_counts(creator, make_user):
    post = make_post(creator, access="public")
    client = _client(make_user(handle="fan"))

    assert client.post(f"/api/v1/posts/{post.pk}/like").json() == {"active": True, "count": 1}
    assert client.post(f"/api/v1/posts/{post.pk}/like").json() == {"active": True, "count": 1}
    assert client.get(f"/api/v1/posts/{post.pk}").json()["viewerLiked"] is True
    assert client.delete(f"/api/v1/posts/{post.pk}/like").json() == {"active": False, "count": 0}
    assert client.delete(f"/api/v1/posts/{post.pk}/bookmark").json()["active"] is False
    assert Bookmark.objects.count() == 0


def _fill(creator, count):
    tier = creator_services.tier_create(user=creator, name=f"T{count}", price_minor=500)
    media = ready_media(creator)
    for index in range(count):
        make_post(
            creator,
            text=f"post {index}",
            media_ids=[media.pk] if index % 2 else [],
            access=["public", "subscribers", "tiers", "ppv", "followers"][index % 5],
            tier_ids=[tier.pk] if index % 5 in (2, 3) else [],
            price_minor=300 if index % 5 == 3 else None,
            currency="USD" if index % 5 == 3 else "",
        )


@pytest.mark.parametrize("count", [5, 30])
def test_post_list_query_count_is_constant(
    creator, make_user, django_assert_num_queries, django_assert_max_num_queries, count
):
    _fill(creator, count)
    anonymous = _client()
    anonymous.get("/api/v1/creators/lena/posts")  # warm-up

    # profile, the page's ids, the cards (policy, media, tiers, offered tiers) (no session: anonymous)
    with django_assert_num_queries(3):
        response = anonymous.get("/api/v1/creators/lena/posts?limit=50")
    assert len(response.json()["items"]) == count
    fan = _client(make_user(handle="fan"))
    fan.get("/api/v1/creators/lena/posts")
    # + user, device session (and its throttled last-seen update)
    with django_assert_max_num_queries(7):
        assert len(fan.get("/api/v1/creators/lena/posts?limit=50").json()["items"]) == count


@pytest.mark.parametrize("count", [5, 30])
def test_profile_page_query_count_is_constant(
    creator, make_user, django_assert_num_queries, django_assert_max_num_queries, count
):
    _fill(creator, count)
    anonymous = _client()
    anonymous.get("/c/lena/")

    # profile, offered tiers, the page's ids, the cards (no session: anonymous)
    with django_assert_num_queries(4):
        assert anonymous.get("/c/lena/").status_code == 200
    fan = _client(make_user(handle="fan"))
    fan.get("/c/lena/")
    # + user, device session (+ update), follow, membership, mute (the profile's Mute/Unmute button),
    # and the header's unread-messages badge (the notifications badge is cached per user)
    with django_assert_max_num_queries(12):
        assert fan.get("/c/lena/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_masked_mode_flags_faces_and_blurs_them_through_the_pipeline(make_user, run_jobs, settings, tmp_path):
    from fanclub.media import services as media_services
    from fanclub.media import storage

    settings.MEDIA_ROOT = tmp_path / "m"
    storage.get_storage.cache_clear()
    creator = make_creator(make_user, "masked", masked_mode=True)
    media = ready_media(creator, face_image(), "me.png")
    post = make_post(creator, access="public", media_ids=[media.pk])

    run_jobs(queues=["content"])
    post.refresh_from_db()
    assert post.face_warning is True

    new_media = services.post_media_blur_faces(user=creator, post_id=post.pk, media_id=media.pk)
    run_jobs(queues=["media"])
    new_media.refresh_from_db()
    post.refresh_from_db()

    assert new_media.state == "ready" and post.face_warning is False
    assert list(post.attachments.values_list("media_id", flat=True)) == [new_media.pk]
    assert MediaUsage.objects.get().media_id == new_media.pk
    assert media_services  # the blurred copy went through upload_create/write/complete + processing
    storage.get_storage.cache_clear()
