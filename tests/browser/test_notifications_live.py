"""A signed-in fan's header badge counts up live when a followed creator posts (real worker, real
socket through uvicorn, Redis channel layer, headless Chromium)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from fanclub.accounts import services as account_services
from fanclub.content import services as content_services
from fanclub.creators import services as creator_services
from fanclub.social import services as social_services
from tests.browser.conftest import in_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _audience() -> tuple[object, object]:
    creator = _user("lena.live", "Lena Live")
    creator_services.creator_become(user=creator, display_name="Lena Live")
    creator.refresh_from_db()
    fan = _user("fan.live", "")
    social_services.follow_create(follower=fan, creator=creator)
    client = Client()
    client.force_login(fan)
    return creator, client.cookies[django_settings.SESSION_COOKIE_NAME]


def _post_and_run_jobs(*, creator, text: str, run_jobs) -> None:
    content_services.post_create(creator=creator, text=text, access="public", publish=True)
    run_jobs(queues=["notifications"])


def _user(handle: str, name: str):
    return account_services.user_create(
        email=f"{handle}@example.com", handle=handle, password="a-long-test-password", display_name=name
    )


def test_badge_counts_up_live_when_a_followed_creator_posts(
    live_server, redis_channel_layer, websocket_server, chromium, run_jobs
):
    from playwright.sync_api import expect

    creator, cookie = in_thread(_audience)
    context = chromium.new_context()
    context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/notifications/", wait_until="load")
    page.wait_for_selector(".live-dot.is-live", timeout=10_000)
    badge = page.locator("[data-unread-badge]")
    assert badge.is_hidden()
    assert page.locator(".notification-list").inner_text().strip() == "No notifications yet."

    in_thread(_post_and_run_jobs, creator=creator, text="Fresh set from the beach", run_jobs=run_jobs)

    page.wait_for_function(
        "document.querySelector('[data-unread-badge]').textContent === '1'", timeout=10_000
    )
    assert badge.is_visible()
    first = page.locator(".notification").first
    assert first.inner_text() == "Lena Live posted something new: “Fresh set from the beach”"

    in_thread(_post_and_run_jobs, creator=creator, text="And one more", run_jobs=run_jobs)

    page.wait_for_function(
        "document.querySelector('[data-unread-badge]').textContent === '2'", timeout=10_000
    )
    expect(page.locator(".notification")).to_have_count(2)
    page.reload(wait_until="load")  # the server-rendered badge agrees
    assert badge.inner_text() == "2"
    assert errors == []
    context.close()
