"""Messaging in two headless Chromium contexts: the fan writes, the creator sees the typing
indicator and the message live; the creator sends a paid photo from the vault, the fan sees it
blurred, unlocks it with a sandbox card and gets the full photo; the creator is told live and the
earnings page shows the sale. The fan then reports the message; when a moderator removes it, the
fan's open conversation shows it removed without a reload. No console errors anywhere."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from fanclub.content.tests.factories import make_creator, ready_media
from fanclub.media import storage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, settings, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.RATE_LIMIT_ENABLED = False
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEDIA_STORAGE = "local"
    storage.get_storage.cache_clear()
    yield
    storage.get_storage.cache_clear()


@pytest.fixture
def close_connections_in_playwright_context(chromium) -> Iterator[None]:
    yield
    from django.db import connections

    connections.close_all()


def _watch(page, errors: list[str]) -> None:
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


def _cookie(user, base: str) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


@pytest.fixture
def people(make_user, _setup):
    """Created before Chromium starts: Playwright's sync API runs an event loop in this thread, and
    on-commit socket pushes (async_to_sync) refuse to run inside one."""
    creator = make_creator(make_user, "chat.creator", display_name="Chat Creator")
    photo = ready_media(creator, filename="sunset.png")
    fan = make_user(handle="chat.fan")
    moderator = make_user(handle="chat.moderator", role="moderator")
    return creator, fan, photo, moderator


def test_fan_writes_creator_sees_it_live_sends_paid_photo_fan_unlocks(
    people, live_server, websocket_server, chromium, close_connections_in_playwright_context
):
    from playwright.sync_api import expect

    base = live_server.url
    creator, fan, photo, moderator = people
    errors: list[str] = []

    fan_context, creator_context = chromium.new_context(), chromium.new_context()
    fan_context.add_cookies([_cookie(fan, base)])
    creator_context.add_cookies([_cookie(creator, base)])
    fan_page, creator_page = fan_context.new_page(), creator_context.new_page()
    _watch(fan_page, errors)
    _watch(creator_page, errors)

    # --- The fan starts a conversation; the creator opens it -----------------------------------------
    fan_page.goto(f"{base}/messages/")
    fan_page.get_by_label("New message to").fill("@chat.creator")
    fan_page.get_by_role("button", name="Start").click()
    fan_page.wait_for_url(re.compile(r"/messages/\d+/$"))
    conversation_url = fan_page.url
    creator_page.goto(conversation_url)
    expect(fan_page.locator("#conversation[data-live='1']")).to_have_count(1)
    expect(creator_page.locator("#conversation[data-live='1']")).to_have_count(1)

    # --- Typing, then the message, live on the creator's side ----------------------------------------
    fan_page.locator("#message-text").press_sequentially("Hi! Loved your last set")
    expect(creator_page.locator("#typing-indicator")).to_be_visible()
    expect(creator_page.locator("#typing-indicator")).to_have_text(
        "Chat.Fan is typing…".replace("Chat.Fan", fan.handle)
    )
    fan_page.get_by_role("button", name="Send").click()
    expect(creator_page.locator("#message-list .message-text")).to_have_text(["Hi! Loved your last set"])
    expect(fan_page.locator("#message-list .message.is-mine")).to_have_count(1)
    expect(creator_page.locator("#typing-indicator")).to_be_hidden()
    # The creator's page read it: the fan sees the receipt.
    expect(fan_page.locator("#message-list .message.is-mine [data-read]")).to_have_text("Read")

    # --- The creator sends a paid photo from the vault -------------------------------------------------
    creator_page.get_by_text("Attach from your vault").click()
    creator_page.get_by_label(re.compile("sunset")).check()
    creator_page.get_by_label("Price (USD, empty = free)").fill("7.00")
    creator_page.locator("#message-text").fill("A photo just for you")
    creator_page.get_by_role("button", name="Send").click()
    expect(creator_page.locator("#message-list .message.is-mine .message-price")).to_have_text(
        "Paid message · USD 7.00"
    )

    locked = fan_page.locator("#message-list .message.is-locked")
    expect(locked).to_have_count(1)
    expect(locked.locator("img")).to_have_attribute("src", re.compile(r"/blurred/"))
    unlock = locked.get_by_role("link", name="Unlock · USD 7.00")
    expect(unlock).to_be_visible()

    # --- The fan unlocks it with a sandbox card ---------------------------------------------------------
    unlock.click()
    fan_page.wait_for_url(re.compile(r"/messages/unlock/\d+/$"))
    fan_page.get_by_label("Card number").fill("4242 4242 4242 4242")
    fan_page.get_by_role("button", name="Unlock · USD 7.00").click()
    fan_page.wait_for_url(re.compile(r"/messages/\d+/#m-\d+$"))
    expect(fan_page.locator("#message-list .message.is-locked")).to_have_count(0)
    unlocked_image = fan_page.locator(f"#m-{_last_message_id(creator)} img")
    expect(unlocked_image).to_have_attribute("src", re.compile(r"/display/"))
    # Decoded, not just requested (no string predicate: the page's CSP forbids eval, which
    # wait_for_function needs once it has to poll).
    expect(unlocked_image).to_have_js_property("complete", True)
    assert unlocked_image.evaluate("img => img.naturalWidth") > 0

    # --- The creator is told live, and the earnings page shows the sale ---------------------------------
    expect(creator_page.locator("#purchase-toast")).to_have_text("Unlocked by the fan: USD 7.00")
    creator_page.goto(f"{base}/billing/earnings/")
    sale = creator_page.locator("tr[data-kind=unlock]")
    expect(sale.locator(".gross")).to_have_text("USD 7.00")
    expect(creator_page.locator("dd.pending")).to_have_text("USD 5.60")

    # --- The fan reports it; a moderator removes it; the fan's page shows that live ---------------------
    from fanclub.messaging import services as messaging_services
    from fanclub.messaging.models import MessageReport

    reported = fan_page.locator(f"#m-{_last_message_id(creator)}")
    reported.locator("summary", has_text="Report").click()
    reported.get_by_label("Reason").fill("Not what I paid for")
    reported.get_by_role("button", name="Send report").click()
    expect(fan_page.get_by_text("Thanks, the report was sent to the moderators.")).to_be_visible()
    # The report reloaded the page: its socket must be open again (joined to the fan's group) before
    # the removal is pushed, or the event finds no socket to reach.
    expect(fan_page.locator("#conversation[data-live='1']")).to_have_count(1)
    report = MessageReport.objects.get(reporter=fan)
    # In a thread of its own, as a moderator's request would run: its after-commit pushes cannot run
    # inside the event loop Playwright keeps in this thread.
    resolver = threading.Thread(
        target=_resolve_and_close, args=(messaging_services.message_report_resolve, moderator, report.pk)
    )
    resolver.start()
    resolver.join(timeout=30)
    removed = fan_page.locator(f"#m-{_last_message_id(creator)}")
    expect(removed.locator(".message-removed")).to_have_text("This message was removed by a moderator.")
    expect(removed.locator("img")).to_have_count(0)

    fan_context.close()
    creator_context.close()
    assert photo.pk
    assert errors == []


def _resolve_and_close(resolve, moderator, report_id: int) -> None:
    from django.db import connections

    try:
        resolve(moderator=moderator, report_id=report_id, outcome="actioned", note="Spam")
    finally:
        connections.close_all()


def _last_message_id(creator) -> int:
    from fanclub.messaging.models import Message

    return Message.objects.filter(sender=creator).order_by("-id").values_list("id", flat=True).first() or 0
