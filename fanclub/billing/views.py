"""Billing pages: checkout (subscribe, unlock, tip), history and receipts, subscriptions, creator
earnings, payouts and the CSV statement.

Thin views: each POST runs one service through ``services.idempotent`` with a key the server put
into the form, so a double submit (or a resubmitted page) charges once and lands on the same result.
After a failure the form comes back with a fresh key: the failed attempt stored nothing.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.accounts.models import User
from fanclub.billing import presenters, selectors, services
from fanclub.billing.constants import Funding
from fanclub.billing.forms import (
    ChangeTierForm,
    CheckoutForm,
    GiftForm,
    PayoutForm,
    PayoutScheduleForm,
    PromotionForm,
    SubscribeForm,
    TipForm,
)
from fanclub.billing.services.payments import Payment
from fanclub.content import selectors as content_selectors
from fanclub.content.constants import Access
from fanclub.core.errors import ApiError
from fanclub.creators import geo
from fanclub.creators.permissions import is_creator

CHART_DAYS = 30


def _me(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _payment(form: CheckoutForm) -> Payment:
    if form.cleaned_data["funding"] == Funding.WALLET:
        return Payment(funding=Funding.WALLET)
    return Payment(funding=Funding.CARD, token=form.cleaned_data["card_number"])


def _params(form: CheckoutForm) -> dict[str, Any]:
    """What the idempotency fingerprint covers besides the item (never the full card number)."""
    return {"funding": form.cleaned_data["funding"], "card": form.cleaned_data.get("card_number", "")[-4:]}


def _run_once(
    request: HttpRequest,
    form: Any,
    *,
    operation: str,
    params: dict[str, Any],
    run: Callable[[], Any],
) -> Any | None:
    """Run ``run`` once per form key; its stored body, or None with the error added to the form."""
    try:
        _, body = services.idempotent(
            user_id=_me(request).pk,
            key=form.cleaned_data["idempotency_key"],
            operation=operation,
            params=params,
            run=lambda: (201, run()),
        )
    except ApiError as exc:
        form.add_error(None, exc.message)
        return None
    return body


def _checkout_page(request: HttpRequest, form: Any, context: dict[str, Any]) -> HttpResponse:
    currency = context["currency"]
    return render(
        request,
        "billing/checkout.html",
        {
            **context,
            "form": form,
            "idempotency_key": _new_key(),
            "wallet_minor": selectors.wallet_balance(fan_id=_me(request).pk, currency=currency),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def checkout_subscribe(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = selectors.tier_for_checkout(tier_id=tier_id)
    if tier is None or tier.creator_id == _me(request).pk:
        raise Http404("No such tier")
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        promo_code = form.cleaned_data.get("promo_code", "")
        body = _run_once(
            request,
            form,
            operation="page_subscribe",
            params={"tier_id": tier.pk, "promo_code": promo_code, **_params(form)},
            run=lambda: presenters.subscription(
                services.subscription_create(
                    fan=_me(request),
                    tier_id=tier.pk,
                    payment=_payment(form),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    promo_code=promo_code,
                )
            ),
        )
        if body is not None:
            messages.success(request, f"You subscribed to {tier.name}. Welcome in!")
            return redirect("content:creator-profile", handle=tier.creator.handle)
    return _checkout_page(
        request,
        form,
        {
            "kind": "subscribe",
            "title": f"Subscribe to {tier.name}",
            "creator": tier.creator,
            "tier": tier,
            "amount_minor": tier.price_minor,
            "currency": tier.currency,
            "period": "month",
            "offers": selectors.promotions_public_for_tier(tier=tier),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def checkout_gift(request: HttpRequest, tier_id: int) -> HttpResponse:
    """Pay for someone else's subscription: 1, 3, 6 or 12 months, no renewal."""
    tier = selectors.tier_for_checkout(tier_id=tier_id)
    if tier is None or tier.creator_id == _me(request).pk:
        raise Http404("No such tier")
    form = GiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recipient = form.cleaned_data["recipient_handle"]
        months = form.cleaned_data["months"]
        body = _run_once(
            request,
            form,
            operation="page_gift",
            params={"tier_id": tier.pk, "recipient": recipient, "months": months, **_params(form)},
            run=lambda: presenters.gift(
                services.subscription_gift(
                    payer=_me(request),
                    tier_id=tier.pk,
                    recipient_handle=recipient,
                    months=months,
                    payment=_payment(form),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            ),
        )
        if body is not None:
            messages.success(
                request, f"Gift sent: @{body['recipientHandle']} has {tier.name} for {months} month(s)."
            )
            return redirect("billing:receipt", charge_id=body["chargeId"])
    return _checkout_page(
        request,
        form,
        {
            "kind": "gift",
            "title": f"Gift {tier.name}",
            "creator": tier.creator,
            "tier": tier,
            "amount_minor": tier.price_minor,
            "currency": tier.currency,
            "period": "month",
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def checkout_unlock(request: HttpRequest, post_id: int) -> HttpResponse:
    try:
        post = content_selectors.post_get_for_viewer(
            viewer=_me(request), post_id=post_id, country=geo.country_for_request(request)
        )
    except ApiError as exc:
        raise Http404("No such post") from exc
    if post.access != Access.PPV or not post.price_minor:
        raise Http404("This post is not for sale")
    if post.has_access:  # type: ignore[attr-defined]
        return redirect("content:post-detail", post_id=post.pk)
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = _run_once(
            request,
            form,
            operation="page_unlock",
            params={"post_id": post.pk, **_params(form)},
            run=lambda: presenters.charge(
                services.post_unlock_buy(
                    fan=_me(request),
                    post_id=post.pk,
                    payment=_payment(form),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    country=geo.country_for_request(request),
                )
            ),
        )
        if body is not None:
            messages.success(request, "Unlocked. Enjoy!")
            return redirect("content:post-detail", post_id=post.pk)
    return _checkout_page(
        request,
        form,
        {
            "kind": "unlock",
            "title": "Unlock this post",
            "creator": post.creator,
            "amount_minor": post.price_minor,
            "currency": post.currency,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def checkout_tip(request: HttpRequest, handle: str) -> HttpResponse:
    creator = selectors.creator_for_tip(handle=handle)
    if creator is None or creator.pk == _me(request).pk:
        raise Http404("No such creator")
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        amount_minor = form.amount_minor()
        note = form.cleaned_data["note"]
        body = _run_once(
            request,
            form,
            operation="page_tip",
            params={"creator": creator.pk, "amount_minor": amount_minor, "note": note, **_params(form)},
            run=lambda: presenters.charge(
                services.tip_send(
                    fan=_me(request),
                    creator_handle=creator.handle,
                    amount_minor=amount_minor,
                    currency="USD",
                    payment=_payment(form),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    note=note,
                )
            ),
        )
        if body is not None:
            messages.success(request, "Thank you! Your tip was sent.")
            return redirect("billing:receipt", charge_id=body["id"])
    return _checkout_page(
        request,
        form,
        {"kind": "tip", "title": f"Tip @{creator.handle}", "creator": creator, "currency": "USD"},
    )


@require_GET
@login_required
def history(request: HttpRequest) -> HttpResponse:
    charges = selectors.charges_for_history(user_id=_me(request).pk).order_by("-created_at")[:200]
    return render(request, "billing/history.html", {"charges": charges})


@require_GET
@login_required
def receipt(request: HttpRequest, charge_id: Any) -> HttpResponse:
    charge = selectors.charge_get_for_fan(fan_id=_me(request).pk, charge_id=charge_id)
    if charge is None:
        raise Http404("No such receipt")
    return render(request, "billing/receipt.html", {"charge": charge})


@require_GET
@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.subscriptions_for_fan(fan_id=_me(request).pk)[:200])
    for row in rows:
        changeable = row.status == "active" and row.gifted_by_id is None
        row.change_tiers = selectors.tiers_for_change(subscription=row) if changeable else []  # type: ignore[attr-defined]
    return render(
        request, "billing/subscriptions.html", {"subscriptions": rows, "idempotency_key": _new_key()}
    )


@require_POST
@login_required
def subscription_change_tier(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Upgrade or downgrade now, prorated; the form's key makes a double submit change once."""
    if not selectors.subscriptions_for_fan(fan_id=_me(request).pk).filter(pk=subscription_id).exists():
        raise Http404("No such subscription")
    form = ChangeTierForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a tier.")
        return redirect("billing:subscriptions")
    tier_id = form.cleaned_data["tier_id"]
    try:
        body = services.idempotent(
            user_id=_me(request).pk,
            key=form.cleaned_data["idempotency_key"],
            operation="page_change_tier",
            params={"subscription_id": subscription_id, "tier_id": tier_id},
            run=lambda: (
                200,
                presenters.subscription(
                    services.subscription_change_tier(
                        fan=_me(request),
                        subscription_id=subscription_id,
                        tier_id=tier_id,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                    )
                ),
            ),
        )[1]
    except ApiError as exc:
        if exc.status == 404 and exc.code == "not_found":
            raise Http404("No such subscription") from exc
        messages.error(request, exc.message)
    else:
        end = body["currentPeriodEnd"][:10]
        messages.success(request, f"Tier changed. Your new period runs until {end}.")
    return redirect("billing:subscriptions")


@require_POST
@login_required
def subscription_action(request: HttpRequest, subscription_id: int, action: str) -> HttpResponse:
    """Cancel at period end, or resume before it."""
    actions = {"cancel": services.subscription_cancel, "resume": services.subscription_resume}
    if action not in actions:
        raise Http404("No such action")
    try:
        subscription = actions[action](fan=_me(request), subscription_id=subscription_id)
    except ApiError as exc:
        if exc.status == 404:
            raise Http404("No such subscription") from exc
        messages.error(request, exc.message)
    else:
        end = subscription.current_period_end.date().isoformat()
        messages.success(
            request,
            f"Cancelled: access lasts until {end}." if action == "cancel" else "Resumed: it renews as usual.",
        )
    return redirect("billing:subscriptions")


def _creator_or_403(request: HttpRequest) -> None:
    if not is_creator(_me(request)):
        raise PermissionDenied("Creators only")


def _chart(daily: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Daily net earnings of the last CHART_DAYS days as SVG bar geometry (no inline styles)."""
    today = timezone.localdate()
    days = [today - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)]
    net = {row["day"]: row["net_minor"] for row in daily if row["currency"] == currency}
    top = max([*net.values(), 1])
    height, bar, gap = 120, 16, 4
    bars = []
    for index, day in enumerate(days):
        amount = net.get(day, 0)
        h = round(height * amount / top) if amount > 0 else 0
        bars.append(
            {
                "day": day,
                "net_minor": amount,
                "x": index * (bar + gap),
                "y": height - h,
                "height": h,
                "width": bar,
            }
        )
    return {"bars": bars, "width": CHART_DAYS * (bar + gap), "height": height, "currency": currency}


@require_GET
@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    _creator_or_403(request)
    summary = selectors.earnings_summary(creator_id=_me(request).pk)
    since = timezone.now() - timedelta(days=CHART_DAYS)
    daily = selectors.earnings_daily(creator_id=_me(request).pk, since=since)
    currency = summary["balances"][0]["currency"] if summary["balances"] else "USD"
    return render(request, "billing/earnings.html", {"summary": summary, "chart": _chart(daily, currency)})


@require_http_methods(["GET", "POST"])
@login_required
def payouts(request: HttpRequest) -> HttpResponse:
    _creator_or_403(request)
    blocker = selectors.payout_blocker(creator=_me(request))
    form = PayoutForm(request.POST or None)
    if request.method == "POST" and blocker is None and form.is_valid():
        currency = form.cleaned_data["currency"]
        amount_minor = form.amount_minor()
        body = _run_once(
            request,
            form,
            operation="page_payout",
            params={"currency": currency, "amount_minor": amount_minor},
            run=lambda: presenters.payout(
                services.payout_request(creator=_me(request), currency=currency, amount_minor=amount_minor)
            ),
        )
        if body is not None:
            messages.success(request, "Payout requested. It is on its way.")
            return redirect("billing:payouts")
    summary = selectors.earnings_summary(creator_id=_me(request).pk)
    return render(
        request,
        "billing/payouts.html",
        {
            "blocker": blocker,
            "form": form,
            "idempotency_key": _new_key(),
            "balances": summary["balances"],
            "minimum_minor": settings.BILLING_MIN_PAYOUT_MINOR,
            "payouts": selectors.payouts_for_creator(creator_id=_me(request).pk)[:100],
            "schedule": selectors.payout_schedule(creator_id=_me(request).pk),
            "schedule_form": PayoutScheduleForm(),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@login_required
def payout_schedule(request: HttpRequest) -> HttpResponse:
    _creator_or_403(request)
    form = PayoutScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose off, weekly or monthly.")
        return redirect("billing:payouts")
    try:
        account = services.payout_schedule_set(creator=_me(request), schedule=form.cleaned_data["schedule"])
    except ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Automatic payouts: {account.get_payout_schedule_display().lower()}.")
    return redirect("billing:payouts")


@require_http_methods(["GET", "POST"])
@login_required
def promotions(request: HttpRequest) -> HttpResponse:
    """A creator's promotions: the list, and a form to create one."""
    _creator_or_403(request)
    from fanclub.creators.models import Tier

    tiers = list(Tier.objects.filter(creator_id=_me(request).pk, is_archived=False).order_by("price_minor"))
    form = PromotionForm(request.POST if request.method == "POST" else None, tiers=tiers)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_create(creator=_me(request), **form.service_kwargs())
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Promotion {promotion.code} created.")
            return redirect("billing:promotions")
    return render(
        request,
        "billing/promotions.html",
        {"form": form, "promotions": selectors.promotions_for_creator(creator_id=_me(request).pk)[:200]},
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@login_required
def promotion_disable(request: HttpRequest, promotion_id: int) -> HttpResponse:
    _creator_or_403(request)
    try:
        promotion = services.promotion_disable(creator=_me(request), promotion_id=promotion_id)
    except ApiError as exc:
        raise Http404("No such promotion") from exc
    messages.success(request, f"Promotion {promotion.code} disabled.")
    return redirect("billing:promotions")


@require_GET
@login_required
def statement_csv(request: HttpRequest) -> HttpResponse:
    """Creators: their earnings, charge by charge (gross, fee, net). Fans: what they paid."""
    as_creator = is_creator(_me(request))
    charges = (
        selectors.charges_for_creator(creator_id=_me(request).pk)
        if as_creator
        else selectors.charges_for_fan(fan_id=_me(request).pk)
    ).order_by("created_at")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fanclub-statement.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "charge_id",
            "kind",
            "funding",
            "status",
            "currency",
            "gross_minor",
            "fee_minor",
            "net_minor",
            "refunded_minor",
        ]
    )
    for charge in charges.iterator(chunk_size=500):
        writer.writerow(
            [
                charge.created_at.isoformat(),
                charge.pk,
                charge.kind,
                charge.funding,
                charge.status,
                charge.currency,
                charge.amount_minor,
                charge.fee_minor,
                charge.amount_minor - charge.fee_minor,
                charge.refunded_minor,
            ]
        )
    return response
