"""Upload protocol, vault, albums, usages; and the access matrix of every media route."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fanclub.core.errors import ApiError
from fanclub.media import services
from fanclub.media.constants import MediaState
from fanclub.media.models import Album, AlbumItem, MediaItem, Upload
from fanclub.media.tests import corpus
from fanclub.media.tests.conftest import stored_files, upload

pytestmark = pytest.mark.django_db


def _create(client: Client, size: int, filename: str = "a.jpg") -> dict[str, Any]:
    response = client.post(
        "/api/v1/media/uploads", {"filename": filename, "size": size}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _patch(client: Client, upload_id: str, offset: int, data: bytes, **extra: Any) -> Any:
    return client.patch(
        f"/api/v1/media/uploads/{upload_id}",
        data,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
        **extra,
    )


def test_resumable_upload_protocol(owner_client: Client, media_root: Path, settings: Any) -> None:
    data = corpus.jpeg_with_gps((300, 200))
    created = _create(owner_client, len(data), "../../etc/<holiday>.jpg")
    assert created["protocol"] == "chunked"
    assert created["offset"] == 0 and created["size"] == len(data)
    assert created["filename"] == "holiday.jpg" or created["filename"] == "holiday>.jpg".replace(">", "")
    assert created["chunkSize"] == settings.MEDIA_UPLOAD_CHUNK_BYTES
    upload_id = created["id"]
    first = _patch(owner_client, upload_id, 0, data[:1000])
    assert first.status_code == 200 and first.json()["offset"] == 1000
    # The connection drops in the middle of the next chunk: fewer bytes arrive than announced.
    owner = Upload.objects.get(pk=upload_id).owner
    with pytest.raises(ApiError) as dropped:
        services.upload_write_chunk(
            owner=owner, upload_id=upload_id, offset=1000, length=4000, stream=io.BytesIO(data[1000:1500])
        )
    assert dropped.value.code == "upload_chunk_incomplete" and dropped.value.status == 400
    status = owner_client.get(f"/api/v1/media/uploads/{upload_id}").json()
    assert status["offset"] == 1000  # resume from what the server kept
    wrong = _patch(owner_client, upload_id, 0, data[:10])
    assert wrong.status_code == 409
    assert wrong.json()["error"] == wrong.json()["error"] | {
        "code": "upload_offset_mismatch",
        "details": {"offset": 1000},
    }
    early = owner_client.post(f"/api/v1/media/uploads/{upload_id}/complete")
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"
    assert _patch(owner_client, upload_id, 1000, data[1000:]).json()["offset"] == len(data)
    done = owner_client.post(f"/api/v1/media/uploads/{upload_id}/complete")
    assert done.status_code == 201
    body = done.json()
    assert body["kind"] == "image" and body["state"] == "uploaded" and body["variants"] == []
    again = owner_client.post(f"/api/v1/media/uploads/{upload_id}/complete")
    assert again.status_code == 201 and again.json()["id"] == body["id"]  # idempotent
    assert stored_files(media_root) == [f"{settings.MEDIA_STORAGE_ENV}/_uploads/{upload_id}"]


def test_chunk_rules(owner_client: Client, settings: Any) -> None:
    created = _create(owner_client, 100)
    too_far = _patch(owner_client, created["id"], 0, b"x" * 101)
    assert too_far.status_code == 413
    wrong_type = owner_client.patch(
        f"/api/v1/media/uploads/{created['id']}",
        b"x",
        content_type="text/plain",
        headers={"Upload-Offset": "0"},
    )
    assert wrong_type.status_code == 415
    settings.MEDIA_UPLOAD_CHUNK_BYTES = 10
    big = _patch(owner_client, created["id"], 0, b"x" * 11)
    assert big.status_code == 413 and big.json()["error"]["code"] == "upload_chunk_too_large"


def test_expired_upload_is_refused(owner_client: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    created = _create(owner_client, 10)
    Upload.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _patch(owner_client, created["id"], 0, b"x" * 10)
    assert response.status_code == 410 and response.json()["error"]["code"] == "upload_expired"


def test_abort_upload_removes_bytes(owner_client: Client, media_root: Path) -> None:
    created = _create(owner_client, 10)
    _patch(owner_client, created["id"], 0, b"x" * 5)
    assert owner_client.delete(f"/api/v1/media/uploads/{created['id']}").status_code == 204
    assert stored_files(media_root) == [] and Upload.objects.count() == 0


def test_vault_list_is_cursor_paginated_and_shows_usages(owner_client: Client, owner: Any) -> None:
    ids = [upload(owner_client, corpus.image_bytes("PNG"), f"{n}.png").json()["id"] for n in range(3)]
    services.media_usage_attach(
        user=owner, media_id=ids[0], target_type="content.post", target_id="42", label="Hi"
    )
    page = owner_client.get("/api/v1/media?limit=2").json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = owner_client.get(f"/api/v1/media?limit=2&cursor={page['nextCursor']}").json()
    assert [item["id"] for item in rest["items"]] == [ids[0]] and rest["nextCursor"] is None
    assert rest["items"][0]["usages"] == [{"targetType": "content.post", "targetId": "42", "label": "Hi"}]
    bad = owner_client.get("/api/v1/media?cursor=nonsense")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


def test_albums_crud_and_filter(owner_client: Client) -> None:
    media_id = upload(owner_client, corpus.image_bytes("PNG"), "a.png").json()["id"]
    upload(owner_client, corpus.image_bytes("PNG"), "b.png")
    album = owner_client.post(
        "/api/v1/media/albums", {"title": "Beach"}, content_type="application/json"
    ).json()
    assert album["title"] == "Beach"
    renamed = owner_client.patch(
        f"/api/v1/media/albums/{album['id']}", {"title": "Beach 2025"}, content_type="application/json"
    )
    assert renamed.json()["title"] == "Beach 2025"
    assert owner_client.put(f"/api/v1/media/albums/{album['id']}/items/{media_id}").status_code == 204
    assert owner_client.put(f"/api/v1/media/albums/{album['id']}/items/{media_id}").status_code == 204
    assert [i["id"] for i in owner_client.get(f"/api/v1/media?album={album['id']}").json()["items"]] == [
        media_id
    ]
    assert owner_client.get("/api/v1/media/albums").json()["items"][0]["id"] == album["id"]
    assert owner_client.get(f"/api/v1/media/albums/{album['id']}").status_code == 200
    assert owner_client.delete(f"/api/v1/media/albums/{album['id']}/items/{media_id}").status_code == 204
    assert AlbumItem.objects.count() == 0
    assert owner_client.delete(f"/api/v1/media/albums/{album['id']}").status_code == 204
    assert Album.objects.count() == 0 and MediaItem.objects.count() == 2


def test_media_usage_by_someone_else_is_refused(owner_client: Client, make_user: Callable[..., Any]) -> None:
    from fanclub.core.errors import PermissionDenied

    media_id = upload(owner_client, corpus.image_bytes("PNG"), "a.png").json()["id"]
    with pytest.raises(PermissionDenied):
        services.media_usage_attach(
            user=make_user(), media_id=media_id, target_type="content.post", target_id="1"
        )


# --- Access matrix: every media route x {anonymous, owner, other account} ---------------------------
def _routes(upload_id: str, media_id: str, album_id: str) -> list[tuple[str, str, Any, str]]:
    json = "application/json"
    return [
        ("post", "/api/v1/media/uploads", {"filename": "a.png", "size": 10}, json),
        ("get", f"/api/v1/media/uploads/{upload_id}", None, json),
        ("patch", f"/api/v1/media/uploads/{upload_id}", b"x", "application/offset+octet-stream"),
        ("post", f"/api/v1/media/uploads/{upload_id}/parts", {"partNumbers": [1]}, json),
        ("post", f"/api/v1/media/uploads/{upload_id}/complete", None, json),
        ("delete", f"/api/v1/media/uploads/{upload_id}", None, json),
        ("get", "/api/v1/media", None, json),
        ("get", f"/api/v1/media/{media_id}", None, json),
        ("delete", f"/api/v1/media/{media_id}", None, json),
        ("get", "/api/v1/media/albums", None, json),
        ("post", "/api/v1/media/albums", {"title": "x"}, json),
        ("get", f"/api/v1/media/albums/{album_id}", None, json),
        ("patch", f"/api/v1/media/albums/{album_id}", {"title": "y"}, json),
        ("delete", f"/api/v1/media/albums/{album_id}", None, json),
        ("put", f"/api/v1/media/albums/{album_id}/items/{media_id}", None, json),
        ("delete", f"/api/v1/media/albums/{album_id}/items/{media_id}", None, json),
    ]


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Upload.objects.values_list("id", "offset", "state").order_by("id")),
        list(MediaItem.objects.values_list("id", "state", "deleted_at").order_by("id")),
        list(Album.objects.values_list("id", "title").order_by("id")),
        AlbumItem.objects.count(),
    )


@pytest.fixture
def objects(owner_client: Client) -> tuple[str, str, str]:
    upload_id = _create(owner_client, 10)["id"]
    media_id = upload(owner_client, corpus.image_bytes("PNG"), "a.png").json()["id"]
    album_id = owner_client.post(
        "/api/v1/media/albums", {"title": "A"}, content_type="application/json"
    ).json()["id"]
    owner_client.put(f"/api/v1/media/albums/{album_id}/items/{media_id}")
    return upload_id, media_id, album_id


def test_anonymous_gets_401_on_every_media_api_route(objects: tuple[str, str, str]) -> None:
    anonymous = Client()
    before = _snapshot()
    for method, path, payload, content_type in _routes(*objects):
        data = payload if isinstance(payload, bytes) else (None if payload is None else payload)
        response = getattr(anonymous, method)(
            path, data, content_type=content_type, headers={"Upload-Offset": "0"}
        )
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "unauthorized"
    assert _snapshot() == before


def test_other_account_cannot_see_or_touch_the_owners_objects(
    objects: tuple[str, str, str], make_user: Callable[..., Any]
) -> None:
    other = Client()
    other.force_login(make_user(handle="intruder"))
    before = _snapshot()
    expected_ok = {
        ("post", "/api/v1/media/uploads"),
        ("get", "/api/v1/media"),
        ("get", "/api/v1/media/albums"),
        ("post", "/api/v1/media/albums"),
    }
    for method, path, payload, content_type in _routes(*objects):
        response = getattr(other, method)(
            path, payload, content_type=content_type, headers={"Upload-Offset": "0"}
        )
        if (method, path) in expected_ok:
            assert response.status_code in (200, 201), (method, path)
            if method == "get":
                assert response.json()["items"] == []  # nothing of the owner's
            continue
        assert response.status_code == 404, (method, path, response.status_code)
    after = _snapshot()
    # Only the intruder's own new upload and album appeared; nothing of the owner's changed.
    assert [row for row in after[0] if row in before[0]] == before[0]
    assert after[1] == before[1] and after[3] == before[3]


def test_pages_require_sign_in_and_show_only_own_items(
    objects: tuple[str, str, str], owner_client: Client, make_user: Callable[..., Any]
) -> None:
    _, media_id, _ = objects
    anonymous = Client()
    for path in ("/studio/vault/", f"/studio/vault/{media_id}/"):
        assert anonymous.get(path).status_code == 302
    assert anonymous.post("/studio/vault/albums/", {"title": "x"}).status_code == 302
    assert anonymous.post(f"/studio/vault/{media_id}/delete/").status_code == 302
    other = Client()
    other.force_login(make_user(handle="peeker"))
    assert other.get(f"/studio/vault/{media_id}/").status_code == 404
    assert other.post(f"/studio/vault/{media_id}/delete/").status_code == 404
    assert MediaItem.objects.get(pk=media_id).deleted_at is None
    page = owner_client.get("/studio/vault/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dropzone"' in html and "media/vault.js" in html and 'hx-trigger="every 2s' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style
    partial = owner_client.get("/studio/vault/", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<ul class="media-grid"')
    MediaItem.objects.update(state=MediaState.READY, progress=100)
    assert "every 2s" not in owner_client.get("/studio/vault/").content.decode()
    assert owner_client.get(f"/studio/vault/{uuid.uuid4()}/").status_code == 404
