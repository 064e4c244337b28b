from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from fanclub.core.schemas import ApiSchema


class UploadIn(ApiSchema):
    filename: str = Field(min_length=1, max_length=1000)
    size: int = Field(gt=0)


class UploadPartOut(ApiSchema):
    part_number: int
    etag: str | None = None
    size: int | None = None
    url: str | None = None


class UploadOut(ApiSchema):
    id: uuid.UUID
    protocol: str
    state: str
    filename: str
    size: int
    offset: int
    chunk_size: int
    expires_at: datetime
    media_id: uuid.UUID | None = None
    part_size: int | None = None
    parts: list[UploadPartOut] = []


class PartsIn(ApiSchema):
    part_numbers: list[int] = Field(min_length=1, max_length=100)


class PartsOut(ApiSchema):
    parts: list[UploadPartOut]


class VariantOut(ApiSchema):
    name: str
    url: str
    content_type: str
    width: int | None = None
    height: int | None = None
    expires_at: int


class UsageOut(ApiSchema):
    target_type: str
    target_id: str
    label: str


class MediaOut(ApiSchema):
    id: uuid.UUID
    kind: str
    state: str
    progress: int
    failure_reason: str
    original_filename: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    created_at: datetime
    ready_at: datetime | None
    is_possible_duplicate: bool
    variants: list[VariantOut]
    usages: list[UsageOut]


class MediaPageOut(ApiSchema):
    items: list[MediaOut]
    next_cursor: str | None


class AlbumIn(ApiSchema):
    title: str = Field(min_length=1, max_length=120)


class AlbumOut(ApiSchema):
    id: uuid.UUID
    title: str
    created_at: datetime


class AlbumPageOut(ApiSchema):
    items: list[AlbumOut]
    next_cursor: str | None
