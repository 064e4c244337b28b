from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content.tests.factories import make_creator
from fanclub.social.models import Follow

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_are_idempotent(make_user):
    make_creator(make_user, "lena")
    fan = make_user(handle="fan")
    client = Client()
    client.force_login(fan)

    first = client.post("/api/v1/creators/lena/follow")
    second = client.post("/api/v1/creators/lena/follow")

    assert first.json() == second.json() == {"following": True, "followerCount": 1}
    assert Follow.objects.count() == 1
    assert client.delete("/api/v1/creators/lena/follow").json() == {"following": False, "followerCount": 0}
    assert client.delete("/api/v1/creators/lena/follow").status_code == 200


def test_anonymous_cannot_follow_and_creators_cannot_follow_themselves(make_user):
    creator = make_creator(make_user, "lena")

    assert Client().post("/api/v1/creators/lena/follow").status_code == 401
    own = Client()
    own.force_login(creator)
    assert own.post("/api/v1/creators/lena/follow").status_code == 409
    assert Follow.objects.count() == 0


def test_unknown_creator_is_404(make_user):
    client = Client()
    client.force_login(make_user(handle="fan"))

    assert client.post("/api/v1/creators/nobody/follow").status_code == 404
