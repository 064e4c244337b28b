"""Checkout and payout forms. Amounts are entered in major units and converted once, to minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from fanclub.billing.constants import MAX_NOTE_LENGTH, Funding

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
