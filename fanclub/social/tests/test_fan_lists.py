"""Creators' fan lists: services, the selector messaging uses, the API and the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content.tests.factories import make_creator
from fanclub.core.errors import ApiError, NotFound
from fanclub.creators import services as creator_services
from fanclub.social import selectors, services
from fanclub.social.models import FanList, FanListMember

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(make_user):
    lena = make_creator(make_user, "lena")
    mark = make_creator(make_user, "mark")
    follower = make_user(handle="follower")
    subscriber = make_user(handle="subscriber")
    stranger = make_user(handle="stranger")
    services.follow_create(follower=follower, creator=lena)
    tier = creator_services.tier_create(user=lena, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=lena, fan=subscriber, tier_id=tier.pk)
    return {"lena": lena, "mark": mark, "follower": follower, "subscriber": subscriber, "stranger": stranger}


def test_only_followers_and_subscribers_can_be_added_and_notes_update(world):
    lena = world["lena"]
    fan_list = services.fan_list_create(creator=lena, name="  Big   tippers ")
    assert fan_list.name == "Big tippers"
    services.fan_list_member_add(
        creator=lena, list_id=fan_list.pk, fan_handle="@follower", note="tips weekly"
    )
    services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="subscriber")
    with pytest.raises(NotFound):
        services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="stranger")
    with pytest.raises(NotFound):
        services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="lena")
    again = services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="follower", note="new")
    assert again.note == "new"
    assert FanListMember.objects.count() == 2
    services.fan_list_member_update(creator=lena, list_id=fan_list.pk, fan_handle="FOLLOWER", note="edited")
    assert FanListMember.objects.get(fan=world["follower"]).note == "edited"
    services.fan_list_member_remove(creator=lena, list_id=fan_list.pk, fan_handle="subscriber")
    assert selectors.fan_list_member_ids(creator_id=lena.pk, list_id=fan_list.pk) == [world["follower"].pk]


def test_names_are_unique_per_creator_ignoring_case(world):
    services.fan_list_create(creator=world["lena"], name="VIP")
    with pytest.raises(ApiError) as raised:
        services.fan_list_create(creator=world["lena"], name="vip")
    assert (raised.value.status, raised.value.code) == (409, "list_name_taken")
    services.fan_list_create(creator=world["mark"], name="vip")  # another creator may
    with pytest.raises(ApiError) as raised:
        services.fan_list_create(creator=world["lena"], name="   ")
    assert raised.value.status == 422


def test_member_ids_refuse_another_creators_list_and_skip_blocked_fans(world):
    lena, mark = world["lena"], world["mark"]
    fan_list = services.fan_list_create(creator=lena, name="VIP")
    services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="follower")
    services.fan_list_member_add(creator=lena, list_id=fan_list.pk, fan_handle="subscriber")
    with pytest.raises(NotFound):
        selectors.fan_list_member_ids(creator_id=mark.pk, list_id=fan_list.pk)
    with pytest.raises(NotFound):
        selectors.fan_list_member_ids(creator_id=lena.pk, list_id=999999)
    services.block_create(blocker=world["subscriber"], blocked=lena)
    assert selectors.fan_list_member_ids(creator_id=lena.pk, list_id=fan_list.pk) == [world["follower"].pk]


def test_fan_list_api_crud(world, django_assert_max_num_queries):
    client = _client(world["lena"])
    created = client.post("/api/v1/me/fan-lists", {"name": "VIP"}, content_type="application/json")
    assert created.status_code == 201
    list_id = created.json()["id"]
    assert created.json()["memberCount"] == 0
    duplicate = client.post("/api/v1/me/fan-lists", {"name": "vip"}, content_type="application/json")
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "list_name_taken")

    added = client.post(
        f"/api/v1/me/fan-lists/{list_id}/members",
        {"fanHandle": "follower", "note": "first fan"},
        content_type="application/json",
    )
    assert (added.status_code, added.json()["handle"], added.json()["note"]) == (200, "follower", "first fan")
    refused = client.post(
        f"/api/v1/me/fan-lists/{list_id}/members", {"fanHandle": "stranger"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_a_fan")
    client.post(
        f"/api/v1/me/fan-lists/{list_id}/members",
        {"fanHandle": "subscriber"},
        content_type="application/json",
    )

    client.get(f"/api/v1/me/fan-lists/{list_id}/members")
    with django_assert_max_num_queries(9):  # auth (4) + creator check (1) + list + members
        members = client.get(f"/api/v1/me/fan-lists/{list_id}/members").json()
    assert [m["handle"] for m in members["items"]] == ["subscriber", "follower"]
    patched = client.patch(
        f"/api/v1/me/fan-lists/{list_id}/members/follower",
        {"note": "changed"},
        content_type="application/json",
    )
    assert patched.json()["note"] == "changed"
    assert client.delete(f"/api/v1/me/fan-lists/{list_id}/members/subscriber").status_code == 204
    assert client.delete(f"/api/v1/me/fan-lists/{list_id}/members/subscriber").status_code == 404
    renamed = client.patch(
        f"/api/v1/me/fan-lists/{list_id}", {"name": "Inner circle"}, content_type="application/json"
    )
    assert (renamed.json()["name"], renamed.json()["memberCount"]) == ("Inner circle", 1)
    assert [item["name"] for item in client.get("/api/v1/me/fan-lists").json()["items"]] == ["Inner circle"]

    # Another creator cannot see or touch it; a fan has no lists at all.
    other = _client(world["mark"])
    assert other.get(f"/api/v1/me/fan-lists/{list_id}").status_code == 404
    assert other.delete(f"/api/v1/me/fan-lists/{list_id}").status_code == 404
    assert _client(world["follower"]).get("/api/v1/me/fan-lists").status_code == 403
    assert client.delete(f"/api/v1/me/fan-lists/{list_id}").status_code == 204
    assert not FanList.objects.exists() and not FanListMember.objects.exists()


def test_fan_list_pages(world):
    client = _client(world["lena"])
    page = client.get("/studio/fans/").content.decode()
    assert "@follower" in page and "/u/follower/block/" in page and "/u/follower/mute/" in page
    response = client.post("/studio/fans/", {"name": "VIP"})
    fan_list = FanList.objects.get()
    assert response["Location"] == f"/studio/fans/lists/{fan_list.pk}/"
    response = client.post(
        f"/studio/fans/lists/{fan_list.pk}/members/",
        {"handle": "subscriber", "note": "loyal"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "@subscriber" in response.content.decode()
    response = client.post(
        f"/studio/fans/lists/{fan_list.pk}/members/", {"handle": "stranger"}, headers={"HX-Request": "true"}
    )
    assert "No follower or subscriber" in response.content.decode()
    client.post(f"/studio/fans/lists/{fan_list.pk}/members/subscriber/", {"action": "save", "note": "edited"})
    assert FanListMember.objects.get().note == "edited"
    client.post(f"/studio/fans/lists/{fan_list.pk}/members/subscriber/", {"action": "remove"})
    assert not FanListMember.objects.exists()
    assert _client(world["mark"]).get(f"/studio/fans/lists/{fan_list.pk}/").status_code == 404
    assert _client(world["follower"]).get("/studio/fans/").status_code == 404
    client.post(f"/studio/fans/lists/{fan_list.pk}/delete/")
    assert not FanList.objects.exists()
