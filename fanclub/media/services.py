"""Writes of the media app: upload sessions, validation at completion, processing, deletion, albums.

Storage and the database are kept consistent by ordering: bytes that fail validation are deleted
together with their upload row before the error reaches the client; renditions are produced in a
temporary directory, copied to a staging prefix, moved to the final prefix, and only then does the
row switch to ``ready`` (a worker killed at any step leaves files that the next attempt or
``media_sweep`` removes, and the job is retried by the stalled-job sweeper).
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from fanclub.core import realtime
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.media import ffmpeg, processing, selectors, storage, tasks, validation
from fanclub.media.constants import MediaState, UploadProtocol, UploadState
from fanclub.media.errors import (
    MediaRejected,
    MediaTooLarge,
    UploadExpired,
    UploadIncomplete,
    UploadOffsetMismatch,
)
from fanclub.media.models import Album, AlbumItem, MediaItem, MediaUsage, Upload

logger = logging.getLogger(__name__)
S3_PART_BYTES = 16 * 1024 * 1024  # presigned parts (S3 needs >= 5 MiB except the last)
MAX_OPEN_UPLOADS = 50


class StorageError(ApiError):
    status = 503
    code = "storage_unavailable"


def _max_upload_bytes() -> int:
    return max(settings.MEDIA_MAX_IMAGE_BYTES, settings.MEDIA_MAX_VIDEO_BYTES, settings.MEDIA_MAX_AUDIO_BYTES)


def safe_filename(name: str) -> str:
    """The client's file name for display only (never used to build a path or choose a type)."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>]", "", name).strip(" .")
    return name[:200] or "upload"


# --- Upload sessions ------------------------------------------------------------------------------
def upload_create(*, owner: Any, filename: str, size: int) -> Upload:
    """Open a resumable upload for ``size`` bytes (checked again, per kind, at completion)."""
    limit = _max_upload_bytes()
    if size > limit:
        raise MediaTooLarge(f"The file is {size} bytes; the limit is {limit}.", details={"maxBytes": limit})
    if Upload.objects.filter(owner_id=owner.pk, state=UploadState.OPEN).count() >= MAX_OPEN_UPLOADS:
        raise Conflict("Too many unfinished uploads; finish or cancel some first.", code="too_many_uploads")
    backend = storage.get_storage()
    upload = Upload(
        owner=owner,
        filename=safe_filename(filename),
        size=size,
        protocol=UploadProtocol.S3_MULTIPART if backend.name == "s3" else UploadProtocol.CHUNKED,
        expires_at=timezone.now() + timedelta(seconds=settings.MEDIA_UPLOAD_TTL_SECONDS),
    )
    upload.storage_key = storage.upload_key(upload_id=upload.id)
    if isinstance(backend, storage.S3Storage):
        try:
            upload.s3_upload_id = backend.multipart_create(
                upload.storage_key, content_type="application/octet-stream"
            )
        except storage.StorageUnavailable as exc:
            raise StorageError("Media storage is unavailable; try again shortly.") from exc
    upload.save()
    return upload


def _lock_open_upload(*, owner: Any, upload_id: Any) -> Upload:
    upload = Upload.objects.select_for_update().filter(pk=upload_id, owner_id=owner.pk).first()
    if upload is None:
        raise NotFound("No such upload.")
    if upload.state != UploadState.OPEN:
        raise Conflict("This upload is already complete.", code="upload_completed")
    if upload.expires_at <= timezone.now():
        raise UploadExpired("This upload session has expired; start again.")
    return upload


def upload_write_chunk(
    *, owner: Any, upload_id: Any, offset: int, length: int, stream: storage.Readable
) -> Upload:
    """Append one chunk at ``offset`` (must equal the bytes received so far: tus semantics).

    Holds the upload row lock while writing, so concurrent chunks for one upload serialize. A chunk
    cut short (dropped connection) does not advance the offset; the client asks for the offset and
    sends the rest again.
    """
    if length > settings.MEDIA_UPLOAD_CHUNK_BYTES:
        raise MediaTooLarge(
            f"A chunk may hold at most {settings.MEDIA_UPLOAD_CHUNK_BYTES} bytes.",
            code="upload_chunk_too_large",
            details={"maxChunkBytes": settings.MEDIA_UPLOAD_CHUNK_BYTES},
        )
    with transaction.atomic():
        upload = _lock_open_upload(owner=owner, upload_id=upload_id)
        if upload.protocol != UploadProtocol.CHUNKED:
            raise Conflict("This upload takes presigned S3 parts, not chunks.", code="upload_wrong_protocol")
        if offset != upload.offset:
            raise UploadOffsetMismatch(f"Expected offset {upload.offset}.", details={"offset": upload.offset})
        if offset + length > upload.size:
            raise MediaTooLarge("The chunk goes past the declared size.", details={"size": upload.size})
        backend = storage.get_storage()
        assert isinstance(backend, storage.LocalStorage)
        written = backend.write_at(upload.storage_key, offset, stream, length)
        if written != length:
            raise ApiError(
                "The chunk arrived incomplete; ask for the offset and resend.",
                code="upload_chunk_incomplete",
                details={"offset": upload.offset},
            )
        upload.offset = offset + written
        upload.save(update_fields=["offset"])
    return upload


def upload_presign_parts(*, owner: Any, upload_id: Any, part_numbers: list[int]) -> list[dict[str, Any]]:
    with transaction.atomic():
        upload = _lock_open_upload(owner=owner, upload_id=upload_id)
    backend = storage.get_storage()
    if upload.protocol != UploadProtocol.S3_MULTIPART or not isinstance(backend, storage.S3Storage):
        raise Conflict("This upload takes chunks, not S3 parts.", code="upload_wrong_protocol")
    last = max(1, -(-upload.size // S3_PART_BYTES))
    bad = [number for number in part_numbers if not 1 <= number <= last]
    if bad or not part_numbers or len(part_numbers) > 100:
        raise ApiError(
            f"Part numbers must be 1..{last} (at most 100 at once).", code="validation_error", status=422
        )
    expires = min(3600, settings.MEDIA_UPLOAD_TTL_SECONDS)
    return [
        {
            "partNumber": number,
            "url": backend.multipart_presign_part(
                upload.storage_key, upload.s3_upload_id, number, expires=expires
            ),
        }
        for number in part_numbers
    ]


def upload_received_parts(*, upload: Upload) -> list[dict[str, Any]]:
    backend = storage.get_storage()
    if upload.protocol != UploadProtocol.S3_MULTIPART or not isinstance(backend, storage.S3Storage):
        return []
    if upload.state != UploadState.OPEN:
        return []
    return backend.multipart_parts(upload.storage_key, upload.s3_upload_id)


def _discard_upload_bytes(upload: Upload) -> None:
    backend = storage.get_storage()
    if isinstance(backend, storage.S3Storage) and upload.s3_upload_id and upload.state == UploadState.OPEN:
        backend.multipart_abort(upload.storage_key, upload.s3_upload_id)
    backend.delete(upload.storage_key)


def upload_abort(*, owner: Any, upload_id: Any) -> None:
    with transaction.atomic():
        upload = _lock_open_upload(owner=owner, upload_id=upload_id)
        _discard_upload_bytes(upload)
        upload.delete()


def upload_complete(*, owner: Any, upload_id: Any) -> MediaItem:
    """Validate the received bytes by content; a media item in ``uploaded`` state and its
    processing job, or a 4xx error after deleting the bytes and the upload row (nothing is left).

    Idempotent: completing a completed upload returns its media item.
    """
    existing = Upload.objects.filter(pk=upload_id, owner_id=owner.pk, state=UploadState.COMPLETED).first()
    if existing is not None and existing.media_id is not None:
        return selectors.media_get_for_owner(owner=owner, media_id=existing.media_id)
    with transaction.atomic():
        upload = _lock_open_upload(owner=owner, upload_id=upload_id)
        backend = storage.get_storage()
        if isinstance(backend, storage.S3Storage):
            parts = backend.multipart_parts(upload.storage_key, upload.s3_upload_id)
            received = sum(part["size"] for part in parts)
            if received != upload.size:
                raise UploadIncomplete(
                    f"Received {received} of {upload.size} bytes.",
                    details={"offset": received, "parts": len(parts)},
                )
            backend.multipart_complete(upload.storage_key, upload.s3_upload_id, parts)
            upload.offset = received
            upload.state = UploadState.COMPLETED  # the multipart id is spent either way
            upload.save(update_fields=["offset", "state"])
        elif upload.offset != upload.size:
            raise UploadIncomplete(
                f"Received {upload.offset} of {upload.size} bytes.", details={"offset": upload.offset}
            )
    try:
        with tempfile.TemporaryDirectory(prefix="fanclub-validate-") as directory:
            path = backend.local_path(upload.storage_key)
            if path is None:
                path = Path(directory) / "source"
                backend.download(upload.storage_key, path)
            detected = validation.validate_file(path)
    except MediaRejected:
        _upload_reject(upload)
        raise
    except Exception:
        _upload_reject(upload)
        logger.exception("media validation crashed", extra={"upload_id": str(upload.id)})
        raise MediaRejected("The file could not be validated.", code="media_corrupt") from None

    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        media = _media_create(
            owner=owner,
            filename=upload.filename,
            detected=detected,
            source_key=upload.storage_key,
            size=upload.size,
        )
        upload.state = UploadState.COMPLETED
        upload.media = media
        upload.save(update_fields=["state", "media"])
    return media


def _media_create(
    *, owner: Any, filename: str, detected: validation.Detected, source_key: str, size: int
) -> MediaItem:
    """The ``uploaded`` row for validated source bytes, and its processing job (caller's transaction)."""
    media = MediaItem.objects.create(
        owner=owner,
        kind=detected.kind,
        state=MediaState.UPLOADED,
        original_filename=filename,
        source_format=detected.format,
        source_key=source_key,
        size_bytes=size,
        width=detected.width,
        height=detected.height,
        duration_seconds=detected.duration,
        variants={"_source": {"hasAudio": detected.has_audio}},
    )
    media_process_defer(media=media)
    return media


def media_create_from_bytes(*, owner: Any, filename: str, data: bytes) -> MediaItem:
    """A vault item from bytes made on the server (e.g. a face-blurred copy), on either backend.

    The same checks as an upload (validated by content, size limits per kind) before anything is
    stored; then the bytes are stored as the source and the normal processing job is deferred in
    the transaction that creates the row. A MediaRejected subclass leaves nothing behind.
    """
    limit = _max_upload_bytes()
    if len(data) > limit:
        raise MediaTooLarge(
            f"The file is {len(data)} bytes; the limit is {limit}.", details={"maxBytes": limit}
        )
    backend = storage.get_storage()
    source_key = storage.upload_key(upload_id=uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="fanclub-create-") as directory:
        path = Path(directory) / "source"
        path.write_bytes(data)
        try:
            detected = validation.validate_file(path)
        except MediaRejected:
            raise
        except Exception:  # a validator crash must not become a 500 (same as an upload)
            logger.exception("media validation crashed", extra={"owner_id": owner.pk})
            raise MediaRejected("The file could not be validated.", code="media_corrupt") from None
        try:
            backend.put_file(source_key, path, content_type="application/octet-stream")
        except storage.StorageUnavailable as exc:
            raise StorageError("Media storage is unavailable; try again shortly.") from exc
    try:
        with transaction.atomic():
            return _media_create(
                owner=owner,
                filename=safe_filename(filename),
                detected=detected,
                source_key=source_key,
                size=len(data),
            )
    except BaseException:
        backend.delete(source_key)  # no row names these bytes
        raise


def _upload_reject(upload: Upload) -> None:
    try:
        _discard_upload_bytes(upload)
    finally:
        Upload.objects.filter(pk=upload.pk).delete()


def media_process_defer(*, media: MediaItem) -> None:
    tasks.media_process_task.configure(lock=f"media:{media.pk}").defer(media_id=str(media.pk))


# --- Processing (the worker) ----------------------------------------------------------------------
def _set_progress(media_id: Any, percent: int) -> None:
    MediaItem.objects.filter(pk=media_id, state=MediaState.PROCESSING).update(
        progress=max(0, min(99, percent))
    )


def media_process(*, media_id: Any) -> str:
    """Produce every rendition of a media item; safe to run again after a crash at any point.

    Returns what happened ("ready", "failed", "skipped"). Retryable errors (storage or database
    unavailable) propagate so the job is retried; anything else fails the item with a reason and
    removes all of its files.
    """
    with transaction.atomic():
        media = MediaItem.objects.select_for_update().select_related("owner").filter(pk=media_id).first()
        if (
            media is None
            or media.deleted_at is not None
            or media.state in (MediaState.READY, MediaState.FAILED)
        ):
            return "skipped"
        media.state = MediaState.PROCESSING
        media.progress = 5
        media.save(update_fields=["state", "progress", "updated_at"])
    backend = storage.get_storage()
    staging = storage.staging_prefix(media_id=media.pk)
    final = storage.media_prefix(owner_id=media.owner_id, media_id=media.pk)
    backend.delete_prefix(staging)  # leftovers of an attempt that was killed
    try:
        with tempfile.TemporaryDirectory(prefix="fanclub-media-") as directory:
            work = Path(directory)
            source = backend.local_path(media.source_key)
            if source is None:
                source = work / "source"
                backend.download(media.source_key, source)
            out = work / "out"
            result = processing.run_pipeline(
                media.kind,
                source,
                source_format=media.source_format,
                out_dir=out,
                handle=media.owner.handle,
                duration=media.duration_seconds,
                height=media.height,
                has_audio=bool(media.variants.get("_source", {}).get("hasAudio", True)),
                on_progress=lambda percent: _set_progress(media_id, percent),
            )
            variants: dict[str, Any] = {}
            for name, rendition in result.renditions.items():
                if rendition.files:
                    total = 0
                    for file in rendition.files:
                        path = out / rendition.filename / file
                        total += path.stat().st_size
                        backend.put_file(
                            f"{staging}/{rendition.filename}/{file}", path, content_type=_type_of(file)
                        )
                    variants[name] = rendition.describe(total)
                else:
                    path = out / rendition.filename
                    backend.put_file(
                        f"{staging}/{rendition.filename}", path, content_type=rendition.content_type
                    )
                    variants[name] = rendition.describe(path.stat().st_size)
        _set_progress(media.pk, 97)
        backend.move_prefix(staging, final)
    except (ffmpeg.FfmpegError, MediaRejected, OSError, ValueError, Image.DecompressionBombError) as exc:
        backend.delete_prefix(staging)
        if isinstance(exc, ConnectionError | TimeoutError):
            raise  # transient: the job is retried
        _media_fail(media_id=media.pk, reason=_reason(exc))
        return "failed"
    except Exception:
        backend.delete_prefix(staging)
        raise

    with transaction.atomic():
        media = MediaItem.objects.select_for_update().get(pk=media.pk)
        if media.deleted_at is not None:
            transaction.on_commit(lambda: backend.delete_prefix(final))
            return "skipped"
        source_key = media.source_key
        media.variants = variants
        media.state = MediaState.READY
        media.progress = 100
        media.ready_at = timezone.now()
        media.source_key = ""
        if result.phash is not None:
            media.phash = result.phash
            media.duplicate_of = selectors.media_similar_from_other_accounts(media=media)
        if result.width:
            media.width, media.height = result.width, result.height
        media.save()
        Upload.objects.filter(media=media).delete()
        transaction.on_commit(lambda: backend.delete(source_key))
        realtime.user_event_send_on_commit(
            user_id=media.owner_id,
            payload={"type": "media.ready", "mediaId": str(media.pk), "kind": media.kind},
        )
    return "ready"


def _type_of(file: str) -> str:
    return "application/vnd.apple.mpegurl" if file.endswith(".m3u8") else "video/mp2t"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ffmpeg.FfmpegError):
        if exc.timed_out:
            return "Processing took too long."
        return "The media could not be decoded (corrupt or unsupported stream)."
    if isinstance(exc, MediaRejected):
        return exc.message
    return "The media could not be processed."


def _media_fail(*, media_id: Any, reason: str) -> None:
    with transaction.atomic():
        media = MediaItem.objects.select_for_update().get(pk=media_id)
        source_key = media.source_key
        media.state = MediaState.FAILED
        media.failure_reason = reason[:500]
        media.source_key = ""
        media.variants = {}
        media.save()
        Upload.objects.filter(media=media).delete()
        backend = storage.get_storage()
        final = storage.media_prefix(owner_id=media.owner_id, media_id=media.pk)

        def cleanup() -> None:
            if source_key:
                backend.delete(source_key)
            backend.delete_prefix(final)

        transaction.on_commit(cleanup)
        realtime.user_event_send_on_commit(
            user_id=media.owner_id,
            payload={"type": "media.failed", "mediaId": str(media.pk), "reason": reason},
        )


# --- Deletion and sweeping ------------------------------------------------------------------------
def media_delete(*, user: Any, media_id: Any) -> None:
    """Soft delete now (the item disappears everywhere at once); files are removed by a job."""
    with transaction.atomic():
        media = MediaItem.objects.select_for_update().filter(pk=media_id, owner_id=user.pk).first()
        if media is None or media.deleted_at is not None:
            raise NotFound("No such media item.")
        media.deleted_at = timezone.now()
        media.save(update_fields=["deleted_at", "updated_at"])
        AlbumItem.objects.filter(media=media).delete()
        tasks.media_purge_task.defer(media_id=str(media.pk))


def media_purge(*, media_id: Any) -> int:
    """Remove every file of a soft-deleted item (idempotent). Returns the number of files removed."""
    media = MediaItem.objects.filter(pk=media_id, deleted_at__isnull=False).first()
    if media is None:
        return 0
    backend = storage.get_storage()
    removed = backend.delete_prefix(storage.media_prefix(owner_id=media.owner_id, media_id=media.pk))
    removed += backend.delete_prefix(storage.staging_prefix(media_id=media.pk))
    if media.source_key:
        backend.delete(media.source_key)
    Upload.objects.filter(media=media).delete()
    MediaItem.objects.filter(pk=media.pk).update(purged_at=timezone.now(), source_key="", variants={})
    return removed


def media_sweep(*, now: Any = None, grace_seconds: int = 3600) -> dict[str, int]:
    """Remove abandoned uploads (row and bytes) and files no row accounts for (idempotent)."""
    now = now or timezone.now()
    backend = storage.get_storage()
    counts = {"uploads": 0, "orphanUploads": 0, "orphanStaging": 0}
    for upload in Upload.objects.filter(state=UploadState.OPEN, expires_at__lte=now):
        with transaction.atomic():
            locked = Upload.objects.select_for_update(skip_locked=True).filter(pk=upload.pk).first()
            if locked is None:
                continue
            _discard_upload_bytes(locked)
            locked.delete()
            counts["uploads"] += 1
    env = settings.MEDIA_STORAGE_ENV
    cutoff = now - timedelta(seconds=grace_seconds)
    known_uploads = {str(key) for key in Upload.objects.values_list("storage_key", flat=True)}
    known_sources = {
        key for key in MediaItem.objects.exclude(source_key="").values_list("source_key", flat=True)
    }
    for key in backend.list_keys(f"{env}/_uploads"):
        if key not in known_uploads and key not in known_sources and _older_than(backend, key, cutoff):
            backend.delete(key)
            counts["orphanUploads"] += 1
    busy = {
        str(pk)
        for pk in MediaItem.objects.filter(state=MediaState.PROCESSING, updated_at__gt=cutoff).values_list(
            "pk", flat=True
        )
    }
    staged = {key.split("/")[2] for key in backend.list_keys(f"{env}/_staging") if key.count("/") >= 3}
    for media_id in staged - busy:
        counts["orphanStaging"] += backend.delete_prefix(storage.staging_prefix(media_id=media_id))
    return counts


def _older_than(backend: Any, key: str, cutoff: Any) -> bool:
    if isinstance(backend, storage.LocalStorage):
        from datetime import UTC, datetime

        try:
            modified = datetime.fromtimestamp(backend.path(key).stat().st_mtime, tz=UTC)
        except FileNotFoundError:
            return False
        return bool(modified < cutoff)
    return True  # S3 upload keys exist only after completion, which names them in a row


# --- Albums and usages ----------------------------------------------------------------------------
def album_create(*, owner: Any, title: str) -> Album:
    return Album.objects.create(owner=owner, title=title.strip()[:120] or "Untitled")


def album_update(*, owner: Any, album_id: Any, title: str) -> Album:
    album = selectors.album_get_for_owner(owner=owner, album_id=album_id)
    album.title = title.strip()[:120] or album.title
    album.save(update_fields=["title"])
    return album


def album_delete(*, owner: Any, album_id: Any) -> None:
    album = selectors.album_get_for_owner(owner=owner, album_id=album_id)
    album.delete()


def album_item_add(*, owner: Any, album_id: Any, media_id: Any) -> None:
    album = selectors.album_get_for_owner(owner=owner, album_id=album_id)
    media = selectors.media_get_for_owner(owner=owner, media_id=media_id)
    try:
        with transaction.atomic():
            AlbumItem.objects.create(album=album, media=media)
    except IntegrityError:
        pass  # already in the album: adding is idempotent


def album_item_remove(*, owner: Any, album_id: Any, media_id: Any) -> None:
    album = selectors.album_get_for_owner(owner=owner, album_id=album_id)
    AlbumItem.objects.filter(album=album, media_id=media_id).delete()


def media_usage_attach(
    *, user: Any, media_id: Any, target_type: str, target_id: str, label: str = ""
) -> MediaUsage:
    """Record that ``user``'s vault item is used by a post/message (called by those apps' services)."""
    media = MediaItem.objects.filter(pk=media_id, deleted_at__isnull=True).first()
    if media is None:
        raise NotFound("No such media item.")
    if media.owner_id != user.pk:
        raise PermissionDenied("Only the owner may use this media item.")
    usage, _ = MediaUsage.objects.get_or_create(
        media=media, target_type=target_type, target_id=str(target_id), defaults={"label": label[:200]}
    )
    return usage


def media_usage_detach(*, media_id: Any, target_type: str, target_id: str) -> None:
    MediaUsage.objects.filter(media_id=media_id, target_type=target_type, target_id=str(target_id)).delete()
