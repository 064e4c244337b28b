"""Helpers shared by the accounts tests."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client

from fanclub.accounts.models import User

PASSWORD = "a-long-test-password"


def totp_now(secret: str, offset: int = 0) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // 30 + offset
    return format_hotp_value(hotp_value(secret, counter))


def enable_totp(user: User) -> str:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def recovery_codes(user: User) -> list[str]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    return RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()


def post_json(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(path, body, content_type="application/json", **extra)


def obtain_tokens(client: Client, user: User, password: str = PASSWORD) -> dict[str, Any]:
    response = post_json(client, "/api/v1/auth/token", {"email": user.email, "password": password})
    assert response.status_code == 200, response.content
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
