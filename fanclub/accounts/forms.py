"""Sign-up forms: allauth's, plus date of birth (18+ age gate) and our handle rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
from django import forms
from django.utils import timezone

from fanclub.accounts import validators
from fanclub.accounts.constants import HANDLE_MAX_LENGTH, MINIMUM_AGE_YEARS


def _date_of_birth_field() -> forms.DateField:
    return forms.DateField(
        label="Date of birth",
        help_text=f"You must be {MINIMUM_AGE_YEARS} or older to join.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )


def _configure(form: forms.Form) -> None:
    handle = form.fields["username"]
    handle.label = "Handle"
    handle.help_text = "3-30 characters: letters, digits, dots and underscores. Shown publicly as @handle."
    handle.widget.attrs.update(
        {"placeholder": "yourname", "autocomplete": "username", "maxlength": str(HANDLE_MAX_LENGTH)}
    )
    form.fields["email"].widget.attrs.update({"maxlength": "254"})


class _DateOfBirthMixin:
    cleaned_data: dict[str, Any]

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        validators.validate_adult(born, timezone.localdate())
        return born


class SignupForm(_DateOfBirthMixin, AllauthSignupForm):
    date_of_birth = _date_of_birth_field()
    field_order = ["email", "username", "password1", "date_of_birth"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _configure(self)
        if "password1" in self.fields:
            self.fields["password1"].widget.attrs["maxlength"] = "1024"


class SocialSignupForm(_DateOfBirthMixin, AllauthSocialSignupForm):
    date_of_birth = _date_of_birth_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _configure(self)


class PasswordConfirmForm(forms.Form):
    """Re-enter the password before a destructive action (account deletion)."""

    password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
