from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fanclub.media import storage


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.MEDIA_STORAGE = "local"
    settings.RATE_LIMIT_ENABLED = False
    storage.get_storage.cache_clear()
    yield root
    storage.get_storage.cache_clear()
