"""Validate uploads by their content: magic bytes, a decoder allow-list, limits, polyglot markers.

Nothing here trusts the file name or the client's MIME type. Accepted: JPEG, PNG, WebP, GIF, HEIC;
MP4/MOV/WebM/MKV; MP3/AAC/WAV/OGG/FLAC. Everything else (SVG, HTML, playlists, ZIP, AVI...) is
rejected with a specific error code, and the caller deletes the bytes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image

from fanclub.media import ffmpeg
from fanclub.media.constants import AV_FORMATS, IMAGE_FORMATS, MediaKind
from fanclub.media.errors import MediaRejected, MediaTooLarge, UnsupportedMediaFormat

_heif_registered = False

# Markers of a second document hidden in a media file (HTML/SVG/script/PHP/playlists/PDF). Lowercased.
POLYGLOT_MARKERS: tuple[bytes, ...] = (
    b"<script",
    b"<html",
    b"<svg",
    b"<!doctype",
    b"<iframe",
    b"<body",
    b"<?php",
    b"<?xml",
    b"#extm3u",
    b"#ext-x-",
    b"ffconcat",
    b"javascript:",
    b"%pdf-",
)
SCAN_WINDOW = 1024 * 1024  # audio/video: first and last MiB (images: the whole file)
FULL_DECODE_MAX_BYTES = 256 * 1024 * 1024  # larger videos are decoded fully by the worker
MAX_VIDEO_PIXELS = 8192 * 8192
MAX_GIF_FRAMES = 1000
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
}


@dataclass(frozen=True)
class Detected:
    kind: str
    format: str  # our extension: jpg, png, ..., mp4, webm, mp3...
    demuxer: str  # Pillow format name for images, ffmpeg demuxer for audio/video
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    has_audio: bool = False

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def sniff(head: bytes) -> str:
    """Our format name from the first bytes; raises for anything not on the allow-list."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<svg", b"<?xml")) or b"<svg" in stripped[:1024]:
        raise UnsupportedMediaFormat("SVG images are not accepted.", code="media_svg_rejected")
    if stripped.startswith((b"#extm3u", b"ffconcat", b"[playlist]")):
        raise UnsupportedMediaFormat(
            "Playlists and files that reference other files are not accepted.", code="media_playlist_rejected"
        )
    if stripped.startswith(b"<"):
        raise UnsupportedMediaFormat("HTML and XML documents are not accepted.")
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        brands = head[8 : max(16, min(size, 64))]
        major = head[8:12]
        if b"avif" in brands or b"avis" in brands:
            raise UnsupportedMediaFormat("AVIF images are not accepted.")
        if major in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx") or (
            major in (b"mif1", b"msf1") and b"hei" in brands
        ):
            return "heic"
        if major == b"qt  ":
            return "mov"
        if major in (b"M4A ", b"M4B "):
            return "m4a"
        return "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF:
        if (head[1] & 0xF6) == 0xF0:
            return "aac"
        if (head[1] & 0xE0) == 0xE0 and (head[1] >> 1) & 3 == 1:
            return "mp3"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UnsupportedMediaFormat("Archives are not accepted.")
    raise UnsupportedMediaFormat(
        "This file type is not supported. Upload JPEG, PNG, WebP, GIF or HEIC images; MP4, MOV, WebM or "
        "MKV videos; MP3, AAC, WAV, OGG or FLAC audio."
    )


def _scan_polyglot(path: Path, *, whole: bool) -> None:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head_and_tail = [(0, min(size, SCAN_WINDOW)), (max(0, size - SCAN_WINDOW), size)]
        windows = [(0, size)] if whole else head_and_tail
        overlap = 32
        for start, end in windows:
            handle.seek(start)
            previous = b""
            position = start
            while position < end:
                block = handle.read(min(SCAN_WINDOW, end - position))
                if not block:
                    break
                position += len(block)
                text = (previous + block).lower()
                for marker in POLYGLOT_MARKERS:
                    if marker in text:
                        raise MediaRejected(
                            "The file contains an embedded document or script and was rejected.",
                            code="media_polyglot_rejected",
                            details={"marker": marker.decode()},
                        )
                previous = block[-overlap:]
        # A ZIP (or JAR/DOCX...) appended to the media: its end-of-central-directory record sits in
        # the last 64 KiB, and a local file header precedes it.
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
        if b"PK\x05\x06" in tail:
            handle.seek(0)
            if (whole and b"PK\x03\x04" in handle.read()) or (not whole and b"PK\x03\x04" in tail):
                raise MediaRejected(
                    "The file has an archive appended and was rejected.",
                    code="media_polyglot_rejected",
                    details={"marker": "zip"},
                )


def _check_image(path: Path, fmt: str) -> Detected:
    register_heif()
    pillow_format = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "heic": "HEIF"}[fmt]
    assert pillow_format in IMAGE_FORMATS
    max_pixels = settings.MEDIA_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise MediaRejected(
                        f"The image has {width * height} pixels; the limit is {max_pixels}.",
                        code="media_too_many_pixels",
                        details={"width": width, "height": height, "maxPixels": max_pixels},
                    )
                frames = getattr(image, "n_frames", 1)
                if frames > MAX_GIF_FRAMES or frames * width * height > 4 * max_pixels:
                    raise MediaRejected(
                        "The animation has too many frames for its size.",
                        code="media_too_many_pixels",
                        details={"frames": frames, "width": width, "height": height},
                    )
                for index in range(frames):
                    image.seek(index)
                    image.load()
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejected(
            "The image is a decompression bomb (too many pixels).", code="media_too_many_pixels"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise MediaRejected(
            "The image is corrupt or truncated.", code="media_corrupt", details={"reason": str(exc)[:200]}
        ) from exc
    return Detected(kind=MediaKind.IMAGE, format=fmt, demuxer=pillow_format, width=width, height=height)


def _check_av(path: Path, fmt: str, size: int) -> Detected:
    kind, demuxer, _ext = AV_FORMATS[fmt]
    try:
        info = ffmpeg.probe(path, demuxer)
    except ffmpeg.FfmpegError as exc:
        raise MediaRejected(
            "The file is corrupt, truncated or not a supported media container.", code="media_corrupt"
        ) from exc
    if kind == MediaKind.VIDEO and not info.has_video:
        if not info.has_audio:
            raise MediaRejected("The file has no audio or video stream.", code="media_corrupt")
        kind = MediaKind.AUDIO
    if kind == MediaKind.AUDIO and not info.has_audio:
        raise MediaRejected("The file has no audio stream.", code="media_corrupt")
    if info.duration is None or info.duration <= 0:
        raise MediaRejected("The file has no readable duration.", code="media_corrupt")
    if info.duration > settings.MEDIA_MAX_VIDEO_SECONDS:
        raise MediaRejected(
            f"The file lasts {info.duration:.0f} s; the limit is {settings.MEDIA_MAX_VIDEO_SECONDS} s.",
            code="media_too_long",
            details={"durationSeconds": info.duration, "maxSeconds": settings.MEDIA_MAX_VIDEO_SECONDS},
        )
    if kind == MediaKind.VIDEO and (
        not info.width or not info.height or info.width * info.height > MAX_VIDEO_PIXELS
    ):
        raise MediaRejected("The video frame size is missing or too large.", code="media_corrupt")
    if size <= FULL_DECODE_MAX_BYTES:
        # Decode everything once: truncated or corrupt streams fail here, not in the worker.
        try:
            ffmpeg.run(
                [
                    "-v",
                    "error",
                    "-xerror",
                    *ffmpeg.input_args(path, demuxer),
                    "-map",
                    "0:v:0?",
                    "-map",
                    "0:a:0?",
                    "-f",
                    "null",
                    "-",
                ],
                timeout=min(settings.MEDIA_FFMPEG_TIMEOUT_SECONDS, 600),
            )
        except ffmpeg.FfmpegError as exc:
            raise MediaRejected(
                "The file is corrupt or truncated.",
                code="media_corrupt",
                details={"reason": exc.stderr[-200:]},
            ) from exc
    return Detected(
        kind=kind,
        format=fmt,
        demuxer=demuxer,
        width=info.width if kind == MediaKind.VIDEO else None,
        height=info.height if kind == MediaKind.VIDEO else None,
        duration=info.duration,
        has_audio=info.has_audio,
    )


def max_bytes(kind: str) -> int:
    return {
        MediaKind.IMAGE: settings.MEDIA_MAX_IMAGE_BYTES,
        MediaKind.VIDEO: settings.MEDIA_MAX_VIDEO_BYTES,
        MediaKind.AUDIO: settings.MEDIA_MAX_AUDIO_BYTES,
    }[MediaKind(kind)]


def validate_file(path: Path) -> Detected:
    """What ``path`` really is, or a MediaRejected subclass saying why it is refused."""
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("The file is empty.", code="media_empty")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    fmt = sniff(head)
    kind = MediaKind.IMAGE if fmt in IMAGE_FORMATS.values() else AV_FORMATS[fmt][0]
    limit = max_bytes(kind)
    if size > limit:
        raise MediaTooLarge(
            f"The {kind} is {size} bytes; the limit is {limit}.", details={"size": size, "maxBytes": limit}
        )
    _scan_polyglot(path, whole=kind == MediaKind.IMAGE)
    if kind == MediaKind.IMAGE:
        return _check_image(path, fmt)
    detected = _check_av(path, fmt, size)
    if detected.kind != kind and size > max_bytes(detected.kind):
        raise MediaTooLarge(
            "The file is too large for its kind.", details={"maxBytes": max_bytes(detected.kind)}
        )
    return detected
