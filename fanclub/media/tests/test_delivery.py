"""D3: signed, expiring, viewer-bound URLs; the access policy on every request; Range; HLS."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fanclub.media import delivery, permissions
from fanclub.media.constants import Variant
from fanclub.media.models import MediaItem
from fanclub.media.tests import corpus
from fanclub.media.tests.conftest import upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def image(owner_client: Client, run_jobs: Callable[..., None]) -> MediaItem:
    response = upload(owner_client, corpus.jpeg_with_gps((700, 400)), "a.jpg")
    run_jobs(queues=["media"])
    return MediaItem.objects.get(pk=response.json()["id"])


@pytest.fixture
def fan(make_user: Callable[..., Any]) -> Any:
    return make_user(handle="fan")


@pytest.fixture
def fan_client(fan: Any) -> Client:
    client = Client()
    client.force_login(fan)
    return client


@pytest.fixture
def grant_fan(fan: Any) -> Iterator[dict[str, bool]]:
    state = {"entitled": True}

    def provider(user: Any, media: MediaItem, variant: str, *, country: str = "") -> bool:
        return state["entitled"] and getattr(user, "pk", None) == fan.pk

    permissions.register_entitlement_provider(provider)
    yield state
    permissions.unregister_entitlement_provider(provider)


def _url(media: MediaItem, variant: str, viewer: str, *, expires_in: int = 300) -> str:
    file = delivery.entry_file(media, variant)
    assert file
    return delivery.signed_path(
        media_id=media.pk, variant=variant, file=file, viewer=viewer, expires=int(time.time()) + expires_in
    )


def test_owner_gets_signed_urls_from_the_api_and_the_file_streams(
    owner_client: Client, image: MediaItem, settings: Any
) -> None:
    body = owner_client.get(f"/api/v1/media/{image.pk}").json()
    assert body["state"] == "ready" and body["progress"] == 100
    variants = {variant["name"]: variant for variant in body["variants"]}
    assert set(variants) == set(image.variants)
    response = owner_client.get(variants[Variant.DISPLAY]["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{image.pk}-display.webp"'
    max_age = int(re.fullmatch(r"private, max-age=(\d+)", response["Cache-Control"]).group(1))  # type: ignore[union-attr]
    assert 0 < max_age <= settings.MEDIA_URL_TTL_SECONDS == 300
    assert b"".join(response.streaming_content)[:4] == b"RIFF"  # type: ignore[attr-defined]
    assert variants[Variant.DISPLAY]["expiresAt"] - time.time() <= 300


def test_range_requests(owner_client: Client, owner: Any, image: MediaItem) -> None:
    url = _url(image, Variant.ORIGINAL, f"u{owner.pk}")
    full = b"".join(owner_client.get(url).streaming_content)  # type: ignore[attr-defined]
    partial = owner_client.get(url, headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 0-9/{len(full)}"
    assert partial["Content-Length"] == "10"
    assert b"".join(partial.streaming_content) == full[:10]  # type: ignore[attr-defined]
    suffix = owner_client.get(url, headers={"Range": "bytes=-5"})
    assert b"".join(suffix.streaming_content) == full[-5:]  # type: ignore[attr-defined]
    assert owner_client.get(url, headers={"Range": f"bytes={len(full)}-"}).status_code == 416
    assert owner_client.get(url, headers={"Range": "items=0-1"}).status_code == 416
    head = owner_client.head(url)
    assert head.status_code == 200 and head["Content-Length"] == str(len(full))


def test_url_is_bound_to_its_viewer(
    owner_client: Client, owner: Any, fan_client: Client, image: MediaItem, grant_fan: dict[str, bool]
) -> None:
    url = _url(image, Variant.DISPLAY, f"u{owner.pk}")
    response = fan_client.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "url_invalid"
    assert Client().get(url).status_code == 403  # anonymous


@pytest.mark.parametrize("tamper", ["signature", "variant", "expiry", "media"])
def test_tampered_urls_are_refused(owner_client: Client, owner: Any, image: MediaItem, tamper: str) -> None:
    url = _url(image, Variant.DISPLAY, f"u{owner.pk}")
    path, query = url.split("?")
    if tamper == "signature":
        url = url[:-1] + ("0" if url[-1] != "0" else "1")
    elif tamper == "variant":
        url = path.replace("/display/display.webp", "/original/display.webp") + "?" + query
    elif tamper == "expiry":
        url = re.sub(r"e=(\d+)", lambda m: f"e={int(m.group(1)) + 3600}", url)
    else:
        url = url.replace(str(image.pk), "00000000-0000-4000-8000-000000000000")
    response = owner_client.get(url)
    assert response.status_code == 403
    assert response["Cache-Control"] == "private, no-store"


def test_expired_url_is_refused(owner_client: Client, owner: Any, image: MediaItem) -> None:
    response = owner_client.get(_url(image, Variant.DISPLAY, f"u{owner.pk}", expires_in=-1))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "url_expired"


def test_others_see_public_safe_variants_only_unless_entitled(
    fan_client: Client, fan: Any, image: MediaItem, grant_fan: dict[str, bool]
) -> None:
    viewer = f"u{fan.pk}"
    grant_fan["entitled"] = False
    assert fan_client.get(_url(image, Variant.BLURRED, viewer)).status_code == 200
    locked = fan_client.get(_url(image, Variant.DISPLAY, viewer))
    assert locked.status_code == 403
    assert locked.json()["error"]["code"] == "media_locked"
    grant_fan["entitled"] = True
    url = _url(image, Variant.DISPLAY, viewer)
    assert fan_client.get(url).status_code == 200
    grant_fan["entitled"] = False  # subscription ended: the same, unexpired URL now fails
    assert fan_client.get(url).status_code == 403


def test_anonymous_viewers_share_one_key_and_get_public_safe_variants_only(
    image: MediaItem, owner: Any
) -> None:
    visitor = Client()
    url = _url(image, Variant.BLURRED, "anon")
    assert visitor.get(url).status_code == 200
    assert "sessionid" not in visitor.cookies  # delivering to anonymous visitors writes no session
    # A URL signed for an account does not verify for an anonymous visitor, and vice versa.
    assert visitor.get(_url(image, Variant.BLURRED, f"u{owner.pk}")).status_code == 403
    assert visitor.get(_url(image, Variant.ORIGINAL, "anon")).status_code == 403


def test_deleted_media_is_not_delivered_and_files_are_purged(
    owner_client: Client, owner: Any, image: MediaItem, run_jobs: Callable[..., None], media_root: Path
) -> None:
    url = _url(image, Variant.DISPLAY, f"u{owner.pk}")
    assert owner_client.delete(f"/api/v1/media/{image.pk}").status_code == 204
    assert owner_client.get(url).status_code == 404
    assert owner_client.get(f"/api/v1/media/{image.pk}").status_code == 404
    run_jobs(queues=["media"])
    assert [path for path in media_root.rglob("*") if path.is_file()] == []
    image.refresh_from_db()
    assert image.deleted_at is not None and image.purged_at is not None


def test_hls_playlists_are_per_viewer_with_signed_segments(
    owner_client: Client,
    owner: Any,
    fan_client: Client,
    fan: Any,
    run_jobs: Callable[..., None],
    tmp_path: Path,
    grant_fan: dict[str, bool],
) -> None:
    response = upload(owner_client, corpus.video_mp4(tmp_path, size="320x240", seconds=1.0), "v.mp4")
    run_jobs(queues=["media"])
    video = MediaItem.objects.get(pk=response.json()["id"])
    master = fan_client.get(_url(video, Variant.HLS, f"u{fan.pk}"))
    assert master.status_code == 200
    assert master["Content-Type"] == "application/vnd.apple.mpegurl"
    assert master["Cache-Control"] == "private, no-store"
    child_urls = [line for line in master.content.decode().splitlines() if line and not line.startswith("#")]
    assert child_urls and all(
        url.startswith(f"/media/d/{video.pk}/hls/v240/index.m3u8?e=") for url in child_urls
    )
    child = fan_client.get(child_urls[0])
    segments = [line for line in child.content.decode().splitlines() if line and not line.startswith("#")]
    assert segments and all("/hls/v240/seg_" in url and "&s=" in url for url in segments)
    segment = fan_client.get(segments[0])
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert owner_client.get(segments[0]).status_code == 403  # bound to the fan
    grant_fan["entitled"] = False
    assert fan_client.get(segments[0]).status_code == 403
    assert fan_client.get(_url(video, Variant.TEASER, f"u{fan.pk}")).status_code == 200  # public-safe
    ranged = fan_client.get(_url(video, Variant.TEASER, f"u{fan.pk}"), headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206


@pytest.mark.parametrize(
    ("variant", "file"),
    [
        ("display", "display.webp"),
        ("hls", "master.m3u8"),
        ("hls", "720p/seg_00001.ts"),
        ("thumb-2x", "thumb_2x.jpg"),
        ("display", "name with space.webp"),  # percent-encoded: through reverse() itself
        ("display", "café.webp"),
        ("display", "a/../b.webp"),
    ],
)
@pytest.mark.parametrize("script_prefix", ["/", "/fanclub/"])
def test_delivery_paths_are_spelled_as_reverse_spells_them(
    variant: str, file: str, script_prefix: str
) -> None:
    import uuid

    from django.urls import reverse, set_script_prefix

    media_id = uuid.uuid4()
    set_script_prefix(script_prefix)
    try:
        expected = reverse("media:deliver", kwargs={"media_id": media_id, "variant": variant, "file": file})
        assert delivery.deliver_path(media_id=media_id, variant=variant, file=file) == expected
        assert expected.startswith(script_prefix)
    finally:
        set_script_prefix("/")
