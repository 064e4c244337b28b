"""Checkout and payout forms. Amounts are entered in major units and converted once, to minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from fanclub.billing.constants import (
    BUNDLE_MONTHS,
    GIFT_MONTHS,
    MAX_NOTE_LENGTH,
    Funding,
    PayoutSchedule,
    PromotionKind,
)

CARD_DIGITS = (12, 19)


class CheckoutForm(forms.Form):
    """Pay by card (the sandbox takes its documented test numbers) or with wallet credit."""

    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    funding = forms.ChoiceField(choices=Funding.choices, initial=Funding.CARD, widget=forms.RadioSelect)
    card_number = forms.CharField(required=False, max_length=30, label="Card number")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("funding") == Funding.CARD:
            number = "".join(ch for ch in data.get("card_number", "") if ch not in " -")
            if not number.isdigit() or not CARD_DIGITS[0] <= len(number) <= CARD_DIGITS[1]:
                self.add_error("card_number", "Enter the card number (12 to 19 digits).")
            data["card_number"] = number
        return data


class TipForm(CheckoutForm):
    amount = forms.DecimalField(
        label="Amount (USD)", min_value=Decimal("1.00"), max_value=Decimal("10000.00"), decimal_places=2
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE_LENGTH, widget=forms.Textarea, label="Note")

    def amount_minor(self) -> int:
        return int(self.cleaned_data["amount"] * 100)


class PayoutForm(forms.Form):
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    currency = forms.CharField(max_length=3, initial="USD", widget=forms.HiddenInput)
    amount = forms.DecimalField(
        required=False,
        label="Amount (leave empty for everything available)",
        min_value=Decimal("0.01"),
        decimal_places=2,
    )

    def amount_minor(self) -> int | None:
        amount = self.cleaned_data.get("amount")
        return None if amount is None else int(amount * 100)


class SubscribeForm(CheckoutForm):
    promo_code = forms.CharField(required=False, max_length=32, label="Promo code")


class GiftForm(CheckoutForm):
    recipient_handle = forms.CharField(max_length=150, label="Recipient's handle")
    months = forms.TypedChoiceField(
        choices=[(m, f"{m} month{'s' if m > 1 else ''}") for m in GIFT_MONTHS], coerce=int, initial=1
    )


class ChangeTierForm(forms.Form):
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    tier_id = forms.IntegerField(min_value=1)


class PromotionForm(forms.Form):
    """Amounts in major units (converted once); percentages as numbers like 25 or 12.5."""

    kind = forms.ChoiceField(choices=PromotionKind.choices)
    code = forms.CharField(max_length=32)
    tier_id = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Tier")
    trial_days = forms.IntegerField(required=False, min_value=0, label="Trial days")
    percent_off = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=Decimal("99"), decimal_places=2
    )
    amount_off = forms.DecimalField(
        required=False, min_value=Decimal("0"), decimal_places=2, label="Amount off (USD)"
    )
    discount_months = forms.IntegerField(required=False, min_value=0, label="Discounted months")
    bundle_months = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *((m, f"{m} months") for m in BUNDLE_MONTHS)],
    )
    max_redemptions = forms.IntegerField(required=False, min_value=1, label="Usage limit")
    expires_at = forms.DateTimeField(required=False, label="Expires (YYYY-MM-DD HH:MM, UTC)")
    is_public = forms.BooleanField(required=False, label="Show on the checkout page")

    def __init__(self, *args: Any, tiers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier_id"].choices = [("", "Every tier"), *((t.pk, t.name) for t in tiers)]  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "code": data["code"],
            "tier_id": data.get("tier_id"),
            "trial_days": data.get("trial_days") or 0,
            "discount_bps": int((data.get("percent_off") or 0) * 100),
            "discount_minor": int((data.get("amount_off") or 0) * 100),
            "discount_months": data.get("discount_months") or 0,
            "bundle_months": data.get("bundle_months") or 0,
            "max_redemptions": data.get("max_redemptions"),
            "expires_at": data.get("expires_at"),
            "is_public": bool(data.get("is_public")),
        }


class PayoutScheduleForm(forms.Form):
    schedule = forms.ChoiceField(choices=PayoutSchedule.choices)
