"""D1: every malicious upload is refused with a clear 4xx in the standard shape, and nothing of it
is left in storage or the database."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fanclub.media import ffmpeg
from fanclub.media.models import MediaItem, Upload
from fanclub.media.tests import corpus
from fanclub.media.tests.conftest import stored_files, upload


def _truncated_mp4(tmp: Path) -> bytes:
    data = corpus.video_mp4(tmp, faststart=False, name="t1.mp4")
    return data[: len(data) // 2]  # the moov index (at the end) is gone


def _truncated_faststart_mp4(tmp: Path) -> bytes:
    data = corpus.video_mp4(tmp, faststart=True, name="t2.mp4")
    return data[: len(data) * 2 // 3]  # the index promises samples that are not there


def _playlist_in_mp4(tmp: Path) -> bytes:
    return corpus.HLS_LOCAL_FILE


CASES: list[tuple[str, str, Callable[[Path], bytes], int, str]] = [
    ("empty", "empty.jpg", lambda tmp: b"", 422, "media_empty"),
    ("png pixel flood", "flood.png", lambda tmp: corpus.png_pixel_flood(), 422, "media_too_many_pixels"),
    (
        "png decompression bomb",
        "bomb.png",
        lambda tmp: corpus.png_decompression_bomb(),
        422,
        "media_too_many_pixels",
    ),
    ("gif frame bomb", "frames.gif", lambda tmp: corpus.gif_frame_bomb(), 422, "media_too_many_pixels"),
    ("gzip bomb", "bomb.jpg", lambda tmp: corpus.gzip_bomb(), 415, "media_unsupported_format"),
    ("zip archive", "photos.jpg", lambda tmp: corpus.zip_archive(), 415, "media_unsupported_format"),
    ("png+html polyglot", "poly.png", lambda tmp: corpus.png_html_polyglot(), 422, "media_polyglot_rejected"),
    ("jpeg+zip polyglot", "poly.jpg", lambda tmp: corpus.jpeg_zip_polyglot(), 422, "media_polyglot_rejected"),
    ("gif+js polyglot", "poly.gif", lambda tmp: corpus.gif_js_polyglot(), 422, "media_polyglot_rejected"),
    ("jpeg+pdf polyglot", "poly.jpg", lambda tmp: corpus.pdf_html_polyglot(), 422, "media_polyglot_rejected"),
    ("svg with script", "x.svg", lambda tmp: corpus.SVG_SCRIPT, 415, "media_svg_rejected"),
    ("svg xml foreignObject named jpg", "x.jpg", lambda tmp: corpus.SVG_XML, 415, "media_svg_rejected"),
    ("html named jpg", "x.jpg", lambda tmp: corpus.HTML_AS_JPG, 415, "media_unsupported_format"),
    ("hls playlist to local file", "video.mp4", _playlist_in_mp4, 415, "media_playlist_rejected"),
    ("ffconcat playlist", "video.mov", lambda tmp: corpus.FFCONCAT, 415, "media_playlist_rejected"),
    (
        "avi with embedded playlist",
        "clip.avi",
        lambda tmp: corpus.avi_with_playlist(),
        415,
        "media_unsupported_format",
    ),
    ("corrupt jpeg", "c.jpg", lambda tmp: b"\xff\xd8\xff\xe0" + b"\x13" * 2000, 422, "media_corrupt"),
    ("truncated jpeg", "t.jpg", lambda tmp: corpus.jpeg_with_gps()[:-400], 422, "media_corrupt"),
    ("truncated png", "t.png", lambda tmp: corpus.image_bytes("PNG", (300, 300))[:-60], 422, "media_corrupt"),
    ("truncated mp4 (no index)", "t.mp4", _truncated_mp4, 422, "media_corrupt"),
    ("truncated mp4 (faststart)", "t.mp4", _truncated_faststart_mp4, 422, "media_corrupt"),
    ("random bytes named mp4", "r.mp4", lambda tmp: bytes(range(256)) * 40, 415, "media_unsupported_format"),
]


@pytest.mark.parametrize(
    ("name", "filename", "make", "status", "code"), CASES, ids=[case[0] for case in CASES]
)
def test_malicious_upload_is_rejected_and_leaves_nothing(
    name: str,
    filename: str,
    make: Callable[[Path], bytes],
    status: int,
    code: str,
    owner_client: Any,
    media_root: Path,
    tmp_path: Path,
) -> None:
    data = make(tmp_path)
    if not data:
        created = owner_client.post(
            "/api/v1/media/uploads", {"filename": filename, "size": 0}, content_type="application/json"
        )
        assert created.status_code == 422  # a zero-byte upload cannot even be opened
        assert created.json()["error"]["code"] == "validation_error"
        response = None
    else:
        response = upload(owner_client, data, filename, chunk=256 * 1024)
        assert response.status_code == status, response.content
        body = response.json()["error"]
        assert body["code"] == code
        assert body["message"]
        assert set(body) == {"code", "message", "details", "requestId", "timestamp"}
    assert stored_files(media_root) == []
    assert Upload.objects.count() == 0
    assert MediaItem.objects.count() == 0


def test_validate_file_rejects_empty_file(tmp_path: Path) -> None:
    from fanclub.media.errors import MediaRejected
    from fanclub.media.validation import validate_file

    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected) as error:
        validate_file(empty)
    assert error.value.code == "media_empty"


def test_video_over_duration_limit_is_rejected(
    owner_client: Any, media_root: Path, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_MAX_VIDEO_SECONDS = 1
    response = upload(owner_client, corpus.video_mp4(tmp_path, seconds=2), "long.mp4")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "media_too_long"
    assert stored_files(media_root) == []
    assert Upload.objects.count() == MediaItem.objects.count() == 0


def test_image_over_size_limit_is_rejected_after_sniffing(
    owner_client: Any, media_root: Path, settings: Any
) -> None:
    settings.MEDIA_MAX_IMAGE_BYTES = 1024
    response = upload(owner_client, corpus.jpeg_with_gps((200, 200)), "big.jpg")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "media_too_large"
    assert stored_files(media_root) == []
    assert Upload.objects.count() == 0


def test_upload_larger_than_every_limit_cannot_start(owner_client: Any, settings: Any) -> None:
    response = owner_client.post(
        "/api/v1/media/uploads",
        {"filename": "huge.mkv", "size": 5 * 1024**3},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "media_too_large"
    assert Upload.objects.count() == 0


def test_ffmpeg_opens_local_files_only_even_when_forced_to_read_a_playlist(
    tmp_path: Path, settings: Any
) -> None:
    """A canary listener on loopback: ffmpeg given an HLS playlist pointing at it never connects."""
    canary = socket.socket()
    canary.bind(("127.0.0.1", 0))
    canary.listen(5)
    canary.settimeout(0.5)
    port = canary.getsockname()[1]
    hits: list[int] = []

    def listen() -> None:
        for _ in range(6):
            try:
                connection, _ = canary.accept()
                hits.append(1)
                connection.close()
            except TimeoutError:
                pass

    thread = threading.Thread(target=listen)
    thread.start()
    playlist = tmp_path / "evil.m3u8"
    playlist.write_bytes(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:{port}/seg.ts\n#EXT-X-ENDLIST\n".encode()
    )
    with pytest.raises(ffmpeg.FfmpegError):
        ffmpeg.probe(playlist, "mov")  # our demuxers: not a movie
    result = ffmpeg.run(
        [*ffmpeg.input_args(playlist, "hls"), "-f", "null", "-"], check=False, timeout=20
    )  # even the HLS demuxer, if someone forced it, may not leave the file protocol
    thread.join()
    canary.close()
    assert hits == []
    assert result.returncode != 0
    assert "protocol_whitelist" in " ".join(ffmpeg.input_args(playlist, "mov"))
