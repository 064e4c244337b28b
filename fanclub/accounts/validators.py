"""Handle and password rules, shared by the web forms (allauth) and the JSON API."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

from fanclub.accounts.constants import (
    HANDLE_MAX_LENGTH,
    HANDLE_MIN_LENGTH,
    MINIMUM_AGE_YEARS,
    PASSWORD_MAX_LENGTH,
    RESERVED_HANDLES,
)

_HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._]*[a-z0-9])?$")


def normalize_handle(value: str) -> str:
    """NFKC-normalize and strip; case is kept for display, uniqueness is case-insensitive."""
    return unicodedata.normalize("NFKC", value).strip()


def validate_handle(value: str) -> str:
    """Return the normalized handle or raise ValidationError with a reason a person understands."""
    handle = normalize_handle(value)
    lowered = handle.lower()
    if not HANDLE_MIN_LENGTH <= len(handle) <= HANDLE_MAX_LENGTH:
        raise ValidationError(
            f"Handles are {HANDLE_MIN_LENGTH} to {HANDLE_MAX_LENGTH} characters long.", code="handle_length"
        )
    if not _HANDLE_RE.match(lowered):
        raise ValidationError(
            "Use only letters a-z, digits, dots and underscores, starting and ending with a letter or digit.",
            code="handle_charset",
        )
    if ".." in lowered or "__" in lowered:
        raise ValidationError("Handles cannot contain repeated dots or underscores.", code="handle_charset")
    if lowered.replace(".", "").replace("_", "") in RESERVED_HANDLES or lowered in RESERVED_HANDLES:
        raise ValidationError("This handle is reserved. Please choose another.", code="handle_reserved")
    return handle


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_adult(born: date, today: date) -> None:
    if born > today:
        raise ValidationError("Date of birth cannot be in the future.", code="date_of_birth_future")
    if age_on(born, today) < MINIMUM_AGE_YEARS:
        raise ValidationError(
            f"You must be at least {MINIMUM_AGE_YEARS} years old to join. No account was created.",
            code="under_age",
        )
    if age_on(born, today) > 130:
        raise ValidationError("Please enter your real date of birth.", code="date_of_birth_invalid")


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` characters (hashing cost is bounded, no truncation)."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long."


_LEET = str.maketrans(
    {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"}
)
_SITE_WORDS = ("fanclub", "onlyfans", "patreon", "subscribe", "creator")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz")


class BreachedPasswordValidator:
    """Offline check against the shapes that dominate breach corpora.

    A common password decorated with capitals, leetspeak and a trailing number or symbol
    (``P@ssw0rd2024!``) is as weak as the original; so are keyboard walks, one repeated character,
    and the site's own name. Checked against Django's bundled list of 20,000 common passwords.
    """

    def __init__(self) -> None:
        self._common = CommonPasswordValidator()

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
        candidates = {lowered, core, lowered.translate(_LEET), core.translate(_LEET)}
        candidates |= {re.sub(r"[\d\W_]+$", "", c.translate(_LEET)) for c in (lowered,)}
        if any(c and c in self._common.passwords for c in candidates):
            raise ValidationError(
                "This password is a common password with small changes; breached-password lists "
                "try those first. Choose something less predictable.",
                code="password_breached",
            )
        if len(set(lowered)) <= 2:
            raise ValidationError("This password repeats the same characters.", code="password_repetitive")
        if len(lowered) >= 6 and any(lowered in row or lowered in row[::-1] for row in _KEYBOARD_ROWS):
            raise ValidationError(
                "This password is a keyboard or alphabet sequence.", code="password_sequence"
            )
        stripped = lowered.translate(_LEET)
        if any(word in stripped and len(stripped) - len(word) < 6 for word in _SITE_WORDS):
            raise ValidationError("This password is too close to the site's name.", code="password_site_word")

    def get_help_text(self) -> str:
        return "Your password cannot be a common or breached password with small changes."
