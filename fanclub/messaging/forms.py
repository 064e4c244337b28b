"""Page forms. Amounts are entered in major units and converted once, to minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from fanclub.messaging.constants import MAX_REPORT_REASON, Audience, Gate


class SendForm(forms.Form):
    text = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea)
    media_ids = forms.MultipleChoiceField(required=False, choices=())
    price = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_value=Decimal("1000.00"), decimal_places=2
    )
    client_id = forms.CharField(required=False, max_length=64)
    card_number = forms.CharField(required=False, max_length=30)
    funding = forms.ChoiceField(required=False, choices=[("card", "Card"), ("wallet", "Wallet")])
    idempotency_key = forms.CharField(required=False, max_length=100)

    def __init__(self, *args: Any, media_choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["media_ids"].choices = media_choices or []  # type: ignore[attr-defined]

    def price_minor(self) -> int | None:
        price = self.cleaned_data.get("price")
        return None if price is None else int(price * 100)


class ReportForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REPORT_REASON, widget=forms.Textarea)


class SettingsForm(forms.Form):
    gate = forms.ChoiceField(choices=Gate.choices)
    min_tip = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), decimal_places=2, label="Minimum tip (USD)"
    )
    message_price = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), decimal_places=2, label="Price per message (USD)"
    )

    @staticmethod
    def minor(value: Decimal | None) -> int | None:
        return None if value is None else int(value * 100)


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=80)
    text = forms.CharField(max_length=4000, widget=forms.Textarea)


class MassMessageForm(forms.Form):
    audience = forms.ChoiceField(choices=Audience.choices)
    tier_id = forms.IntegerField(required=False)
    list_id = forms.IntegerField(required=False)
    text = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea)
    media_ids = forms.MultipleChoiceField(required=False, choices=())
    price = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_value=Decimal("1000.00"), decimal_places=2
    )

    def __init__(self, *args: Any, media_choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["media_ids"].choices = media_choices or []  # type: ignore[attr-defined]

    def price_minor(self) -> int | None:
        price = self.cleaned_data.get("price")
        return None if price is None else int(price * 100)
