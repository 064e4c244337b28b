"""Media API: resumable uploads, the vault, albums. Thin: parse, authorize, call one service."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Header, Query
from ninja.responses import Status

from fanclub.core.errors import ApiError, PermissionDenied
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.media import delivery, permissions, selectors, services
from fanclub.media.models import Album, MediaItem, Upload
from fanclub.media.schemas import (
    AlbumIn,
    AlbumOut,
    AlbumPageOut,
    MediaOut,
    MediaPageOut,
    PartsIn,
    PartsOut,
    UploadIn,
    UploadOut,
)

router = api_router(tags=["media"])
E = ErrorOut
ERRORS: dict[int, Any] = {
    400: E,
    401: E,
    403: E,
    404: E,
    409: E,
    410: E,
    413: E,
    415: E,
    422: E,
    429: E,
    503: E,
}
CHUNK_CONTENT_TYPES = ("application/offset+octet-stream", "application/octet-stream")


class VaultParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT
    album: uuid.UUID | None = None


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _uploader(request: HttpRequest) -> Any:
    if not permissions.can_upload(request.user):
        raise PermissionDenied("You may not upload media.")
    return request.user


def _upload_out(upload: Upload, *, parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": upload.id,
        "protocol": upload.protocol,
        "state": upload.state,
        "filename": upload.filename,
        "size": upload.size,
        "offset": upload.offset if not parts else sum(part["size"] for part in parts),
        "chunk_size": settings.MEDIA_UPLOAD_CHUNK_BYTES,
        "expires_at": upload.expires_at,
        "media_id": upload.media_id,
        "part_size": services.S3_PART_BYTES if upload.protocol == "s3-multipart" else None,
        "parts": [
            {"part_number": p["partNumber"], "etag": p["etag"], "size": p["size"]} for p in parts or []
        ],
    }


def media_out(media: MediaItem, request: HttpRequest) -> dict[str, Any]:
    """The item as its viewer sees it: signed URLs only for the variants the policy allows."""
    allowed = [
        name
        for name in media.variants
        if not name.startswith("_") and permissions.can_view_variant(request.user, media, name)
    ]
    urls = delivery.variant_urls(media=media, viewer=delivery.viewer_key(request), variants=allowed)
    return {
        "id": media.id,
        "kind": media.kind,
        "state": media.state,
        "progress": media.progress,
        "failure_reason": media.failure_reason,
        "original_filename": media.original_filename,
        "size_bytes": media.size_bytes,
        "width": media.width,
        "height": media.height,
        "duration_seconds": media.duration_seconds,
        "created_at": media.created_at,
        "ready_at": media.ready_at,
        "is_possible_duplicate": media.duplicate_of_id is not None,
        "variants": [{"name": name, **{k: v for k, v in data.items()}} for name, data in urls.items()],
        "usages": [
            {"target_type": usage.target_type, "target_id": usage.target_id, "label": usage.label}
            for usage in media.usages.all()
        ],
    }


def _album_out(album: Album) -> dict[str, Any]:
    return {"id": album.id, "title": album.title, "created_at": album.created_at}


# --- Uploads --------------------------------------------------------------------------------------
@router.post("/media/uploads", response={201: UploadOut, **ERRORS})
def create_upload(request: HttpRequest, payload: UploadIn) -> Status:
    upload = services.upload_create(owner=_uploader(request), filename=payload.filename, size=payload.size)
    return Status(201, _upload_out(upload))


@router.get("/media/uploads/{uuid:upload_id}", response={200: UploadOut, **ERRORS})
def get_upload(request: HttpRequest, upload_id: uuid.UUID) -> dict[str, Any]:
    upload = selectors.upload_get_for_owner(owner=_uploader(request), upload_id=upload_id)
    return _upload_out(upload, parts=services.upload_received_parts(upload=upload))


@router.patch("/media/uploads/{uuid:upload_id}", response={200: UploadOut, **ERRORS})
def upload_chunk(
    request: HttpRequest, upload_id: uuid.UUID, upload_offset: int = Header(..., alias="Upload-Offset")
) -> dict[str, Any]:
    """Append a chunk (body: raw bytes) at ``Upload-Offset`` (tus-style; 409 gives the right offset)."""
    owner = _uploader(request)
    if (request.content_type or "").lower() not in CHUNK_CONTENT_TYPES:
        raise ApiError(
            "Send chunks as application/offset+octet-stream.", code="unsupported_media_type", status=415
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise ApiError("Content-Length is required.", code="length_required", status=411) from None
    upload = services.upload_write_chunk(
        owner=owner, upload_id=upload_id, offset=upload_offset, length=length, stream=request
    )
    return _upload_out(upload)


@router.post("/media/uploads/{uuid:upload_id}/parts", response={200: PartsOut, **ERRORS})
def sign_upload_parts(request: HttpRequest, upload_id: uuid.UUID, payload: PartsIn) -> dict[str, Any]:
    parts = services.upload_presign_parts(
        owner=_uploader(request), upload_id=upload_id, part_numbers=payload.part_numbers
    )
    return {"parts": [{"part_number": p["partNumber"], "url": p["url"]} for p in parts]}


@router.post("/media/uploads/{uuid:upload_id}/complete", response={201: MediaOut, **ERRORS})
def complete_upload(request: HttpRequest, upload_id: uuid.UUID) -> Status:
    media = services.upload_complete(owner=_uploader(request), upload_id=upload_id)
    return Status(201, media_out(media, request))


@router.delete("/media/uploads/{uuid:upload_id}", response={204: None, **ERRORS})
def delete_upload(request: HttpRequest, upload_id: uuid.UUID) -> Status:
    services.upload_abort(owner=_uploader(request), upload_id=upload_id)
    return Status(204, None)


# --- Vault ----------------------------------------------------------------------------------------
@router.get("/media", response={200: MediaPageOut, **ERRORS})
def list_media(request: HttpRequest, params: Query[VaultParams]) -> dict[str, Any]:
    page = selectors.media_list_for_vault(
        owner=request.user, album_id=params.album, cursor=params.cursor, limit=params.limit
    )
    return {"items": [media_out(item, request) for item in page.items], "next_cursor": page.next_cursor}


@router.get("/media/{uuid:media_id}", response={200: MediaOut, **ERRORS})
def get_media(request: HttpRequest, media_id: uuid.UUID) -> dict[str, Any]:
    return media_out(selectors.media_get_for_owner(owner=request.user, media_id=media_id), request)


@router.delete("/media/{uuid:media_id}", response={204: None, **ERRORS})
def delete_media(request: HttpRequest, media_id: uuid.UUID) -> Status:
    services.media_delete(user=request.user, media_id=media_id)
    return Status(204, None)


# --- Albums ---------------------------------------------------------------------------------------
@router.get("/media/albums", response={200: AlbumPageOut, **ERRORS})
def list_albums(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.album_list_for_owner(owner=request.user, cursor=params.cursor, limit=params.limit)
    return {"items": [_album_out(album) for album in page.items], "next_cursor": page.next_cursor}


@router.post("/media/albums", response={201: AlbumOut, **ERRORS})
def create_album(request: HttpRequest, payload: AlbumIn) -> Status:
    return Status(201, _album_out(services.album_create(owner=_uploader(request), title=payload.title)))


@router.get("/media/albums/{uuid:album_id}", response={200: AlbumOut, **ERRORS})
def get_album(request: HttpRequest, album_id: uuid.UUID) -> dict[str, Any]:
    return _album_out(selectors.album_get_for_owner(owner=request.user, album_id=album_id))


@router.patch("/media/albums/{uuid:album_id}", response={200: AlbumOut, **ERRORS})
def update_album(request: HttpRequest, album_id: uuid.UUID, payload: AlbumIn) -> dict[str, Any]:
    return _album_out(services.album_update(owner=request.user, album_id=album_id, title=payload.title))


@router.delete("/media/albums/{uuid:album_id}", response={204: None, **ERRORS})
def delete_album(request: HttpRequest, album_id: uuid.UUID) -> Status:
    services.album_delete(owner=request.user, album_id=album_id)
    return Status(204, None)


@router.put("/media/albums/{uuid:album_id}/items/{uuid:media_id}", response={204: None, **ERRORS})
def add_album_item(request: HttpRequest, album_id: uuid.UUID, media_id: uuid.UUID) -> Status:
    services.album_item_add(owner=request.user, album_id=album_id, media_id=media_id)
    return Status(204, None)


@router.delete("/media/albums/{uuid:album_id}/items/{uuid:media_id}", response={204: None, **ERRORS})
def remove_album_item(request: HttpRequest, album_id: uuid.UUID, media_id: uuid.UUID) -> Status:
    services.album_item_remove(owner=request.user, album_id=album_id, media_id=media_id)
    return Status(204, None)
