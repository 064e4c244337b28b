"""Removal of a post by a moderator (``services.post_remove_by_moderator``): who may, that the post
is then invisible everywhere the access policy answers (feed, search, profile, detail, the owner's
own lists, media delivery), the creator's notice, and idempotence."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from fanclub.accounts.constants import Role
from fanclub.content import policy, services
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post, ready_media
from fanclub.core.errors import ApiError
from fanclub.media.permissions import can_view_variant
from fanclub.notifications import constants as k
from fanclub.notifications.models import Notification
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATE_LIMIT_ENABLED = False
    cache.clear()
    creator = make_creator(make_user, "lena")
    photo = ready_media(creator)
    post = make_post(creator, text="quokka sunrise", tags=["quokka"], access="public", media_ids=[photo.pk])
    fan = make_user(handle="fan")
    social_services.follow_create(follower=fan, creator=creator)
    return {
        "creator": creator,
        "fan": fan,
        "post": post,
        "photo": photo,
        "moderator": make_user(Role.MODERATOR, handle="mod"),
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _seen(world, user) -> dict[str, bool]:
    """Where ``user`` finds the post: feed, search, tag list, profile list, detail, profile page."""
    client, post_id = _client(user), world["post"].pk
    found = {
        "search": post_id in [p["id"] for p in client.get("/api/v1/search", {"q": "quokka"}).json()["posts"]],
        "tag": post_id in [p["id"] for p in client.get("/api/v1/tags/quokka/posts").json()["items"]],
        "profile": post_id in [p["id"] for p in client.get("/api/v1/creators/lena/posts").json()["items"]],
        "detail": client.get(f"/api/v1/posts/{post_id}").status_code == 200,
        "page": "quokka sunrise" in client.get("/c/lena/").content.decode(),
        "policy": policy.post_qs_visible_to(user=user).filter(pk=post_id).exists(),
    }
    if user is None or user.pk != world["creator"].pk:  # the owner always sees their own vault
        found["media"] = can_view_variant(user, world["photo"], "display")
    if user is not None and user.pk == world["fan"].pk:
        found["feed"] = post_id in [p["id"] for p in client.get("/api/v1/feed").json()["items"]]
    return found


def test_a_removed_post_is_gone_everywhere_and_its_creator_is_told_why(world):
    fan, creator, moderator, post = world["fan"], world["creator"], world["moderator"], world["post"]
    for user in (None, fan, creator):
        assert set(_seen(world, user).values()) == {True}, user

    removed = services.post_remove_by_moderator(moderator=moderator, post_id=post.pk, reason="Stolen photo")

    row = Post.objects.get(pk=post.pk)
    assert row.deleted_at == removed.deleted_at is not None
    assert (row.removed_by_id, row.removal_reason, row.is_pinned) == (moderator.pk, "Stolen photo", False)
    for user in (None, fan, creator):  # the owner included
        seen = _seen(world, user)
        assert set(seen.values()) == {False}, (user, seen)
    (notice,) = Notification.objects.filter(kind=k.MODERATION_RESULT)
    assert (notice.recipient_id, notice.actor_id) == (creator.pk, None)
    assert notice.data == {
        "event": "post_removed",
        "subject": f"post_removed:{post.pk}",
        "post_id": post.pk,
        "excerpt": "quokka sunrise",
        "reason": "Stolen photo",
    }


def test_removing_again_changes_nothing_and_notifies_once(world):
    moderator, post = world["moderator"], world["post"]
    first = services.post_remove_by_moderator(moderator=moderator, post_id=post.pk, reason="Stolen photo")
    again = services.post_remove_by_moderator(moderator=moderator, post_id=post.pk, reason="Other reason")

    assert again.deleted_at == first.deleted_at
    assert Post.objects.get(pk=post.pk).removal_reason == "Stolen photo"
    assert Notification.objects.filter(kind=k.MODERATION_RESULT).count() == 1


def test_a_post_its_owner_deleted_is_left_alone(world):
    services.post_delete(user=world["creator"], post_id=world["post"].pk)
    services.post_remove_by_moderator(moderator=world["moderator"], post_id=world["post"].pk, reason="x")

    row = Post.objects.get(pk=world["post"].pk)
    assert (row.removed_by_id, row.removal_reason) == (None, "")
    assert not Notification.objects.filter(kind=k.MODERATION_RESULT).exists()


@pytest.mark.parametrize("who", ["fan", "creator"])
def test_only_moderators_remove_and_a_refusal_changes_nothing(world, who):
    with pytest.raises(ApiError) as error:
        services.post_remove_by_moderator(moderator=world[who], post_id=world["post"].pk, reason="x")

    assert (error.value.status, error.value.code) == (403, "not_moderator")
    assert Post.objects.get(pk=world["post"].pk).deleted_at is None
    assert not Notification.objects.filter(kind=k.MODERATION_RESULT).exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_reason_is_required(world, reason):
    with pytest.raises(ApiError) as error:
        services.post_remove_by_moderator(
            moderator=world["moderator"], post_id=world["post"].pk, reason=reason
        )
    assert (error.value.status, error.value.details[0]["loc"]) == (422, ["reason"])
    assert Post.objects.get(pk=world["post"].pk).deleted_at is None


def test_no_such_post_is_404(world):
    with pytest.raises(ApiError) as error:
        services.post_remove_by_moderator(moderator=world["moderator"], post_id=999999, reason="x")
    assert error.value.status == 404


def test_admins_may_remove_too(world, make_user):
    admin = make_user(Role.ADMIN, handle="boss")
    services.post_remove_by_moderator(moderator=admin, post_id=world["post"].pk, reason="Spam")
    assert Post.objects.get(pk=world["post"].pk).removed_by_id == admin.pk
