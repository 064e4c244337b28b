"""Builders for content tests: real services, real media pipeline (run synchronously)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from fanclub.content import services as content_services
from fanclub.creators import services as creator_services
from fanclub.media import services as media_services
from fanclub.media.models import MediaItem


def make_creator(make_user: Any, handle: str, **persona: Any) -> Any:
    user = make_user(handle=handle)
    creator_services.creator_become(user=user, display_name=persona.pop("display_name", handle.title()))
    if persona:
        creator_services.creator_profile_update(user=user, **persona)
    user.refresh_from_db()
    return user


def png_bytes(color: tuple[int, int, int] = (200, 60, 90), size: tuple[int, int] = (96, 64)) -> bytes:
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((10, 10, 40, 40), fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def ready_media(owner: Any, data: bytes | None = None, filename: str = "photo.png") -> MediaItem:
    """Upload through the media services and process at once (the worker's code, in this thread)."""
    data = data or png_bytes()
    upload = media_services.upload_create(owner=owner, filename=filename, size=len(data))
    media_services.upload_write_chunk(
        owner=owner, upload_id=upload.pk, offset=0, length=len(data), stream=io.BytesIO(data)
    )
    media = media_services.upload_complete(owner=owner, upload_id=upload.pk)
    assert media_services.media_process(media_id=media.pk) == "ready"
    media.refresh_from_db()
    return media


def make_post(creator: Any, **fields: Any) -> Any:
    fields.setdefault("text", "hello fans")
    fields.setdefault("publish", True)
    return content_services.post_create(creator=creator, **fields)
