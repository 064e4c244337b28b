from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fanclub.media import storage


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own private media folder (local backend)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.MEDIA_STORAGE = "local"
    storage.get_storage.cache_clear()
    yield root
    storage.get_storage.cache_clear()


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def owner(make_user: Callable[..., Any]) -> Any:
    return make_user(handle="creator")


@pytest.fixture
def owner_client(owner: Any) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def upload(
    client: Client, data: bytes, filename: str = "file.bin", *, chunk: int = 64 * 1024, complete: bool = True
) -> Any:
    """The browser's protocol: create, PATCH chunks with Upload-Offset, complete."""
    created = client.post(
        "/api/v1/media/uploads", {"filename": filename, "size": len(data)}, content_type="application/json"
    )
    if created.status_code != 201:
        return created
    upload_id = created.json()["id"]
    for offset in range(0, len(data), chunk):
        response = client.patch(
            f"/api/v1/media/uploads/{upload_id}",
            data[offset : offset + chunk],
            content_type="application/offset+octet-stream",
            headers={"Upload-Offset": str(offset)},
        )
        assert response.status_code == 200, response.content
    if not complete:
        return created
    return client.post(f"/api/v1/media/uploads/{upload_id}/complete")
