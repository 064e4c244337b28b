"""The swipe page in headless Chromium: cards load, keyboard and buttons swipe, no console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from fanclub.community import rankings
from fanclub.community.models import ImageVote, PostVote, Swipe
from fanclub.community.tests.factories import make_scene
from tests.browser.conftest import chromium, websocket_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _async_unsafe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    yield
    from django.db import connections

    connections.close_all()


@pytest.fixture
def scene(make_user, _async_unsafe):
    """Built before Playwright starts its loop in this thread (media processing uses async_to_sync)."""
    return make_scene(make_user)


def test_swipe_deck_with_keyboard_and_buttons(scene, live_server, chromium, websocket_server):  # noqa: F811
    client = Client()
    client.force_login(scene.fan)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    problems: list[str] = []
    context = chromium.new_context()
    session = {"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}
    context.add_cookies([session])
    context.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    context.on(
        "response",
        lambda response: response.status >= 400 and problems.append(f"HTTP {response.status} {response.url}"),
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/swipe/", wait_until="load")
    card = page.locator("#deck-card figure")
    card.wait_for()
    first = card.get_attribute("data-media-id")
    # Newest post first: the locked one, as its blurred preview with its price.
    assert page.locator("#deck-card img").get_attribute("alt") == "Locked preview by Artist"
    assert "Locked" in page.locator("#deck-card figcaption").inner_text()
    page.keyboard.press("ArrowRight")  # like (recorded; no vote without full access)
    page.locator(f'#deck-card figure:not([data-media-id="{first}"])').wait_for()  # the page's CSP: no eval
    second = card.get_attribute("data-media-id")
    assert "Liked" in page.locator("#deck-status").inner_text()
    page.get_by_role("button", name="Pass").click()
    page.locator(f'#deck-card figure:not([data-media-id="{second}"])').wait_for()
    assert page.locator("#deck-card img").get_attribute("alt") == "Image by Artist"
    page.keyboard.press("ArrowRight")
    page.locator("#deck-card .empty").wait_for()
    assert page.get_by_role("button", name="Like").is_disabled()
    assert Swipe.objects.filter(user=scene.fan).count() == 3
    assert list(ImageVote.objects.filter(user=scene.fan).values_list("value", flat=True)) == [1]
    # The liked image counts in the rankings; vote on the post there (JSON API from vote.js).
    rankings.rankings_refresh(now=timezone.now() + timedelta(seconds=1))
    page.goto(f"{live_server.url}/rankings/?window=day&sort=top", wait_until="load")
    votes = page.locator(f'[data-vote-post="{scene.public_post.pk}"]')
    votes.get_by_role("button", name="Vote up").click()
    page.locator(f'[data-vote-post="{scene.public_post.pk}"][data-vote-value="1"]').wait_for()
    assert votes.get_by_role("button", name="Vote up").get_attribute("aria-pressed") == "true"
    assert PostVote.objects.get(user=scene.fan, post=scene.public_post).value == 1
    votes.get_by_role("button", name="Vote up").click()  # pressed again: removed
    page.locator(f'[data-vote-post="{scene.public_post.pk}"][data-vote-value="0"]').wait_for()
    assert not PostVote.objects.filter(user=scene.fan).exists()
    assert page.locator(f'[data-vote-post="{scene.locked_post.pk}"]').count() == 0  # locked: no voting
    assert problems == []
    context.close()
