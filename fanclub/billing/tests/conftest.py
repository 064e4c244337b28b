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


@pytest.fixture
def fake_stripe(settings: Any) -> Any:
    """Stripe's API played by a local server; the deployment uses the Stripe processor."""
    from fanclub.billing.tests.fake_providers import STRIPE_TEST_KEY, FakeStripe

    with FakeStripe().running() as server:
        settings.BILLING_PROCESSOR = "stripe"
        settings.STRIPE_SECRET_KEY = STRIPE_TEST_KEY
        settings.STRIPE_API_BASE = server.url
        yield server


@pytest.fixture
def fake_ccbill(settings: Any) -> Any:
    """CCBill's RESTful API played by a local server; the deployment uses the CCBill processor."""
    from fanclub.billing.tests.fake_providers import CCBILL_CLIENT_ID, CCBILL_CLIENT_SECRET, FakeCCBill

    with FakeCCBill().running() as server:
        settings.BILLING_PROCESSOR = "ccbill"
        settings.CCBILL_CLIENT_ACCNUM = "900100"
        settings.CCBILL_CLIENT_SUBACC = "0000"
        settings.CCBILL_SALT = "salt"
        settings.CCBILL_API_CLIENT_ID = CCBILL_CLIENT_ID
        settings.CCBILL_API_CLIENT_SECRET = CCBILL_CLIENT_SECRET
        settings.CCBILL_API_BASE = server.url
        yield server
