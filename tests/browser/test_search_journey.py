"""Header search in headless Chromium: a signed-in fan types a typo ("lenna") into the site
header's search box, htmx fills the listbox with suggestions after the debounce, the arrow keys
move through them, Enter opens @lena's profile; the tag suggestion leads to the tag page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fanclub.content.tests.factories import make_creator, make_post
from fanclub.media import storage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, settings, tmp_path: Path) -> Iterator[None]:
    # Playwright's sync API runs an event loop in this thread; our ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_STORAGE = "local"
    settings.RATE_LIMIT_ENABLED = False
    storage.get_storage.cache_clear()
    yield
    storage.get_storage.cache_clear()


@pytest.fixture
def close_connections_in_playwright_context(chromium) -> Iterator[None]:
    yield
    from django.db import connections

    connections.close_all()


def test_typing_in_the_header_search_shows_suggestions_and_opens_the_profile(
    live_server, make_user, chromium, close_connections_in_playwright_context
):
    from allauth.account.models import EmailAddress
    from playwright.sync_api import expect

    base = live_server.url
    make_creator(make_user, "lena", display_name="Lena Rossi", bio="Analog photography")
    marco = make_creator(make_user, "marco", display_name="Marco")
    make_post(marco, text="rolls of film", tags=["lenses"], access="public")
    fan = make_user(handle="browser.fan", password=PASSWORD)
    EmailAddress.objects.update_or_create(
        user=fan, email=fan.email, defaults={"verified": True, "primary": True}
    )

    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(fan.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_load_state("networkidle")

    box = page.get_by_role("combobox", name="Search")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_hidden()
    box.press_sequentially("lenna", delay=40)
    option = listbox.get_by_role("option").first
    expect(option).to_contain_text("Lena Rossi")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-option-1")
    box.press("Enter")
    page.wait_for_url(f"{base}/c/lena/")
    expect(page.get_by_role("heading", name="Lena Rossi")).to_be_visible()

    # A tag suggestion leads to the tag page; the post card's tag links back to it.
    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("lens", delay=40)
    tag = page.get_by_role("listbox", name="Suggestions").get_by_role("option", name="#lenses")
    expect(tag).to_be_visible()
    tag.get_by_role("link").click()
    page.wait_for_url(f"{base}/tags/lenses/")
    expect(page.get_by_role("heading", name="#lenses")).to_be_visible()
    expect(page.locator(".post-card a.tag[href='/tags/lenses/']")).to_have_count(1)
    context.close()
