"""Signed, expiring, viewer-bound media URLs and per-viewer HLS playlists.

A URL is ``/media/d/<media_id>/<variant>/<file>?e=<expiry>&s=<signature>`` where the signature is
an HMAC (key derived from SECRET_KEY) over media id, variant, file, *viewer* and expiry. The viewer
is not in the URL: the delivery view recomputes it from the request (the signed-in user), so a URL
copied to another account does not verify. Anonymous visitors share one viewer key: they are only
ever given what anyone may see (public posts, blurred previews), and binding them to a session
would write a session row for every anonymous page view.
"""

from __future__ import annotations

import functools
import hmac
import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.crypto import salted_hmac

from fanclub.accounts.client import country_for_ip
from fanclub.core.middleware import client_ip
from fanclub.media.constants import Variant
from fanclub.media.models import MediaItem

_SALT = "fanclub.media.delivery.v1"
ANONYMOUS_VIEWER = "anon"


def viewer_key(request: HttpRequest) -> str:
    """Who the URL is bound to: ``u<user id>``, or ``anon`` for every anonymous visitor."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return ANONYMOUS_VIEWER


def viewer_country(request: HttpRequest) -> str:
    """ISO 3166-1 alpha-2 code of the client address ('' when private or unknown). Cached per request.

    The offline ``iptocc`` database; creators' geo-blocking (pages, API, delivery) all read this.
    """
    cached = getattr(request, "_fanclub_country", None)
    if cached is None:
        cached = country_for_ip(client_ip(request)).upper()
        request._fanclub_country = cached  # type: ignore[attr-defined]
    return str(cached)


def _signature(*, media_id: uuid.UUID, variant: str, file: str, viewer: str, expires: int) -> str:
    message = f"{media_id}|{variant}|{file}|{viewer}|{expires}"
    return salted_hmac(_SALT, message, algorithm="sha256").hexdigest()[:48]


# Names reverse() would put in the path unchanged (no percent-encoding): every name we generate.
_PLAIN_VARIANT = re.compile(r"[A-Za-z0-9_-]+")
_PLAIN_FILE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
_PROBE_ID = uuid.UUID(int=0)


@functools.lru_cache(maxsize=16)
def _deliver_prefix(script_prefix: str, urlconf: str | None) -> str:
    """``/media/d/`` as reverse() spells it under this script prefix and URLconf (found once)."""
    path = reverse("media:deliver", kwargs={"media_id": _PROBE_ID, "variant": "v", "file": "f"})
    return path.removesuffix(f"{_PROBE_ID}/v/f")


def deliver_path(*, media_id: uuid.UUID, variant: str, file: str) -> str:
    """``reverse("media:deliver", ...)`` without resolving the URL each time (a feed page signs a URL
    per image variant: reverse() cost ~45 us each, more than the signature)."""
    if _PLAIN_VARIANT.fullmatch(variant) and _PLAIN_FILE.fullmatch(file):
        return f"{_deliver_prefix(get_script_prefix(), get_urlconf())}{media_id}/{variant}/{file}"
    return reverse("media:deliver", kwargs={"media_id": media_id, "variant": variant, "file": file})


def signed_path(*, media_id: uuid.UUID, variant: str, file: str, viewer: str, expires: int) -> str:
    signature = _signature(media_id=media_id, variant=variant, file=file, viewer=viewer, expires=expires)
    path = deliver_path(media_id=media_id, variant=variant, file=file)
    return f"{path}?e={expires}&s={signature}"


def check_signature(
    *, media_id: uuid.UUID, variant: str, file: str, viewer: str, expires: int, signature: str
) -> bool:
    expected = _signature(media_id=media_id, variant=variant, file=file, viewer=viewer, expires=expires)
    return hmac.compare_digest(expected, signature)


def entry_file(media: MediaItem, variant: str) -> str | None:
    """The file name a variant is addressed by (HLS: its master playlist)."""
    entry = media.variant(variant)
    if entry is None:
        return None
    return "master.m3u8" if variant == Variant.HLS else str(entry["file"])


def variant_urls(
    *, media: MediaItem, viewer: str, variants: list[str], ttl: int | None = None, now: float | None = None
) -> dict[str, dict[str, Any]]:
    """Signed URLs for ``variants`` (the caller has checked the access policy for each)."""
    ttl = ttl or settings.MEDIA_URL_TTL_SECONDS
    expires = int(now if now is not None else time.time()) + ttl
    urls: dict[str, dict[str, Any]] = {}
    for name in variants:
        file = entry_file(media, name)
        if file is None:
            continue
        entry = media.variants[name]
        urls[name] = {
            "url": signed_path(media_id=media.id, variant=name, file=file, viewer=viewer, expires=expires),
            "contentType": entry.get("contentType", "application/octet-stream"),
            "width": entry.get("width"),
            "height": entry.get("height"),
            "expiresAt": expires,
        }
    return urls


def rewrite_playlist(*, text: str, media: MediaItem, playlist_file: str, viewer: str, expires: int) -> str:
    """Replace every URI of an HLS playlist with a signed URL for this viewer.

    Only files listed in the stored rendition are referenced; anything else is dropped.
    """
    allowed = set((media.variant(Variant.HLS) or {}).get("files", []))
    directory = playlist_file.rsplit("/", 1)[0] + "/" if "/" in playlist_file else ""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            target = directory + stripped
            if target not in allowed:
                continue
            line = signed_path(
                media_id=media.id, variant=Variant.HLS, file=target, viewer=viewer, expires=expires
            )
        elif "URI=" in stripped:
            continue  # keys, maps and alternative renditions are not produced by our pipeline
        lines.append(line)
    return "\n".join(lines) + "\n"
