"""allauth hooks: handle rules, date of birth, sign-in throttling, device sessions, security events.

allauth owns the flows (sign-up, verification, reset, MFA, social); these adapters call our
services at the points allauth exposes, so there are no signal receivers for domain logic.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import Http404, HttpRequest
from django.shortcuts import render

from fanclub.accounts import client as client_info
from fanclub.accounts import services, throttle, validators
from fanclub.accounts.constants import SecurityEventKind, SessionKind
from fanclub.accounts.models import User

DEVICE_SESSION_KEY = "_fc_device_session"

# allauth notification mails mark security-relevant changes; each one is recorded as an event.
_EVENT_BY_NOTIFICATION = {
    "account/email/password_changed": SecurityEventKind.PASSWORD_CHANGED,
    "account/email/password_set": SecurityEventKind.PASSWORD_CHANGED,
    "account/email/password_reset": SecurityEventKind.PASSWORD_RESET,
    "account/email/email_changed": SecurityEventKind.EMAIL_CHANGED,
    "mfa/email/totp_activated": SecurityEventKind.MFA_ENABLED,
    "mfa/email/totp_deactivated": SecurityEventKind.MFA_DISABLED,
    "mfa/email/recovery_codes_generated": SecurityEventKind.RECOVERY_CODES_GENERATED,
    "mfa/email/webauthn_added": SecurityEventKind.PASSKEY_ADDED,
    "mfa/email/webauthn_removed": SecurityEventKind.PASSKEY_REMOVED,
}
_CREDENTIAL_EVENTS = {SecurityEventKind.PASSWORD_CHANGED, SecurityEventKind.PASSWORD_RESET}


def start_web_session(request: HttpRequest, user: User) -> None:
    """Record the browser session that was just signed in (after the session key was cycled)."""
    session = services.device_session_start(
        user=user,
        kind=SessionKind.WEB,
        client=client_info.from_request(request),
        session_key=request.session.session_key,
    )
    request.session[DEVICE_SESSION_KEY] = str(session.pk)


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> str:
        try:
            handle = validators.validate_handle(username)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0], code=exc.code) from exc
        if not shallow and User.objects.filter(handle__iexact=handle).exists():
            raise forms.ValidationError("This handle is already taken.", code="handle_taken")
        return handle

    def save_user(self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=False)
            user.email = user.email.strip().lower()
            user.date_of_birth = form.cleaned_data.get("date_of_birth")
            if commit:
                user.save()
                services.user_avatar_queue(user=user)
                services.security_event_record(
                    user=user, kind=SecurityEventKind.SIGN_UP, client=client_info.from_request(request)
                )
        return user

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email") or credentials.get("username") or "")
        client = client_info.from_request(request)
        verdict = throttle.check(email=email, ip=client.ip)
        if not verdict.allowed:
            services.user_sign_in_failed(email=email, client=client, blocked=True)
            response = render(request, "429.html", {"message": verdict.message}, status=429)
            response["Retry-After"] = str(verdict.retry_after_seconds)
            raise ImmediateHttpResponse(response)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email") or credentials.get("username") or "")
        client = client_info.from_request(request)
        throttle.record_failure(email=email, ip=client.ip)
        services.user_sign_in_failed(email=email, client=client)

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        client = client_info.from_request(request)
        start_web_session(request, user)
        throttle.record_success(email=user.email, ip=client.ip)
        services.user_signed_in(user=user, client=client, method="web")

    def logout(self, request: HttpRequest) -> None:
        session_id = request.session.get(DEVICE_SESSION_KEY)
        user = request.user
        if session_id and user.is_authenticated:
            from fanclub.accounts.models import DeviceSession

            session = DeviceSession.objects.filter(pk=session_id, user=user).first()
            if session is not None:
                services.device_session_revoke(session=session, reason="signed_out", record=False)
            services.security_event_record(
                user=user,  # type: ignore[arg-type]
                kind=SecurityEventKind.SIGN_OUT,
                client=client_info.from_request(request),
            )
        super().logout(request)

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed and email_address.user_id:
            services.security_event_record(
                user=email_address.user,
                kind=SecurityEventKind.EMAIL_VERIFIED,
                client=client_info.from_request(request),
                details={"email": email_address.email},
            )
        return confirmed

    def send_notification_mail(
        self, template_prefix: str, user: Any, context: dict[str, Any] | None = None, email: str | None = None
    ) -> None:
        kind = _EVENT_BY_NOTIFICATION.get(template_prefix)
        request = self.request
        client = client_info.from_request(request) if request is not None else None
        if kind in _CREDENTIAL_EVENTS:
            keep = None
            if request is not None and getattr(request, "user", None) == user:
                keep = request.session.get(DEVICE_SESSION_KEY)
            services.user_credentials_changed(user=user, kind=kind, client=client, keep_session_id=keep)
        elif kind is not None:
            details = {k: v for k, v in (context or {}).items() if k in ("from_email", "to_email")}
            services.security_event_record(user=user, kind=kind, client=client, details=details)
        super().send_notification_mail(template_prefix, user, context, email)


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        return "Fanclub"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign-in with Google and X.

    - A provider is offered only when its credentials are configured (``SOCIALACCOUNT_PROVIDERS``
      "APPS", read per request): otherwise no button, and its URLs answer 404.
    - First sign-in always shows our sign-up form (handle rules, date of birth for the 18+ gate);
      the provider's email is prefilled and, when the provider says it is verified (Google), it
      needs no verification mail. X gives no email: the one typed in is verified by mail.
    - An email that already belongs to an account is never connected automatically: no account
      is created, the address gets allauth's "account already exists" mail (no enumeration), and
      its owner signs in and connects the provider from the connected-accounts page.
    """

    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("This sign-in provider is not configured.") from exc
