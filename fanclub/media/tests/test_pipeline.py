"""Processing jobs with a real worker, real ffmpeg, real storage: variants, stripping, idempotence."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from fanclub.media import services, storage
from fanclub.media.constants import MediaState, Variant
from fanclub.media.models import MediaItem, Upload
from fanclub.media.tests import corpus
from fanclub.media.tests.conftest import stored_files, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _ready(client: Client, data: bytes, filename: str, run_jobs: Callable[..., None]) -> MediaItem:
    response = upload(client, data, filename)
    assert response.status_code == 201, response.content
    run_jobs(queues=["media"])
    return MediaItem.objects.get(pk=response.json()["id"])


def test_image_pipeline_makes_every_variant_and_strips_metadata(
    owner_client: Client, owner: Any, media_root: Path, run_jobs: Callable[..., None], settings: Any
) -> None:
    source = corpus.jpeg_with_gps((1600, 900))
    assert b"SecretCam" in source
    media = _ready(owner_client, source, "holiday.jpg", run_jobs)
    assert media.state == MediaState.READY
    assert media.progress == 100
    assert (media.width, media.height) == (1600, 900)
    assert set(media.variants) == {
        Variant.ORIGINAL,
        Variant.THUMB_320,
        Variant.THUMB_640,
        Variant.THUMB_1280,
        Variant.BLURRED,
        Variant.DISPLAY,
        Variant.SOCIAL,
    }
    prefix = f"{settings.MEDIA_STORAGE_ENV}/{owner.pk}/{media.pk}"
    assert stored_files(media_root) == sorted(
        f"{prefix}/{entry['file']}" for entry in media.variants.values()
    )
    for name, entry in media.variants.items():
        data = (media_root / prefix / entry["file"]).read_bytes()
        assert b"SecretCam" not in data and b"Exif" not in data, name
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif(), name
            assert "icc_profile" not in image.info and "xmp" not in image.info, name
            assert (image.width, image.height) == (entry["width"], entry["height"]), name
    assert media.variants[Variant.SOCIAL]["width"] == 1200 and media.variants[Variant.SOCIAL]["height"] == 630
    assert media.variants[Variant.THUMB_320]["width"] == 320
    assert media.variants[Variant.THUMB_1280]["width"] == 1280
    assert media.variants[Variant.BLURRED]["contentType"] == "image/webp"
    assert media.phash is not None
    assert media.source_key == ""
    assert Upload.objects.count() == 0  # the upload session is gone with its bytes


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "HEIF"])
def test_other_image_formats_are_processed(
    fmt: str, owner_client: Client, run_jobs: Callable[..., None]
) -> None:
    media = _ready(owner_client, corpus.image_bytes(fmt), f"x.{fmt.lower()}", run_jobs)
    assert media.state == MediaState.READY, media.failure_reason
    assert Variant.THUMB_320 in media.variants
    # Never upscaled: a 40 px image gives 40 px thumbnails.
    assert media.variants[Variant.THUMB_1280]["width"] == 40


def test_reupload_by_another_account_is_flagged_as_duplicate(
    owner_client: Client, make_user: Callable[..., Any], run_jobs: Callable[..., None]
) -> None:
    first = _ready(owner_client, corpus.jpeg_with_gps((300, 200)), "a.jpg", run_jobs)
    other = Client()
    other.force_login(make_user(handle="copycat"))
    image = Image.open(io.BytesIO(corpus.jpeg_with_gps((300, 200)))).resize((280, 186))
    out = io.BytesIO()
    image.save(out, "PNG")
    second = _ready(other, out.getvalue(), "b.png", run_jobs)
    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == first.pk
    same_owner_again = _ready(owner_client, corpus.jpeg_with_gps((300, 200)), "c.jpg", run_jobs)
    assert same_owner_again.duplicate_of_id is None  # one's own re-upload is not flagged


def test_video_pipeline_hls_ladder_never_upscales_and_strips_metadata(
    owner_client: Client,
    owner: Any,
    media_root: Path,
    run_jobs: Callable[..., None],
    tmp_path: Path,
    settings: Any,
) -> None:
    source = corpus.video_mp4(tmp_path, size="480x360", seconds=1.5)
    assert b"SecretCamMeta" in source and b"48.8584" in source
    media = _ready(owner_client, source, "clip.mp4", run_jobs)
    assert media.state == MediaState.READY, media.failure_reason
    assert media.kind == "video"
    assert set(media.variants) == {
        Variant.ORIGINAL,
        Variant.HLS,
        Variant.POSTER,
        Variant.STORYBOARD,
        Variant.TEASER,
    }
    files = media.variants[Variant.HLS]["files"]
    assert "master.m3u8" in files
    assert {name.split("/")[0] for name in files if "/" in name} == {"v240", "v360"}  # no 480/720/1080
    prefix = media_root / settings.MEDIA_STORAGE_ENV / str(owner.pk) / str(media.pk)
    master = (prefix / "hls" / "master.m3u8").read_text()
    assert "RESOLUTION=320x240" in master and "RESOLUTION=480x360" in master
    for path in prefix.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"SecretCamMeta" not in data and b"48.8584" not in data, path
    assert any(name.endswith(".ts") for name in files)
    assert (prefix / "poster.jpg").stat().st_size > 0
    with Image.open(prefix / "storyboard.jpg") as strip:
        assert strip.width == 1600
    assert not (media_root / settings.MEDIA_STORAGE_ENV / "_staging").exists() or not any(
        (media_root / settings.MEDIA_STORAGE_ENV / "_staging").rglob("*.*")
    )
    assert not list((media_root / settings.MEDIA_STORAGE_ENV / "_uploads").glob("*"))


def test_webm_video_is_processed(owner_client: Client, run_jobs: Callable[..., None], tmp_path: Path) -> None:
    media = _ready(owner_client, corpus.video_webm(tmp_path), "c.webm", run_jobs)
    assert media.state == MediaState.READY, media.failure_reason
    assert not media.variants["_source"] if "_source" in media.variants else True
    assert [f for f in media.variants[Variant.HLS]["files"] if f.endswith("index.m3u8")] == [
        "v120/index.m3u8"
    ]


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "aac"])
def test_audio_pipeline_normalized_aac_and_waveform(
    fmt: str,
    owner_client: Client,
    owner: Any,
    media_root: Path,
    run_jobs: Callable[..., None],
    tmp_path: Path,
    settings: Any,
) -> None:
    media = _ready(owner_client, corpus.audio(tmp_path, fmt), f"song.{fmt}", run_jobs)
    assert media.kind == "audio"
    assert media.state == MediaState.READY, media.failure_reason
    assert set(media.variants) == {Variant.AUDIO, Variant.WAVEFORM}
    prefix = media_root / settings.MEDIA_STORAGE_ENV / str(owner.pk) / str(media.pk)
    assert b"Secret" not in (prefix / "audio.m4a").read_bytes()
    with Image.open(prefix / "waveform.png") as wave:
        assert wave.size == (1200, 200)


def test_worker_killed_mid_job_leaves_no_orphans_and_the_job_runs_again(
    owner_client: Client,
    owner: Any,
    media_root: Path,
    run_jobs: Callable[..., None],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response = upload(owner_client, corpus.jpeg_with_gps((200, 100)), "a.jpg")
    media_id = response.json()["id"]
    backend = storage.get_storage()

    class Killed(BaseException):
        """Stands for SIGKILL: nothing after it runs, not even except/finally cleanup of ours."""

    real_move = backend.move_prefix

    def die(source: str, destination: str) -> None:
        raise Killed

    monkeypatch.setattr(backend, "move_prefix", die)
    with pytest.raises(Killed):
        services.media_process(media_id=media_id)
    media = MediaItem.objects.get(pk=media_id)
    assert media.state == MediaState.PROCESSING
    staged = [name for name in stored_files(media_root) if "/_staging/" in name]
    assert staged  # what a killed worker leaves behind
    assert not [name for name in stored_files(media_root) if f"/{owner.pk}/" in name]

    monkeypatch.setattr(backend, "move_prefix", real_move)
    run_jobs(queues=["media"])  # the job (retried by the stalled-job sweeper in production) runs again
    media.refresh_from_db()
    assert media.state == MediaState.READY
    files = stored_files(media_root)
    assert not [name for name in files if "/_staging/" in name or "/_uploads/" in name]
    assert len(files) == len(media.variants)
    assert services.media_process(media_id=media_id) == "skipped"  # idempotent


def test_processing_failure_marks_failed_with_reason_and_removes_files(
    owner_client: Client, media_root: Path, run_jobs: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fanclub.media import ffmpeg, processing

    response = upload(owner_client, corpus.jpeg_with_gps(), "a.jpg")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ffmpeg.FfmpegError("boom", stderr="decoder exploded")

    monkeypatch.setattr(processing, "run_pipeline", broken)
    run_jobs(queues=["media"])
    media = MediaItem.objects.get(pk=response.json()["id"])
    assert media.state == MediaState.FAILED
    assert media.failure_reason == "The media could not be decoded (corrupt or unsupported stream)."
    assert stored_files(media_root) == []
    assert Upload.objects.count() == 0


def test_sweeper_removes_abandoned_uploads_and_orphan_files(
    owner_client: Client, media_root: Path, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    created = upload(owner_client, corpus.jpeg_with_gps(), "a.jpg", complete=False)
    upload_id = created.json()["id"]
    assert stored_files(media_root) == [f"{settings.MEDIA_STORAGE_ENV}/_uploads/{upload_id}"]
    orphan = media_root / settings.MEDIA_STORAGE_ENV / "_staging" / "0000" / "x.webp"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a dead worker")
    counts = services.media_sweep(
        now=timezone.now() + timedelta(seconds=settings.MEDIA_UPLOAD_TTL_SECONDS + 1)
    )
    assert counts == {"uploads": 1, "orphanUploads": 0, "orphanStaging": 1}
    assert stored_files(media_root) == []
    assert Upload.objects.count() == 0


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("outcome", ["ready", "failed"])
def test_owner_is_pushed_when_processing_finishes_after_commit_only(
    owner: Any,
    outcome: str,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    from fanclub.core import realtime
    from fanclub.media import ffmpeg, processing

    media = services.media_create_from_bytes(owner=owner, filename="a.jpg", data=corpus.jpeg_with_gps())
    if outcome == "failed":

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ffmpeg.FfmpegError("boom", stderr="decoder exploded")

        monkeypatch.setattr(processing, "run_pipeline", broken)
    layer = get_channel_layer()

    def pushed_while(action: Callable[[], None]) -> list[dict[str, Any]]:
        async def listen() -> list[dict[str, Any]]:
            channel = await layer.new_channel()
            await layer.group_add(realtime.user_group(owner.pk), channel)
            await sync_to_async(action)()
            received = []
            try:
                while True:
                    received.append(await asyncio.wait_for(layer.receive(channel), 0.2))
            except TimeoutError:
                return received

        return async_to_sync(listen)()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result: list[str] = []
        assert pushed_while(lambda: result.append(services.media_process(media_id=media.pk))) == []
    assert result == [outcome]  # nothing was pushed while the transaction was open

    events = pushed_while(lambda: [callback() for callback in callbacks])

    media.refresh_from_db()
    if outcome == "ready":
        expected = {"type": "media.ready", "mediaId": str(media.pk), "kind": "image"}
    else:
        expected = {
            "type": "media.failed",
            "mediaId": str(media.pk),
            "reason": "The media could not be decoded (corrupt or unsupported stream).",
        }
    assert media.state == outcome
    assert events == [{"type": "user.event", "payload": expected}]
