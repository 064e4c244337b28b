"""`fanclub demo` fills every page a newcomer opens: feed, explore/rankings, messages, notifications."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from fanclub import demo
from fanclub.community.models import PostVote, RankingSnapshot
from fanclub.messaging.models import Message
from fanclub.notifications.models import Notification
from fanclub.social.models import Follow

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_load_fills_the_social_pages_once(settings, tmp_path: Path):
    settings.MEDIA_ROOT = tmp_path
    settings.RATE_LIMIT_ENABLED = False
    demo.demo_load()
    demo.demo_load()  # idempotent

    assert Follow.objects.count() == 6
    assert PostVote.objects.count() == 6  # one public post per followed creator, per fan
    assert Message.objects.count() == 2
    assert Notification.objects.filter(recipient__handle="aurora.lens", kind="new_follower").count() == 2
    assert RankingSnapshot.objects.exists()

    client = Client()
    assert client.login(email="fan.alex@demo.fanclub.localhost", password=demo.DEMO_PASSWORD)
    feed = client.get("/feed/")
    assert feed.status_code == 200
    assert "Welcome to my page!" in feed.content.decode()
    inbox = client.get("/messages/")
    assert "Thank you! More coming Friday." in inbox.content.decode()
