from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from fanclub.accounts import validators


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("Alice_99", "Alice_99"),
        ("\uff41\uff4c\uff49\uff43\uff45", "alice"),
        ("  bob.smith ", "bob.smith"),
    ],
)
def test_valid_handles_are_nfkc_normalized(raw, expected):
    assert validators.validate_handle(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ab", "handle_length"),
        ("a" * 31, "handle_length"),
        ("bad-dash", "handle_charset"),
        ("émile", "handle_charset"),
        ("_lead", "handle_charset"),
        ("trail.", "handle_charset"),
        ("a..b", "handle_charset"),
        ("has space", "handle_charset"),
        ("admin", "handle_reserved"),
        ("ADMIN", "handle_reserved"),
        ("Support", "handle_reserved"),
        ("a.p.i", "handle_reserved"),
        ("\uff41\uff44\uff4d\uff49\uff4e", "handle_reserved"),
    ],
)
def test_invalid_handles_are_refused_with_a_reason(raw, code):
    with pytest.raises(ValidationError) as info:
        validators.validate_handle(raw)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        (date(2008, 6, 15), True),
        (date(2008, 6, 16), False),
        (date(1990, 1, 1), True),
        (date(2030, 1, 1), False),
    ],
)
def test_age_gate_is_exact_to_the_day(born, ok):
    today = date(2026, 6, 15)
    if ok:
        validators.validate_adult(born, today)
    else:
        with pytest.raises(ValidationError):
            validators.validate_adult(born, today)


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "password",
        "P@ssw0rd2024!",
        "Password123",
        "qwertyuiop",
        "aaaaaaaaaaaa",
        "12345678901",
        "fanclub2024",
        "x" * 1025,
    ],
)
def test_weak_or_overlong_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "t7#Lq9!vRz2m", "é" * 8 + "ünïcode-pass", "Ab3$" * 256]
)
def test_strong_passwords_up_to_1024_characters_are_accepted(password):
    validate_password(password)


def test_passwords_are_not_truncated_at_72_bytes(settings):
    from django.contrib.auth.hashers import check_password, make_password

    settings.PASSWORD_HASHERS = ["fanclub.accounts.hashers.TunedArgon2PasswordHasher"]
    base = "z" * 80
    encoded = make_password(base + "A")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password(base + "A", encoded)
    assert not check_password(base + "B", encoded)
