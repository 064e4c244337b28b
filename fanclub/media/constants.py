"""Media kinds, states, variants and the formats we accept (by content, never by name)."""

from __future__ import annotations

from django.db import models


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"


class MediaState(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class UploadState(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class UploadProtocol(models.TextChoices):
    CHUNKED = "chunked", "Chunked (PATCH with Upload-Offset)"
    S3_MULTIPART = "s3-multipart", "S3 multipart with presigned part URLs"


class Variant:
    """Names of stored renditions; ``{variant}.{ext}`` under ``{env}/{user_id}/{media_id}/``."""

    ORIGINAL = "original"  # re-encoded, metadata stripped; the owner's download
    THUMB_320 = "thumb-320"
    THUMB_640 = "thumb-640"
    THUMB_1280 = "thumb-1280"
    BLURRED = "blurred"  # locked viewing
    DISPLAY = "display"  # watermarked with the creator's handle
    SOCIAL = "social"  # 1200x630 card
    HLS = "hls"  # a directory: master.m3u8, v<height>/index.m3u8 and segments
    POSTER = "poster"
    STORYBOARD = "storyboard"
    TEASER = "teaser"  # short blurred clip for locked viewing
    AUDIO = "audio"  # normalized AAC
    WAVEFORM = "waveform"


THUMB_WIDTHS: dict[str, int] = {Variant.THUMB_320: 320, Variant.THUMB_640: 640, Variant.THUMB_1280: 1280}

# Variants anyone may see once they hold a valid URL: they reveal nothing a locked post hides.
# Not the video poster: it is a sharp frame of the video, so it is a full variant (a locked viewer
# gets the blurred teaser clip instead).
PUBLIC_SAFE_VARIANTS: frozenset[str] = frozenset({Variant.BLURRED, Variant.TEASER})

HLS_LADDER: tuple[tuple[int, int, int], ...] = (
    # (height, video kbit/s, audio kbit/s)
    (240, 400, 64),
    (360, 800, 96),
    (480, 1400, 128),
    (720, 2800, 128),
    (1080, 5000, 160),
)

# Detected container/codec family -> (kind, ffmpeg demuxer forced on input, extension).
IMAGE_FORMATS: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "HEIF": "heic"}
AV_FORMATS: dict[str, tuple[str, str, str]] = {
    "mp4": (MediaKind.VIDEO, "mov", "mp4"),
    "mov": (MediaKind.VIDEO, "mov", "mov"),
    "webm": (MediaKind.VIDEO, "matroska", "webm"),
    "mkv": (MediaKind.VIDEO, "matroska", "mkv"),
    "mp3": (MediaKind.AUDIO, "mp3", "mp3"),
    "aac": (MediaKind.AUDIO, "aac", "aac"),
    "m4a": (MediaKind.AUDIO, "mov", "m4a"),
    "wav": (MediaKind.AUDIO, "wav", "wav"),
    "ogg": (MediaKind.AUDIO, "ogg", "ogg"),
    "flac": (MediaKind.AUDIO, "flac", "flac"),
}

QUEUE = "media"
PHASH_DUPLICATE_DISTANCE = 6  # of 64 bits: the same picture re-encoded, resized or lightly edited
