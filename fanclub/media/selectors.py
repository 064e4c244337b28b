"""Reads of the media app: the vault (owner's library), albums, usages, delivery lookups."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db.models import CharField, Prefetch, QuerySet
from django.db.models.functions import Cast

from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page, paginate
from fanclub.media.constants import PHASH_DUPLICATE_DISTANCE, MediaState
from fanclub.media.models import Album, MediaItem, MediaUsage, Upload

# fanclub.core.pagination encodes cursor values as JSON: UUID keys go in as their text (which sorts
# exactly like the uuid column in PostgreSQL).
VAULT_ORDER = ("-created_at", "-key")
_M = TypeVar("_M", MediaItem, Album)


def _with_key(queryset: QuerySet[_M]) -> QuerySet[_M]:
    return queryset.annotate(key=Cast("id", CharField()))


def media_qs_for_owner(*, owner: Any) -> QuerySet[MediaItem]:
    return MediaItem.objects.filter(owner_id=owner.pk, deleted_at__isnull=True)


def media_list_for_vault(
    *, owner: Any, album_id: uuid.UUID | None = None, cursor: str | None = None, limit: int = 20
) -> Page[MediaItem]:
    queryset = media_qs_for_owner(owner=owner).prefetch_related(
        Prefetch("usages", queryset=MediaUsage.objects.order_by("created_at", "id"))
    )
    if album_id is not None:
        queryset = queryset.filter(albumitem__album_id=album_id, albumitem__album__owner_id=owner.pk)
    return paginate(_with_key(queryset), ordering=VAULT_ORDER, cursor=cursor, limit=limit)


def media_get_for_owner(*, owner: Any, media_id: uuid.UUID) -> MediaItem:
    item = (
        media_qs_for_owner(owner=owner)
        .prefetch_related(
            Prefetch("usages", queryset=MediaUsage.objects.order_by("created_at", "id")), "albums"
        )
        .filter(pk=media_id)
        .first()
    )
    if item is None:
        raise NotFound("No such media item.")
    return item


def media_for_delivery(*, media_id: uuid.UUID) -> MediaItem | None:
    return MediaItem.objects.filter(pk=media_id, deleted_at__isnull=True, state=MediaState.READY).first()


def media_any_processing(*, owner: Any) -> bool:
    return (
        media_qs_for_owner(owner=owner)
        .filter(state__in=[MediaState.UPLOADED, MediaState.PROCESSING])
        .exists()
    )


def upload_get_for_owner(*, owner: Any, upload_id: uuid.UUID) -> Upload:
    upload = Upload.objects.filter(pk=upload_id, owner_id=owner.pk).first()
    if upload is None:
        raise NotFound("No such upload.")
    return upload


def album_list_for_owner(*, owner: Any, cursor: str | None = None, limit: int = 20) -> Page[Album]:
    return paginate(
        _with_key(Album.objects.filter(owner_id=owner.pk)), ordering=VAULT_ORDER, cursor=cursor, limit=limit
    )


def album_get_for_owner(*, owner: Any, album_id: uuid.UUID) -> Album:
    album = Album.objects.filter(pk=album_id, owner_id=owner.pk).first()
    if album is None:
        raise NotFound("No such album.")
    return album


def media_similar_from_other_accounts(*, media: MediaItem) -> MediaItem | None:
    """The oldest item of another account whose perceptual hash is within a few bits of this one.

    Only first uploads count (items already flagged are skipped), so a creator re-uploading their
    own picture after someone copied it is not flagged.

    A sequential scan over hashed images today (bit_count over XOR); a BK-tree or pgvector's bit
    HNSW index is the scale-out path.
    """
    if media.phash is None:
        return None
    return (
        MediaItem.objects.extra(
            where=["bit_count((phash # %s)::bit(64)) <= %s"], params=[media.phash, PHASH_DUPLICATE_DISTANCE]
        )
        .filter(phash__isnull=False, deleted_at__isnull=True, duplicate_of__isnull=True)
        .exclude(owner_id=media.owner_id)
        .order_by("created_at", "id")
        .first()
    )
