"""The creator journey in headless Chromium: upload an image and a short video with progress in the
vault, publish a subscribers-only post; an anonymous visitor and a signed-in fan without a membership
see only the blurred preview; the signed media URL expires."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fanclub.content.models import Post
from fanclub.creators import services as creator_services
from fanclub.media import storage
from fanclub.media.ffmpeg import ffmpeg_exe

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
    """The test body's ORM calls run while Playwright's loop runs in this thread, in a context of
    their own: close those connections before Playwright stops, or the test database cannot be
    dropped at the end of the run."""
    yield
    from django.db import connections

    connections.close_all()


def _jobs() -> None:
    """Run the due jobs with a real worker, in a thread of its own (this one hosts Playwright's loop)."""
    from fanclub.core.jobs import run_pending_jobs

    errors: list[BaseException] = []

    def work() -> None:
        try:
            run_pending_jobs(queues=["media", "content"])
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(180)
    assert not errors, errors


def _files(directory: Path) -> tuple[Path, Path]:
    image = Image.new("RGB", (640, 480), (230, 90, 120))
    ImageDraw.Draw(image).ellipse((200, 120, 440, 360), fill=(40, 40, 90))
    photo = directory / "sunset.jpg"
    image.save(photo, "JPEG", quality=90)
    video = directory / "clip.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=24:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-shortest",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(video),
        ],
        check=True,
        timeout=120,
    )
    return photo, video


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_load_state("networkidle")


def test_creator_publishes_subscribers_only_post_and_others_see_only_blurred_previews(
    live_server, make_user, settings, tmp_path, chromium, close_connections_in_playwright_context
):
    from playwright.sync_api import expect

    base = live_server.url
    creator = make_user(handle="journey.creator")
    creator_services.creator_become(user=creator, display_name="Journey Creator")
    creator_services.tier_create(user=creator, name="Inner circle", price_minor=900, currency="USD")
    fan = make_user(handle="journey.fan")
    for user in (creator, fan):
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    photo, video = _files(tmp_path)

    # --- The creator uploads an image and a video (progress bars), then processing runs ----------
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, base, creator.email)
    page.goto(f"{base}/studio/vault/")
    page.set_input_files("#file-input", [str(photo), str(video)])
    page.locator("#upload-list progress").first.wait_for()  # a progress bar per file
    expect(page.locator("#upload-list progress")).to_have_count(2)
    expect(page.locator("#upload-list .upload-item.is-done")).to_have_count(2, timeout=60_000)
    _jobs()
    page.goto(f"{base}/studio/vault/")
    assert page.locator(".media-card.state-ready").count() == 2

    # --- Composer: subscribers-only, publish now ------------------------------------------------
    page.goto(f"{base}/studio/posts/new/")
    page.get_by_label("Text").fill("Behind the scenes, subscribers only")
    for checkbox in page.locator("input[name=media]").all():
        checkbox.check()
    page.get_by_label("Who can see it").select_option("subscribers")
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url(f"{base}/studio/")
    post = Post.objects.get()
    assert (post.state, post.access, post.attachments.count()) == ("published", "subscribers", 2)
    page.goto(f"{base}/p/{post.pk}/")
    assert page.locator("img[src*='/display.']").count() == 1  # the owner sees the full post
    assert page.locator("video[data-hls-src]").count() == 1
    context.close()

    # --- An anonymous visitor and a signed-in fan see only the blurred preview ------------------
    # Short enough to wait out, long enough for a loaded machine to render the page and fetch it.
    settings.MEDIA_URL_TTL_SECONDS = 6
    for who in ("anonymous", "fan"):
        visitor = chromium.new_context()
        page = visitor.new_page()
        if who == "fan":
            _sign_in(page, base, fan.email)
        for path in (f"/c/{creator.handle}/", f"/p/{post.pk}/"):
            response = page.goto(f"{base}{path}")
            assert response.status == 200
            html = page.content()
            assert "Behind the scenes" not in html
            assert not re.search(r"/(display|original|thumb-\d+|poster|social)\.|/hls/", html), who
            # The first item's blurred rendition: a blurred image, or a blurred teaser for a video.
            preview = page.locator(".locked-preview[src]")
            assert preview.count() == 1
            assert re.search(r"/(blurred\.webp|teaser\.mp4)\?", preview.get_attribute("src"))
            assert page.get_by_role("link", name=re.compile(r"Subscribe|Sign in to subscribe")).count() >= 1
        page.reload()  # a freshly signed URL
        src = page.locator(".locked-preview[src]").get_attribute("src")
        assert page.request.get(f"{base}{src}").status == 200
        time.sleep(7)  # the URL was signed for 6 seconds
        expired = page.request.get(f"{base}{src}")
        assert expired.status == 403
        assert expired.json()["error"]["code"] == "url_expired"
        visitor.close()
