from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from fanclub.media.constants import MediaKind, MediaState, UploadProtocol, UploadState


class Upload(models.Model):
    """A resumable upload session: bytes arrive in chunks (local) or presigned parts (S3).

    The received bytes live under ``{env}/_uploads/{id}`` in media storage until ``complete``
    validates them; a rejected upload deletes both the bytes and this row. Sessions expire; the
    periodic ``upload_sweep_task`` removes abandoned ones (row and bytes) so nothing is orphaned.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    protocol = models.CharField(max_length=16, choices=UploadProtocol.choices)
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.OPEN)
    storage_key = models.CharField(max_length=255)
    s3_upload_id = models.CharField(max_length=1024, blank=True)
    media = models.OneToOneField(
        "MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(offset__lte=models.F("size")), name="media_upload_offset"
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="media_upload_size_positive"),
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="media_upload_expiry_idx")]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.offset}/{self.size})"


class MediaItem(models.Model):
    """One item of a creator's vault: a validated upload and the renditions made from it.

    ``variants`` maps a variant name to ``{"key", "contentType", "width", "height", "size"}``
    (HLS: ``{"prefix", "files": [...], "contentType"}``). Keys follow
    ``{env}/{owner_id}/{id}/{variant}.{ext}``. Files are written to a staging prefix and moved in
    place just before the row switches to ``ready`` (see services.media_process).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_items")
    kind = models.CharField(max_length=8, choices=MediaKind.choices)
    state = models.CharField(max_length=12, choices=MediaState.choices, default=MediaState.UPLOADED)
    progress = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=500, blank=True)
    original_filename = models.CharField(max_length=255)
    source_format = models.CharField(max_length=8)  # detected, e.g. "jpg", "mp4"
    source_key = models.CharField(max_length=255, blank=True)  # validated upload, until processed
    size_bytes = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    variants = models.JSONField(default=dict, blank=True)
    phash = models.BigIntegerField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="media_item_progress"),
            models.CheckConstraint(condition=models.Q(kind__in=MediaKind.values), name="media_item_kind"),
            models.CheckConstraint(condition=models.Q(state__in=MediaState.values), name="media_item_state"),
        ]
        indexes = [
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="media_item_vault_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["phash"], name="media_item_phash_idx", condition=models.Q(phash__isnull=False)
            ),
            models.Index(fields=["state", "updated_at"], name="media_item_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.state})"

    def variant(self, name: str) -> dict[str, Any] | None:
        value = self.variants.get(name)
        return value if isinstance(value, dict) else None


class Album(models.Model):
    """A creator's named group of vault items (an item may be in several albums)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums")
    title = models.CharField(max_length=120)
    items = models.ManyToManyField(MediaItem, through="AlbumItem", related_name="albums")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="media_album_owner_idx")]

    def __str__(self) -> str:
        return self.title


class AlbumItem(models.Model):
    """Membership of a media item in an album."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE)
    media = models.ForeignKey(MediaItem, on_delete=models.CASCADE)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["album", "media"], name="media_album_item_unique")]

    def __str__(self) -> str:
        return f"{self.media_id} in {self.album_id}"


class MediaUsage(models.Model):
    """Where a vault item is used (a post, later a message): written by those apps' services.

    ``target_type`` is a stable name such as ``"content.post"``; ``target_id`` the object's id.
    """

    media = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="usages")
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["media", "target_type", "target_id"], name="media_usage_unique")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="media_usage_target_idx")]

    def __str__(self) -> str:
        return f"{self.media_id} used by {self.target_type}:{self.target_id}"
