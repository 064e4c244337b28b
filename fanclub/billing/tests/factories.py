"""Builders for billing tests: real services only."""

from __future__ import annotations

from typing import Any

from fanclub.accounts.tests.factories import enable_totp
from fanclub.billing.models import PayoutAccount
from fanclub.billing.processors import SandboxCards
from fanclub.billing.services.payments import Payment
from fanclub.content import services as content_services
from fanclub.content.constants import Access
from fanclub.creators import services as creator_services

CARD = Payment(funding="card", token=SandboxCards.SUCCEEDS)
DECLINED = Payment(funding="card", token=SandboxCards.DECLINED)
WALLET = Payment(funding="wallet")


def make_creator(make_user: Any, handle: str) -> Any:
    user = make_user(handle=handle)
    creator_services.creator_become(user=user, display_name=handle.title())
    user.refresh_from_db()
    return user


def make_payable(creator: Any) -> None:
    """MFA plus a verified identity: what a payout needs."""
    enable_totp(creator)
    PayoutAccount.objects.update_or_create(creator=creator, defaults={"is_identity_verified": True})


def make_ppv_post(creator: Any, price_minor: int = 500) -> Any:
    return content_services.post_create(
        creator=creator, text="paid", access=Access.PPV, price_minor=price_minor, currency="USD", publish=True
    )


def make_tier(creator: Any, price_minor: int = 1000) -> Any:
    return creator_services.tier_create(user=creator, name=f"Gold {price_minor}", price_minor=price_minor)
