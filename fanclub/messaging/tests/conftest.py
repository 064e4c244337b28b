from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fanclub.accounts.constants import Role
from fanclub.content.tests.factories import make_creator
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


@pytest.fixture
def creator(make_user: Callable[..., Any]) -> Any:
    return make_creator(make_user, "dm.creator")


@pytest.fixture
def fan(make_user: Callable[..., Any]) -> Any:
    fan = make_user(Role.FAN, handle="dm.fan")
    # An established account: the stricter new-account rate limit has its own tests.
    type(fan).objects.filter(pk=fan.pk).update(date_joined=fan.date_joined.replace(year=2020))
    fan.refresh_from_db()
    return fan
