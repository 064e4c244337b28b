"""Random sequences of every money operation; after each step the ledger invariants hold and
access matches what was paid (reliability.md L1-L3, L6, L7, L10)."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fanclub.accounts import services as account_services
from fanclub.accounts.constants import Role
from fanclub.billing import selectors, services
from fanclub.billing.constants import AccountKind, ChargeStatus
from fanclub.billing.models import Charge, Payout, WebhookEvent
from fanclub.billing.processors import SandboxCards, sandbox_event_build
from fanclub.billing.services.payments import Payment
from fanclub.billing.tests.factories import CARD, WALLET, make_payable, make_ppv_post, make_tier
from fanclub.billing.tests.helpers import assert_ledger_invariants
from fanclub.content.models import PostUnlock
from fanclub.core.errors import ApiError
from fanclub.creators import services as creator_services
from fanclub.creators.models import Membership

_counter = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    charges = Bundle("charges")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        n = next(_counter)
        self.fan = account_services.user_create(
            email=f"sm{n}f@example.com", handle=f"sm{n}f", password="a-long-test-password", role=Role.FAN
        )
        self.creator = account_services.user_create(
            email=f"sm{n}c@example.com", handle=f"sm{n}c", password="a-long-test-password", role=Role.FAN
        )
        creator_services.creator_become(user=self.creator, display_name="Creator")
        self.creator.refresh_from_db()
        make_payable(self.creator)
        self.post = make_ppv_post(self.creator, price_minor=700)
        self.tier = make_tier(self.creator, price_minor=1000)
        self.now = timezone.now()
        self.keys = itertools.count()
        self.events: list[tuple[bytes, dict[str, str]]] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _key(self) -> str:
        return f"k{next(self.keys)}"

    @rule(target=charges, amount=st.integers(min_value=100, max_value=50_000), chargeback=st.booleans())
    def tip_by_card(self, amount: int, chargeback: bool) -> Any:
        card = SandboxCards.CHARGEBACK_LATER if chargeback else SandboxCards.SUCCEEDS
        return services.tip_send(
            fan=self.fan,
            creator_handle=self.creator.handle,
            amount_minor=amount,
            currency="USD",
            payment=Payment(funding="card", token=card),
            idempotency_key=self._key(),
            note="hi",
        ).pk

    @rule(amount=st.integers(min_value=100, max_value=50_000))
    def top_up(self, amount: int) -> None:
        services.wallet_top_up(
            fan=self.fan, amount_minor=amount, currency="USD", payment=CARD, idempotency_key=self._key()
        )

    @rule(target=charges, amount=st.integers(min_value=100, max_value=20_000))
    def tip_from_wallet(self, amount: int) -> Any:
        before = selectors.balance(kind=AccountKind.FAN_WALLET, currency="USD", owner_id=self.fan.pk)
        try:
            # tip_send takes no savepoint inside a caller's transaction: give it one to fail in.
            with transaction.atomic():
                return services.tip_send(
                    fan=self.fan,
                    creator_handle=self.creator.handle,
                    amount_minor=amount,
                    currency="USD",
                    payment=WALLET,
                    idempotency_key=self._key(),
                ).pk
        except ApiError as exc:
            assert exc.code == "insufficient_wallet_credit" and before < amount
            return None

    @rule(target=charges)
    def unlock(self) -> Any:
        try:
            return services.post_unlock_buy(
                fan=self.fan, post_id=self.post.pk, payment=CARD, idempotency_key=self._key()
            ).pk
        except ApiError as exc:
            assert exc.code == "already_unlocked"
            return None

    @rule(target=charges, declined=st.booleans())
    def subscribe(self, declined: bool) -> Any:
        card = SandboxCards.DECLINED if declined else SandboxCards.SUCCEEDS
        try:
            subscription = services.subscription_create(
                fan=self.fan,
                tier_id=self.tier.pk,
                payment=Payment(funding="card", token=card),
                idempotency_key=self._key(),
            )
        except ApiError as exc:
            assert exc.code in ("already_subscribed", "card_declined")
            return None
        return Charge.objects.get(subscription=subscription).pk

    @rule()
    def renew(self) -> None:
        self.now += timedelta(days=31)
        services.subscriptions_renew_due(now=self.now)

    @rule()
    def cancel(self) -> None:
        for subscription in self.fan.subscriptions.filter(status="active"):
            services.subscription_cancel(fan=self.fan, subscription_id=subscription.pk)

    @rule()
    def release_holds(self) -> None:
        self.now += timedelta(days=8)
        services.holds_release_due(now=self.now)

    @rule(charge_id=charges, part=st.integers(min_value=1, max_value=100))
    def refund(self, charge_id: Any, part: int) -> None:
        if charge_id is None:
            return
        charge = Charge.objects.get(pk=charge_id)
        amount = max(1, (charge.amount_minor - charge.refunded_minor) * part // 100)
        try:
            services.charge_refund(charge_id=charge_id, amount_minor=amount)
        except ApiError as exc:
            assert exc.code in ("nothing_to_refund", "insufficient_wallet_credit")

    @rule(charge_id=charges)
    def chargeback(self, charge_id: Any) -> None:
        if charge_id is None:
            return
        charge = Charge.objects.get(pk=charge_id)
        if charge.funding != "card":
            return
        body, headers = sandbox_event_build(type="charge.disputed", data={"reference": charge.processor_ref})
        self.events.append((body, headers))
        self._deliver(body, headers)

    def _deliver(self, body: bytes, headers: dict[str, str]) -> None:
        event, _ = services.webhook_receive(processor="sandbox", body=body, headers=headers)
        services.webhook_event_process(event_pk=event.pk)  # what the job does

    @rule()
    def redeliver_a_webhook(self) -> None:
        if self.events:
            before = selectors.trial_balance(), list(WebhookEvent.objects.values_list("pk", flat=True))
            balances = selectors.balances_for_owner(owner_id=self.creator.pk)
            self._deliver(*self.events[-1])
            after = selectors.trial_balance(), list(WebhookEvent.objects.values_list("pk", flat=True))
            assert before == after
            assert balances == selectors.balances_for_owner(owner_id=self.creator.pk)

    @rule(fraction=st.integers(min_value=1, max_value=100), paid=st.booleans())
    def payout(self, fraction: int, paid: bool) -> None:
        available = selectors.balance(
            kind=AccountKind.CREATOR_AVAILABLE, currency="USD", owner_id=self.creator.pk
        )
        amount = available * fraction // 100
        try:
            payout = services.payout_request(creator=self.creator, currency="USD", amount_minor=amount)
        except ApiError as exc:
            assert exc.code == "amount_out_of_bounds"
            return
        services.payout_send(payout_id=payout.pk)
        payout.refresh_from_db()
        body, headers = sandbox_event_build(
            type="payout.paid" if paid else "payout.failed", data={"reference": payout.processor_ref}
        )
        self.events.append((body, headers))
        self._deliver(body, headers)

    @invariant()
    def ledger_holds(self) -> None:
        assert_ledger_invariants()

    @invariant()
    def money_is_conserved(self) -> None:
        # What came in through the processor = what the fan's wallet, the creator, the platform hold
        # + what went back out (refunds, chargebacks, payouts): the clearing account mirrors it all.
        balances = {
            kind: selectors.balance(kind=kind, currency="USD", owner_id=None)
            for kind in (AccountKind.PROCESSOR_CLEARING, AccountKind.PLATFORM_FEES, AccountKind.CHARGEBACKS)
        }
        owners = sum(selectors.balances_for_owner(owner_id=self.fan.pk).values()) + sum(
            selectors.balances_for_owner(owner_id=self.creator.pk).values()
        )
        assert sum(balances.values()) + owners == 0
        paid_in = sum(c.amount_minor - c.refunded_minor for c in Charge.objects.filter(funding="card"))
        paid_out = sum(p.amount_minor for p in Payout.objects.filter(status="paid"))
        assert -balances[AccountKind.PROCESSOR_CLEARING] == paid_in - paid_out

    @invariant()
    def access_matches_payments(self) -> None:
        unlocked = PostUnlock.objects.filter(fan_id=self.fan.pk, post_id=self.post.pk).exists()
        paid_unlock = Charge.objects.filter(
            fan_id=self.fan.pk,
            post_id=self.post.pk,
            kind="unlock",
            status__in=[ChargeStatus.SUCCEEDED, ChargeStatus.PARTIALLY_REFUNDED],
        ).exists()
        assert unlocked == paid_unlock
        member = Membership.objects.filter(
            fan_id=self.fan.pk, creator_id=self.creator.pk, status="active", current_period_end__gt=self.now
        ).exists()
        live = self.fan.subscriptions.filter(status="active", current_period_end__gt=self.now).exists()
        assert member == live
        json.dumps(selectors.earnings_summary(creator_id=self.creator.pk), default=str)


@pytest.mark.django_db
def test_ledger_state_machine(settings_fixture: None = None) -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
