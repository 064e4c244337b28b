from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fanclub.accounts.constants import Role


@pytest.fixture
def fan(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.FAN, handle="bill.fan")


@pytest.fixture
def creator(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.CREATOR, handle="bill.creator")
