"""Billing events notify: tips, new subscribers, failed renewals, payouts (real billing services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fanclub.billing import services as billing
from fanclub.billing.models import Subscription
from fanclub.billing.processors import SandboxCards
from fanclub.billing.tests.factories import CARD, make_creator, make_payable, make_tier
from fanclub.notifications import constants as k
from fanclub.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _notices(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def test_a_tip_notifies_the_creator_through_a_job_once_per_charge(make_user, transactional_db, run_jobs):
    creator, fan = make_creator(make_user, "lena"), make_user(handle="fan")

    charge = billing.tip_send(
        fan=fan, creator_handle="lena", amount_minor=1250, currency="USD", payment=CARD, idempotency_key="t1"
    )
    assert _notices(creator, k.TIP_RECEIVED) == []  # the tip only deferred the job
    run_jobs(queues=[k.QUEUE])
    from fanclub.notifications import tasks

    tasks.notify_task(  # a retried job (same charge) does not notify twice
        recipient_id=creator.pk, kind=k.TIP_RECEIVED, actor_id=fan.pk, data={"charge_id": str(charge.pk)}
    )

    (notice,) = _notices(creator, k.TIP_RECEIVED)
    assert notice.actor_id == fan.pk
    assert notice.data == {"amount_minor": 1250, "currency": "USD", "charge_id": str(charge.pk)}


def test_a_subscription_notifies_the_creator_and_a_failed_renewal_the_fan(make_user):
    creator, fan = make_creator(make_user, "lena"), make_user(handle="fan")
    tier = make_tier(creator, price_minor=900)

    subscription = billing.subscription_create(fan=fan, tier_id=tier.pk, payment=CARD, idempotency_key="s1")

    (notice,) = _notices(creator, k.NEW_SUBSCRIBER)
    assert (notice.actor_id, notice.data["tier_name"]) == (fan.pk, tier.name)

    Subscription.objects.filter(pk=subscription.pk).update(payment_token=SandboxCards.DECLINED)
    billing.subscriptions_renew_due(now=subscription.current_period_end + timedelta(minutes=1))

    (problem,) = _notices(fan, k.PAYMENT_PROBLEM)
    assert problem.actor_id is None
    assert "could not be charged" in problem.data["reason"]


def test_a_payout_sent_notifies_the_creator(make_user, settings):
    settings.BILLING_MIN_PAYOUT_MINOR = 100
    creator, fan = make_creator(make_user, "lena"), make_user(handle="fan")
    make_payable(creator)
    billing.tip_send(
        fan=fan, creator_handle="lena", amount_minor=5000, currency="USD", payment=CARD, idempotency_key="a"
    )
    billing.holds_release_due(now=timezone.now() + timedelta(days=30))

    payout = billing.payout_send(payout_id=billing.payout_request(creator=creator, currency="USD").pk)

    (notice,) = _notices(creator, k.PAYOUT_SENT)
    assert notice.data == {
        "amount_minor": payout.amount_minor,
        "currency": "USD",
        "payout_id": str(payout.pk),
    }
