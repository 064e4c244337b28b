"""Media pages (the creator's vault) and the one delivery endpoint for stored media."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.core import errors
from fanclub.core.errors import ApiError
from fanclub.media import delivery, permissions, selectors, services, storage
from fanclub.media.constants import MediaKind, MediaState, Variant
from fanclub.media.models import MediaItem

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _denied(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    response = errors.error_response(request, status=status, code=code, message=message)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def deliver(
    request: HttpRequest, media_id: uuid.UUID, variant: str, file: str
) -> HttpResponse | StreamingHttpResponse:
    """Stream one stored file after checking signature, expiry, viewer binding and access policy.

    Every request asks the access policy again, so a viewer who loses an entitlement gets 403 even
    with a URL that has not expired yet, and a visitor from a country the creator blocks gets 451
    (as the creator's pages and API answer them).
    """
    try:
        expires = int(request.GET.get("e", ""))
    except ValueError:
        return _denied(request, 403, "url_invalid", "This media link is invalid.")
    viewer = delivery.viewer_key(request)
    if not delivery.check_signature(
        media_id=media_id,
        variant=variant,
        file=file,
        viewer=viewer,
        expires=expires,
        signature=request.GET.get("s", ""),
    ):
        return _denied(request, 403, "url_invalid", "This media link is invalid or belongs to someone else.")
    now = int(time.time())
    if expires <= now:
        return _denied(request, 403, "url_expired", "This media link has expired.")
    media = selectors.media_for_delivery(media_id=media_id)
    if media is None:
        return _denied(request, 404, "not_found", "Not found.")
    try:
        allowed = permissions.can_view_variant(
            request.user, media, variant, country=delivery.viewer_country(request)
        )
    except ApiError as exc:  # a provider refused outright, e.g. 451 for a geo-blocked country
        return _denied(request, exc.status, exc.code, exc.message)
    if not allowed:
        return _denied(request, 403, "media_locked", "You may not view this media.")
    entry = media.variants[variant]
    prefix = storage.media_prefix(owner_id=media.owner_id, media_id=media.pk)
    if variant == Variant.HLS:
        if file not in entry.get("files", []):
            return _denied(request, 404, "not_found", "Not found.")
        key = f"{prefix}/{entry['file']}/{file}"
        if file.endswith(".m3u8"):
            return _playlist(request, media=media, key=key, file=file, viewer=viewer)
        content_type = "video/mp2t"
    else:
        if file != entry["file"]:
            return _denied(request, 404, "not_found", "Not found.")
        key = f"{prefix}/{file}"
        content_type = entry["contentType"]
    max_age = max(0, min(expires - now, settings.MEDIA_URL_TTL_SECONDS))
    return _stream(
        request,
        key=key,
        content_type=content_type,
        filename=f"{media.pk}-{file.replace('/', '-')}",
        cache=f"private, max-age={max_age}",
    )


def _playlist(request: HttpRequest, *, media: MediaItem, key: str, file: str, viewer: str) -> HttpResponse:
    # Segment links must outlive one TTL for a long video; they stay bound to this viewer and every
    # segment request is checked against the access policy again.
    expires = int(time.time()) + settings.MEDIA_URL_TTL_SECONDS + int(media.duration_seconds or 0)
    text = storage.get_storage().read_bytes(key).decode()
    body = delivery.rewrite_playlist(
        text=text, media=media, playlist_file=file, viewer=viewer, expires=expires
    )
    response = HttpResponse(body, content_type="application/vnd.apple.mpegurl")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stream(
    request: HttpRequest, *, key: str, content_type: str, filename: str, cache: str
) -> HttpResponse | StreamingHttpResponse:
    backend = storage.get_storage()
    size = backend.size(key)
    if size is None:
        return _denied(request, 404, "not_found", "Not found.")
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range", "")
    if header:
        match = _RANGE.match(header.strip())
        if match is None or match.group(1) == match.group(2) == "":
            return _unsatisfiable(size)
        first, last = match.groups()
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    length = end - start + 1
    response: HttpResponse | StreamingHttpResponse
    if request.method == "HEAD" or size == 0:
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            backend.open_range(key, start, end), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", filename)}"'
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


# --- The vault (creator studio) -------------------------------------------------------------------
def _card(media: MediaItem, request: HttpRequest) -> dict[str, Any]:
    preview = {
        MediaKind.IMAGE: Variant.THUMB_320,
        MediaKind.VIDEO: Variant.POSTER,
        MediaKind.AUDIO: Variant.WAVEFORM,
    }
    urls = (
        delivery.variant_urls(
            media=media, viewer=delivery.viewer_key(request), variants=[preview[MediaKind(media.kind)]]
        )
        if media.state == MediaState.READY
        else {}
    )
    thumb = next(iter(urls.values()), None)
    return {"media": media, "thumb": thumb["url"] if thumb else None}


@require_GET
@login_required
def vault(request: HttpRequest) -> HttpResponse:
    """The creator's media library: drag-and-drop upload, a grid that polls while items process."""
    album_id = _uuid_or_none(request.GET.get("album"))
    page = selectors.media_list_for_vault(
        owner=request.user, album_id=album_id, cursor=request.GET.get("cursor"), limit=48
    )
    context = {
        "cards": [_card(item, request) for item in page.items],
        "next_cursor": page.next_cursor,
        "busy": any(item.state in (MediaState.UPLOADED, MediaState.PROCESSING) for item in page.items),
        "albums": selectors.album_list_for_owner(owner=request.user, limit=100).items,
        "album_id": album_id,
        "chunk_size": settings.MEDIA_UPLOAD_CHUNK_BYTES,
    }
    template = "media/vault.html#grid" if request.headers.get("HX-Request") else "media/vault.html"
    return render(request, template, context)


@require_GET
@login_required
def vault_item(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    try:
        media = selectors.media_get_for_owner(owner=request.user, media_id=media_id)
    except ApiError as exc:
        raise Http404("No such media item") from exc
    urls = delivery.variant_urls(
        media=media,
        viewer=delivery.viewer_key(request),
        variants=[name for name in media.variants if not name.startswith("_")],
    )
    return render(
        request,
        "media/item.html",
        {
            "media": media,
            "urls": urls,
            "albums": selectors.album_list_for_owner(owner=request.user, limit=100).items,
        },
    )


@require_POST
@login_required
def album_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_upload(request.user):
        raise Http404
    title = request.POST.get("title", "").strip()
    if title:
        album = services.album_create(owner=request.user, title=title)
        return redirect(f"{_vault_url()}?album={album.pk}")
    messages.error(request, "Give the album a title.")
    return redirect(_vault_url())


@require_POST
@login_required
def album_add(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    album_id = _uuid_or_none(request.POST.get("album"))
    try:
        if album_id is None:
            raise ApiError("Choose an album.")
        services.album_item_add(owner=request.user, album_id=album_id, media_id=media_id)
        messages.success(request, "Added to the album.")
    except ApiError as exc:
        messages.error(request, exc.message)
    return redirect("media:vault-item", media_id=media_id)


@require_POST
@login_required
def item_delete(request: HttpRequest, media_id: uuid.UUID) -> HttpResponse:
    try:
        services.media_delete(user=request.user, media_id=media_id)
    except ApiError as exc:
        raise Http404 from exc
    messages.success(request, "Deleted.")
    return redirect(_vault_url())


def _vault_url() -> str:
    from django.urls import reverse

    return reverse("media:vault")


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
