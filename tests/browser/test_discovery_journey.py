"""Issue 6's journey in headless Chromium, across feeds, community, search and notifications:

a fan follows two creators from their profiles, sees both creators' posts newest-first in the home
feed, swipes through the image deck, votes on a post in the rankings, searches with a typo
("lenna") and finds @lena, and the header's notification badge counts up live when one of the
followed creators posts (real job worker code, uvicorn socket, Redis channel layer).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from fanclub.community import rankings
from fanclub.community.models import PostVote, Swipe
from fanclub.content import services as content_services
from fanclub.content.constants import Access, Category
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media
from fanclub.media import storage
from fanclub.notifications.models import Notification
from fanclub.social.models import Follow
from tests.browser.conftest import in_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, settings, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_STORAGE = "local"
    settings.RATE_LIMIT_ENABLED = False
    storage.get_storage.cache_clear()
    yield
    storage.get_storage.cache_clear()
    connections.close_all()


@pytest.fixture
def scene(make_user, _setup):
    """Two creators with image posts, built before Playwright starts (media processing runs here)."""
    lena = make_creator(make_user, "lena", display_name="Lena Rossi", bio="Analog photography")
    marco = make_creator(make_user, "marco", display_name="Marco Film")
    lena_image = ready_media(lena, png_bytes((200, 80, 60)))
    marco_image = ready_media(marco, png_bytes((40, 90, 200)))
    older = make_post(
        lena,
        text="Lena's darkroom day",
        media_ids=[lena_image.pk],
        access=Access.PUBLIC,
        category=Category.PHOTO,
    )
    newer = make_post(
        marco,
        text="Marco's first roll",
        media_ids=[marco_image.pk],
        access=Access.PUBLIC,
        category=Category.PHOTO,
    )
    fan = make_user(handle="journey.fan")
    return {"lena": lena, "marco": marco, "older": older, "newer": newer, "fan": fan}


def test_follow_feed_swipe_vote_search_and_live_notification(
    scene, live_server, redis_channel_layer, websocket_server, chromium, run_jobs
):
    from playwright.sync_api import expect

    base = live_server.url
    fan, marco = scene["fan"], scene["marco"]
    client = Client()
    client.force_login(fan)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context = chromium.new_context()
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base, "httpOnly": True}])
    problems: list[str] = []
    context.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    page = context.new_page()

    # 1. Follow both creators from their profiles (htmx swaps the button).
    for handle in ("lena", "marco"):
        page.goto(f"{base}/c/{handle}/", wait_until="load")
        page.get_by_role("button", name="Follow for free").click()
        expect(page.get_by_role("button", name="Following")).to_be_visible()
    assert in_thread(
        lambda: sorted(Follow.objects.filter(follower=fan).values_list("creator__handle", flat=True))
    ) == [
        "lena",
        "marco",
    ]

    # 2. The home feed shows both creators' posts, newest first.
    page.goto(f"{base}/feed/", wait_until="load")
    feed = page.locator("main")
    expect(feed).to_contain_text("Marco's first roll")
    expect(feed).to_contain_text("Lena's darkroom day")
    text = feed.inner_text()
    assert text.index("Marco's first roll") < text.index("Lena's darkroom day")

    # 3. Swipe through the deck: like one image, pass the other, until it is empty.
    page.goto(f"{base}/swipe/", wait_until="load")
    card = page.locator("#deck-card figure")
    card.wait_for()
    first = card.get_attribute("data-media-id")
    page.keyboard.press("ArrowRight")
    page.locator(f'#deck-card figure:not([data-media-id="{first}"])').wait_for()
    page.get_by_role("button", name="Pass").click()
    page.locator("#deck-card .empty").wait_for()
    assert in_thread(lambda: Swipe.objects.filter(user=fan).count()) == 2

    # 4. The liked image ranks its post in today's rankings (the periodic job, run now): vote on it.
    in_thread(lambda: rankings.rankings_refresh(now=timezone.now() + timedelta(seconds=1)))
    page.goto(f"{base}/rankings/?window=day&sort=top", wait_until="load")
    ranked = page.locator("[data-vote-post]").first
    post_id = int(ranked.get_attribute("data-vote-post"))
    ranked.get_by_role("button", name="Vote up").click()
    page.locator(f'[data-vote-post="{post_id}"][data-vote-value="1"]').wait_for()
    assert in_thread(lambda: PostVote.objects.get(user=fan, post_id=post_id).value) == 1

    # 5. Search with a typo in the header and open the creator.
    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("lenna", delay=40)
    option = page.get_by_role("listbox", name="Suggestions").get_by_role("option").first
    expect(option).to_contain_text("Lena Rossi")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(f"{base}/c/lena/")

    # 6. A followed creator posts: the header badge counts up live, without a reload.
    page.wait_for_selector(".live-dot.is-live", timeout=10_000)
    badge = page.locator("[data-unread-badge]")
    before = in_thread(lambda: Notification.objects.filter(recipient=fan, read_at__isnull=True).count())

    def publish() -> None:
        content_services.post_create(creator=marco, text="Contact sheet is up", access="public", publish=True)
        run_jobs(queues=["notifications"])

    in_thread(publish)
    expect(badge).to_have_text(str(before + 1), timeout=10_000)  # pushed over the socket
    page.goto(f"{base}/notifications/", wait_until="load")
    expect(page.locator(".notification").first).to_contain_text("Contact sheet is up")
    assert problems == []
    context.close()
