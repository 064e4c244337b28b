"""Banned and leaving accounts and subscriptions: nobody is charged for, or can subscribe to, a banned
creator, and neither a banned fan nor anyone who asked for their account's deletion is charged again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fanclub.accounts import services as accounts_services
from fanclub.billing import services
from fanclub.billing.constants import ChargeKind, SubscriptionStatus
from fanclub.billing.models import Charge
from fanclub.billing.tests.factories import CARD, make_creator, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants
from fanclub.core.errors import ApiError
from fanclub.creators.constants import MembershipStatus
from fanclub.creators.models import Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("banned", ["creator", "fan"])
def test_no_renewal_charge_once_either_side_is_banned(make_user, fan, banned):
    creator = make_creator(make_user, "ban.creator")
    tier = make_tier(creator, price_minor=1000)
    subscription = services.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s")
    moderator = make_user(handle="mod")
    accounts_services.user_ban(actor=moderator, user=creator if banned == "creator" else fan, reason="rules")

    services.subscriptions_renew_due(now=subscription.current_period_end + timedelta(seconds=1))

    assert not Charge.objects.filter(kind=ChargeKind.RENEWAL).exists()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELLED
    assert Membership.objects.get(fan=fan, creator=creator).status == MembershipStatus.CANCELLED
    assert_ledger_invariants()


@pytest.mark.parametrize("leaving", ["creator", "fan"])
def test_no_renewal_charge_once_either_side_asked_for_deletion(make_user, fan, leaving):
    creator = make_creator(make_user, "ban.creator")
    tier = make_tier(creator, price_minor=1000)
    subscription = services.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s")
    accounts_services.user_deletion_request(user=creator if leaving == "creator" else fan)

    services.subscriptions_renew_due(now=subscription.current_period_end + timedelta(seconds=1))

    assert not Charge.objects.filter(kind=ChargeKind.RENEWAL).exists()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELLED
    assert_ledger_invariants()


def test_an_active_pair_still_renews(make_user, fan):
    creator = make_creator(make_user, "ban.creator")
    tier = make_tier(creator, price_minor=1000)
    subscription = services.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s")

    services.subscriptions_renew_due(now=subscription.current_period_end + timedelta(seconds=1))

    assert Charge.objects.filter(kind=ChargeKind.RENEWAL).get().amount_minor == 1000
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_a_banned_creators_tier_cannot_be_subscribed_to(make_user, fan):
    creator = make_creator(make_user, "ban.creator")
    tier = make_tier(creator, price_minor=1000)
    accounts_services.user_ban(actor=make_user(handle="mod"), user=creator, reason="rules")

    with pytest.raises(ApiError) as refused:
        services.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s")

    assert (refused.value.status, refused.value.code) == (404, "tier_unavailable")
    assert not Charge.objects.exists()
    assert not Membership.objects.exists()
