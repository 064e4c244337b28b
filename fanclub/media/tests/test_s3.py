"""The S3 backend against a real S3-compatible HTTP server on loopback (moto): presigned multipart
uploads from the client, processing, layout, delivery with Range, and clean rejection."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from fanclub.media import storage
from fanclub.media.constants import MediaState, Variant
from fanclub.media.models import MediaItem, Upload
from fanclub.media.tests import corpus

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "fanclub-media-test"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server: str, settings: Any) -> Iterator[Any]:
    settings.MEDIA_STORAGE = "s3"
    settings.S3_BUCKET = BUCKET
    settings.S3_ENDPOINT_URL = s3_server
    settings.S3_ACCESS_KEY_ID = "test"
    settings.S3_SECRET_ACCESS_KEY = "test-secret"
    settings.S3_REGION = "us-east-1"
    storage.get_storage.cache_clear()
    backend = storage.get_storage()
    assert isinstance(backend, storage.S3Storage)
    backend.client.create_bucket(Bucket=BUCKET)
    yield backend.client
    for key in backend.list_keys(settings.MEDIA_STORAGE_ENV):
        backend.delete(key)
    for pending in backend.client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
        backend.client.abort_multipart_upload(Bucket=BUCKET, Key=pending["Key"], UploadId=pending["UploadId"])
    storage.get_storage.cache_clear()


def _keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _s3_upload(api: Client, data: bytes, filename: str) -> Any:
    created = api.post(
        "/api/v1/media/uploads", {"filename": filename, "size": len(data)}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["protocol"] == "s3-multipart"
    part_size = body["partSize"]
    count = max(1, -(-len(data) // part_size))
    signed = api.post(
        f"/api/v1/media/uploads/{body['id']}/parts",
        {"partNumbers": list(range(1, count + 1))},
        content_type="application/json",
    ).json()["parts"]
    for part in signed:
        start = (part["partNumber"] - 1) * part_size
        put = httpx.put(part["url"], content=data[start : start + part_size])
        assert put.status_code == 200
    status = api.get(f"/api/v1/media/uploads/{body['id']}").json()
    assert status["offset"] == len(data) and [p["partNumber"] for p in status["parts"]] == list(
        range(1, count + 1)
    )
    return api.post(f"/api/v1/media/uploads/{body['id']}/complete")


def test_s3_upload_process_and_deliver(
    s3: Any, owner_client: Client, owner: Any, run_jobs: Callable[..., None], settings: Any
) -> None:
    response = _s3_upload(owner_client, corpus.jpeg_with_gps((500, 300)), "s3.jpg")
    assert response.status_code == 201, response.content
    run_jobs(queues=["media"])
    media = MediaItem.objects.get(pk=response.json()["id"])
    assert media.state == MediaState.READY, media.failure_reason
    prefix = f"{settings.MEDIA_STORAGE_ENV}/{owner.pk}/{media.pk}"
    assert _keys(s3) == sorted(f"{prefix}/{entry['file']}" for entry in media.variants.values())
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert Upload.objects.count() == 0
    body = owner_client.get(f"/api/v1/media/{media.pk}").json()
    url = next(v["url"] for v in body["variants"] if v["name"] == Variant.ORIGINAL)
    full = owner_client.get(url)
    data = b"".join(full.streaming_content)  # type: ignore[attr-defined]
    assert full.status_code == 200 and data[:3] == b"\xff\xd8\xff" and b"SecretCam" not in data
    ranged = owner_client.get(url, headers={"Range": "bytes=2-5"})
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == data[2:6]  # type: ignore[attr-defined]
    assert owner_client.delete(f"/api/v1/media/{media.pk}").status_code == 204
    run_jobs(queues=["media"])
    assert _keys(s3) == []


def test_s3_malicious_upload_leaves_no_object(s3: Any, owner_client: Client) -> None:
    response = _s3_upload(owner_client, corpus.png_html_polyglot(), "x.png")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "media_polyglot_rejected"
    assert _keys(s3) == []
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert Upload.objects.count() == MediaItem.objects.count() == 0


def test_s3_incomplete_upload_is_refused_then_abandoned_upload_is_swept(
    s3: Any, owner_client: Client, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from fanclub.media import services

    created = owner_client.post(
        "/api/v1/media/uploads", {"filename": "a.mp4", "size": 1000}, content_type="application/json"
    ).json()
    early = owner_client.post(f"/api/v1/media/uploads/{created['id']}/complete")
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"
    assert len(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])) == 1
    counts = services.media_sweep(
        now=timezone.now() + timedelta(seconds=settings.MEDIA_UPLOAD_TTL_SECONDS + 1)
    )
    assert counts["uploads"] == 1
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert Upload.objects.count() == 0


def test_local_storage_refuses_unsafe_keys(tmp_path: Path) -> None:
    backend = storage.LocalStorage(tmp_path)
    for key in ("../etc/passwd", "/abs", "a/../../b", "a//b"):
        with pytest.raises(ValueError):
            backend.path(key)


def test_media_create_from_bytes_on_s3_goes_through_validation_and_the_pipeline(
    s3: Any, owner: Any, run_jobs: Callable[..., None], settings: Any
) -> None:
    from fanclub.media import services
    from fanclub.media.errors import MediaRejected

    with pytest.raises(MediaRejected) as rejected:
        services.media_create_from_bytes(owner=owner, filename="x.png", data=corpus.png_html_polyglot())
    assert rejected.value.code == "media_polyglot_rejected"
    assert _keys(s3) == [] and MediaItem.objects.count() == Upload.objects.count() == 0

    media = services.media_create_from_bytes(
        owner=owner, filename="../server made.jpg", data=corpus.jpeg_with_gps((320, 200))
    )
    assert (media.state, media.kind, media.original_filename) == (
        MediaState.UPLOADED,
        "image",
        "server made.jpg",
    )
    assert (media.width, media.height, media.source_format) == (320, 200, "jpg")
    assert _keys(s3) == [media.source_key] and media.source_key.startswith(
        f"{settings.MEDIA_STORAGE_ENV}/_uploads/"
    )
    assert Upload.objects.count() == 0
    run_jobs(queues=["media"])
    media.refresh_from_db()
    assert media.state == MediaState.READY, media.failure_reason
    prefix = f"{settings.MEDIA_STORAGE_ENV}/{owner.pk}/{media.pk}"
    assert _keys(s3) == sorted(f"{prefix}/{entry['file']}" for entry in media.variants.values())
