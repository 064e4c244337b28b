"""Billing API: every money-moving operation takes an Idempotency-Key header."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja.responses import Status

from fanclub.accounts.auth import require_scope
from fanclub.accounts.models import User
from fanclub.billing import presenters, selectors, services
from fanclub.billing.constants import AccountKind
from fanclub.billing.schemas import (
    ChangeTierIn,
    ChargeOut,
    GiftIn,
    GiftOut,
    PayoutIn,
    PayoutOut,
    PayoutScheduleIn,
    PayoutScheduleOut,
    PromotionIn,
    PromotionOut,
    RefundIn,
    SubscribeIn,
    SubscriptionOut,
    TipIn,
    TopUpIn,
    UnlockIn,
    WalletOut,
)
from fanclub.billing.services.payments import Payment
from fanclub.core.schemas import ErrorOut, api_router

router = api_router(tags=["billing"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 402: E, 403: E, 404: E, 409: E, 422: E, 503: E}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _key(request: HttpRequest) -> str:
    return request.headers.get("Idempotency-Key", "")


def _payment(data: Any) -> Payment:
    return Payment(funding=data.funding, token=data.card_token)


def _once(request: HttpRequest, operation: str, params: dict[str, Any], run: Any) -> Status:
    user = _user(request)
    status, body = services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation=operation,
        params=params,
        run=lambda: (201, presenters.charge(run())),
    )
    return Status(status, body)


@router.post("/billing/tips", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def send_tip(request: HttpRequest, data: TipIn) -> Status:
    return _once(
        request,
        "send_tip",
        data.model_dump(),
        lambda: services.tip_send(
            fan=_user(request),
            creator_handle=data.creator_handle,
            amount_minor=data.amount_minor,
            currency=data.currency,
            payment=_payment(data.payment),
            idempotency_key=_key(request),
            post_id=data.post_id,
            note=data.note,
        ),
    )


@router.post("/billing/unlocks", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def unlock_post(request: HttpRequest, data: UnlockIn) -> Status:
    return _once(
        request,
        "unlock_post",
        data.model_dump(),
        lambda: services.post_unlock_buy(
            fan=_user(request),
            post_id=data.post_id,
            payment=_payment(data.payment),
            idempotency_key=_key(request),
        ),
    )


@router.post("/billing/wallet/top-ups", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def top_up_wallet(request: HttpRequest, data: TopUpIn) -> Status:
    return _once(
        request,
        "top_up_wallet",
        data.model_dump(),
        lambda: services.wallet_top_up(
            fan=_user(request),
            amount_minor=data.amount_minor,
            currency=data.currency,
            payment=Payment(funding="card", token=data.card_token),
            idempotency_key=_key(request),
        ),
    )


@router.get("/billing/wallet", response={200: list[WalletOut], **ERRORS})
@require_scope("billing")
def get_wallet(request: HttpRequest) -> list[dict[str, Any]]:
    balances = selectors.balances_for_owner(owner_id=_user(request).pk)
    return [
        {"currency": currency, "balance_minor": amount}
        for (kind, currency), amount in sorted(balances.items())
        if kind == AccountKind.FAN_WALLET
    ]


@router.get("/billing/charges", response={200: list[ChargeOut], **ERRORS})
@require_scope("billing")
def list_charges(request: HttpRequest) -> list[Any]:
    return list(selectors.charges_for_history(user_id=_user(request).pk).order_by("-created_at")[:100])


@router.post("/billing/subscriptions", response={201: SubscriptionOut, **ERRORS})
@require_scope("billing")
def create_subscription(request: HttpRequest, data: SubscribeIn) -> Status:
    user = _user(request)
    status, body = services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="create_subscription",
        params=data.model_dump(),
        run=lambda: (
            201,
            presenters.subscription(
                services.subscription_create(
                    fan=user,
                    tier_id=data.tier_id,
                    payment=_payment(data.payment),
                    idempotency_key=_key(request),
                    promo_code=data.promo_code,
                )
            ),
        ),
    )
    return Status(status, body)


@router.post("/billing/gifts", response={201: GiftOut, **ERRORS})
@require_scope("billing")
def create_gift(request: HttpRequest, data: GiftIn) -> Status:
    """Pay for another user's subscription (by handle) for 1, 3, 6 or 12 months."""
    user = _user(request)
    status, body = services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="create_gift",
        params=data.model_dump(),
        run=lambda: (
            201,
            presenters.gift(
                services.subscription_gift(
                    payer=user,
                    tier_id=data.tier_id,
                    recipient_handle=data.recipient_handle,
                    months=data.months,
                    payment=_payment(data.payment),
                    idempotency_key=_key(request),
                )
            ),
        ),
    )
    return Status(status, body)


@router.post(
    "/billing/subscriptions/{subscription_id}/change-tier", response={200: SubscriptionOut, **ERRORS}
)
@require_scope("billing")
def change_subscription_tier(request: HttpRequest, subscription_id: int, data: ChangeTierIn) -> Status:
    """Upgrade or downgrade now, prorated (docs/billing.md); takes an Idempotency-Key."""
    user = _user(request)
    status, body = services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="change_subscription_tier",
        params={"subscription_id": subscription_id, **data.model_dump()},
        run=lambda: (
            200,
            presenters.subscription(
                services.subscription_change_tier(
                    fan=user,
                    subscription_id=subscription_id,
                    tier_id=data.tier_id,
                    idempotency_key=_key(request),
                )
            ),
        ),
    )
    return Status(status, body)


@router.post("/billing/charges/{charge_id}/refunds", response={201: ChargeOut, **ERRORS})
@require_scope("billing")
def refund_charge(request: HttpRequest, charge_id: UUID, data: RefundIn) -> Status:
    """Refund all (no amount) or part of a charge: admins, or the creator who was paid."""
    return _once(
        request,
        "refund_charge",
        {"charge_id": str(charge_id), **data.model_dump()},
        lambda: services.charge_refund_request(
            actor=_user(request), charge_id=charge_id, amount_minor=data.amount_minor
        ),
    )


@router.get("/billing/promotions", response={200: list[PromotionOut], **ERRORS})
@require_scope("billing")
def list_promotions(request: HttpRequest) -> list[Any]:
    """The signed-in creator's promotions, newest first."""
    return list(selectors.promotions_for_creator(creator_id=_user(request).pk)[:200])


@router.post("/billing/promotions", response={201: PromotionOut, **ERRORS})
@require_scope("billing")
def create_promotion(request: HttpRequest, data: PromotionIn) -> Status:
    promotion = services.promotion_create(creator=_user(request), **data.model_dump())
    return Status(201, promotion)


@router.post("/billing/promotions/{promotion_id}/disable", response={200: PromotionOut, **ERRORS})
@require_scope("billing")
def disable_promotion(request: HttpRequest, promotion_id: int) -> Any:
    return services.promotion_disable(creator=_user(request), promotion_id=promotion_id)


@router.get("/billing/payouts/schedule", response={200: PayoutScheduleOut, **ERRORS})
@require_scope("billing")
def get_payout_schedule(request: HttpRequest) -> dict[str, Any]:
    return selectors.payout_schedule(creator_id=_user(request).pk)


@router.put("/billing/payouts/schedule", response={200: PayoutScheduleOut, **ERRORS})
@require_scope("billing")
def set_payout_schedule(request: HttpRequest, data: PayoutScheduleIn) -> dict[str, Any]:
    account = services.payout_schedule_set(creator=_user(request), schedule=data.schedule)
    return {"schedule": account.payout_schedule, "last_scheduled_payout_at": account.last_scheduled_payout_at}


@router.get("/billing/subscriptions", response={200: list[SubscriptionOut], **ERRORS})
@require_scope("billing")
def list_subscriptions(request: HttpRequest) -> list[Any]:
    return list(selectors.subscriptions_for_fan(fan_id=_user(request).pk)[:100])


@router.post("/billing/subscriptions/{subscription_id}/cancel", response={200: SubscriptionOut, **ERRORS})
@require_scope("billing")
def cancel_subscription(request: HttpRequest, subscription_id: int) -> Any:
    return services.subscription_cancel(fan=_user(request), subscription_id=subscription_id)


@router.post("/billing/payouts", response={201: PayoutOut, **ERRORS})
@require_scope("billing")
def request_payout(request: HttpRequest, data: PayoutIn) -> Status:
    user = _user(request)
    status, body = services.idempotent(
        user_id=user.pk,
        key=_key(request),
        operation="request_payout",
        params=data.model_dump(),
        run=lambda: (
            201,
            presenters.payout(
                services.payout_request(creator=user, currency=data.currency, amount_minor=data.amount_minor)
            ),
        ),
    )
    return Status(status, body)


@router.get("/billing/payouts", response={200: list[PayoutOut], **ERRORS})
@require_scope("billing")
def list_payouts(request: HttpRequest) -> list[Any]:
    return list(selectors.payouts_for_creator(creator_id=_user(request).pk)[:100])


@router.post("/billing/webhooks/{processor}", auth=None, response={200: dict, **ERRORS})
def receive_webhook(request: HttpRequest, processor: str) -> Any:
    """Processor webhooks: no session, the signature is the authentication."""
    _, created = services.webhook_receive(
        processor=processor,
        body=request.body,
        headers=dict(request.headers),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        params=request.GET.dict(),
    )
    return {"received": True, "duplicate": not created}
