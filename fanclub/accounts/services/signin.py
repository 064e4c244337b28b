"""Password and second-factor checks for API sign-in (the web uses allauth's flows, same rules)."""

from __future__ import annotations

from django.contrib.auth import authenticate

from fanclub.accounts import throttle
from fanclub.accounts.client import ClientInfo
from fanclub.accounts.constants import SecurityEventKind
from fanclub.accounts.errors import EmailNotVerified, InvalidCredentials, InvalidMfaCode, SignInThrottled
from fanclub.accounts.models import User
from fanclub.accounts.services.events import security_event_record
from fanclub.accounts.services.tokens import TokenPair, token_pair_issue
from fanclub.accounts.services.users import user_sign_in_failed, user_signed_in

GENERIC_FAILURE = "The email or password is incorrect."


def _check_throttle(*, email: str, client: ClientInfo) -> None:
    verdict = throttle.check(email=email, ip=client.ip)
    if not verdict.allowed:
        user_sign_in_failed(email=email, client=client, blocked=True)
        raise SignInThrottled(verdict.message, retry_after_seconds=verdict.retry_after_seconds)


def email_is_verified(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def sign_in_password(*, email: str, password: str, client: ClientInfo) -> User:
    """The user whose password this is, or InvalidCredentials (same message whether or not the
    account exists; Django's backend hashes a dummy password for unknown emails)."""
    email = email.strip().lower()
    _check_throttle(email=email, client=client)
    user = authenticate(None, username=email, password=password)
    if user is None:
        throttle.record_failure(email=email, ip=client.ip)
        user_sign_in_failed(email=email, client=client)
        raise InvalidCredentials(GENERIC_FAILURE)
    assert isinstance(user, User)
    if not email_is_verified(user):
        raise EmailNotVerified("Verify your email address first: we sent you a link when you signed up.")
    return user


def mfa_code_verify(*, user: User, code: str, client: ClientInfo) -> None:
    """Accept a current TOTP code (each code once: allauth remembers used codes for the period) or
    an unused recovery code; failures count towards the same sign-in throttle."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    _check_throttle(email=user.email, client=client)
    code = code.strip().replace(" ", "")
    for authenticator in Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ):
        if authenticator.type == Authenticator.Type.TOTP and code.isdigit() and len(code) == 6:
            if TOTP(authenticator).validate_code(code):
                return
        elif authenticator.type == Authenticator.Type.RECOVERY_CODES and RecoveryCodes(
            authenticator
        ).validate_code(code):
            return
    throttle.record_failure(email=user.email, ip=client.ip)
    security_event_record(user=user, kind=SecurityEventKind.MFA_FAILED, client=client)
    raise InvalidMfaCode("The code is incorrect or was already used.")


def sign_in_complete(*, user: User, client: ClientInfo) -> TokenPair:
    throttle.record_success(email=user.email, ip=client.ip)
    user_signed_in(user=user, client=client, method="api")
    return token_pair_issue(user=user, client=client)
