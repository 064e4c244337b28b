from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as django_logout
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query
from ninja.responses import Status

from fanclub.accounts import client as client_info
from fanclub.accounts import permissions, selectors, services
from fanclub.accounts.adapters import DEVICE_SESSION_KEY
from fanclub.accounts.auth import INTERACTIVE_AUTH
from fanclub.accounts.constants import SecurityEventKind
from fanclub.accounts.errors import InvalidCredentials, InvalidToken
from fanclub.accounts.models import ApiToken, DeviceSession, SecurityEvent, User
from fanclub.accounts.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    BanIn,
    CreatorOut,
    CreatorPageOut,
    DeletionOut,
    DetailOut,
    MeIn,
    MeOut,
    MfaTokenIn,
    PasswordIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RevokedOut,
    SecurityEventOut,
    SecurityEventPageOut,
    SecurityStatusOut,
    SessionOut,
    SignupIn,
    TokenIn,
    TokenOut,
    VerifyEmailIn,
)
from fanclub.core.errors import ApiError, NotFound, PermissionDenied
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router

router = api_router(tags=["accounts"])
E = ErrorOut
AUTH_ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 422: E, 429: E}


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _creator_out(user: User) -> CreatorOut:
    return CreatorOut(
        handle=user.handle,
        display_name=user.name,
        avatar_url=reverse("accounts:avatar", args=[user.handle]) if user.avatar else None,
        joined_at=user.date_joined,
    )


def _token_out(pair: services.TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        session_id=str(pair.session_id),
    )


_FORM_FIELDS = {"username": "handle", "password1": "password", "date_of_birth": "dateOfBirth"}


def _form_error(form: Any, message: str = "The request did not pass validation.") -> ApiError:
    details = [
        {"loc": ["body", _FORM_FIELDS.get(field, field)], "msg": str(error), "type": "value_error"}
        for field, errors in form.errors.items()
        for error in errors
    ]
    return ApiError(message, code="validation_error", status=422, details=details)


def _current_session_id(request: HttpRequest) -> str | None:
    session_id = getattr(request, "auth_session_id", None)
    if session_id is None and hasattr(request, "session"):
        session_id = request.session.get(DEVICE_SESSION_KEY)
    return str(session_id) if session_id else None


# --- Public ---------------------------------------------------------------------------------------


@router.get("/creators", auth=None, response={200: CreatorPageOut, 400: ErrorOut, 422: ErrorOut})
def list_creators(request: HttpRequest, params: Query[ListParams]) -> CreatorPageOut:
    """Public personas of creators, newest first."""
    page = selectors.creator_list(cursor=params.cursor, limit=params.limit)
    return CreatorPageOut(items=[_creator_out(user) for user in page.items], next_cursor=page.next_cursor)


# --- Sign-up, verification, password reset (public) ------------------------------------------------


@router.post("/auth/signup", auth=None, response={202: DetailOut, 400: E, 422: E, 429: E})
def create_account(request: HttpRequest, payload: SignupIn) -> Status[DetailOut]:
    """Create an account (18+). The same rules as the web form; the response never says whether
    the email was already registered (the owner of that address gets an email instead)."""
    from fanclub.accounts.forms import SignupForm

    form = SignupForm(
        data={
            "email": payload.email,
            "username": payload.handle,
            "password1": payload.password,
            "date_of_birth": payload.date_of_birth.isoformat(),
        }
    )
    if not form.is_valid():
        raise _form_error(form)
    user, _response = form.try_save(request)
    if user is not None:
        from allauth.account.internal.flows.email_verification import send_verification_email_for_user

        send_verification_email_for_user(request, user)
    return Status(202, DetailOut(detail="Check your email for a link to verify your address."))


@router.post("/auth/verify-email", auth=None, response={200: DetailOut, 400: E, 422: E, 429: E})
def verify_email(request: HttpRequest, payload: VerifyEmailIn) -> DetailOut:
    """Confirm an email address with the key from the verification link."""
    from allauth.account.models import EmailConfirmationHMAC

    confirmation = EmailConfirmationHMAC.from_key(payload.key)
    if confirmation is None or not confirmation.confirm(request):
        raise ApiError("This verification link is invalid or has expired.", code="invalid_key")
    return DetailOut(detail="Your email address is verified.")


@router.post("/auth/password/reset", auth=None, response={202: DetailOut, 422: E, 429: E})
def request_password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status[DetailOut]:
    """Email a single-use reset link (valid one hour) if an account exists; the answer is the same
    either way."""
    from allauth.account.forms import ResetPasswordForm

    form = ResetPasswordForm(data={"email": payload.email})
    if not form.is_valid():
        raise _form_error(form)
    form.save(request)
    return Status(
        202, DetailOut(detail="If an account uses this address, we sent it a link to reset the password.")
    )


@router.post("/auth/password/reset/confirm", auth=None, response={200: DetailOut, 400: E, 422: E, 429: E})
def confirm_password_reset(request: HttpRequest, payload: PasswordResetConfirmIn) -> DetailOut:
    """Set a new password with the key from the reset link (``<uid>-<token>``); signs out everywhere."""
    from allauth.account.forms import ResetPasswordKeyForm, UserTokenForm
    from allauth.account.internal.flows.password_reset import finalize_password_reset

    uidb36, _, key = payload.key.partition("-")
    token_form = UserTokenForm(data={"uidb36": uidb36, "key": key})
    if not token_form.is_valid():
        raise ApiError("This reset link is invalid, expired or already used.", code="invalid_key")
    user = token_form.reset_user
    form = ResetPasswordKeyForm(
        data={"password1": payload.password, "password2": payload.password}, user=user
    )
    if not form.is_valid():
        raise _form_error(form)
    form.save()
    finalize_password_reset(request, user)
    return DetailOut(detail="Your password was changed. Sign in with the new one.")


# --- Tokens ---------------------------------------------------------------------------------------


@router.post("/auth/token", auth=None, response={200: TokenOut, **AUTH_ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    """Password grant. With MFA on, answers 401 ``mfa_required`` with ``details.mfaToken``; send it
    with a code to ``/auth/token/mfa``."""
    client = client_info.from_request(request)
    user = services.sign_in_password(email=payload.email, password=payload.password, client=client)
    if user.has_mfa:
        raise ApiError(
            "Enter the code from your authenticator app or a recovery code.",
            code="mfa_required",
            status=401,
            details={
                "mfaToken": services.mfa_token_encode(user_id=user.pk),
                "methods": ["totp", "recovery_code"],
            },
        )
    return _token_out(services.sign_in_complete(user=user, client=client))


@router.post("/auth/token/mfa", auth=None, response={200: TokenOut, **AUTH_ERRORS})
def create_token_mfa(request: HttpRequest, payload: MfaTokenIn) -> TokenOut:
    """Second step of the password grant: the MFA token and a TOTP or recovery code."""
    client = client_info.from_request(request)
    user_id, jti = services.mfa_token_decode(payload.mfa_token)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidToken("The token is invalid.")
    services.mfa_code_verify(user=user, code=payload.code, client=client)
    if not services.mfa_token_spend(jti):
        raise InvalidToken("This sign-in was already completed. Start again.", code="token_used")
    return _token_out(services.sign_in_complete(user=user, client=client))


@router.post("/auth/refresh", auth=None, response={200: TokenOut, **AUTH_ERRORS})
def refresh_token(request: HttpRequest, payload: RefreshIn) -> TokenOut:
    """Rotate: spend the refresh token, get a new pair. Reusing a spent one ends the session."""
    pair = services.token_refresh(
        refresh_token=payload.refresh_token, client=client_info.from_request(request)
    )
    return _token_out(pair)


@router.post("/auth/logout", auth=INTERACTIVE_AUTH, response={204: None, 401: E, 403: E})
def logout(request: HttpRequest) -> Status[None]:
    """End the current session: the access token's session, or the browser session."""
    user = _user(request)
    session_id = _current_session_id(request)
    session = selectors.device_session_get_for_user(user=user, session_id=session_id) if session_id else None
    if session is not None:
        services.device_session_revoke(session=session, reason="signed_out", record=False)
    services.security_event_record(
        user=user, kind=SecurityEventKind.SIGN_OUT, client=client_info.from_request(request)
    )
    if getattr(request, "auth_session_id", None) is None:
        django_logout(request)
    return Status(204, None)


# --- Me -------------------------------------------------------------------------------------------


def _me_out(user: User) -> MeOut:
    return MeOut(id=user.pk, email=user.email, handle=user.handle, display_name=user.name, role=user.role)


@router.get("/me", response={200: MeOut, 401: ErrorOut, 403: E})
def get_me(request: HttpRequest) -> MeOut:
    return _me_out(_user(request))


@router.patch("/me", response={200: MeOut, 401: ErrorOut, 403: E, 422: ErrorOut})
def update_me(request: HttpRequest, payload: MeIn) -> MeOut:
    user = services.user_update_profile(user=_user(request), display_name=payload.display_name)
    return _me_out(user)


@router.get("/me/security", response={200: SecurityStatusOut, 401: E, 403: E})
def get_security_status(request: HttpRequest) -> SecurityStatusOut:
    """Second factor, email verification and deletion state (``hasMfa`` gates creator payouts)."""
    user = _user(request)
    return SecurityStatusOut(
        has_mfa=user.has_mfa,
        email_verified=services.email_is_verified(user),
        deletion_requested_at=user.deletion_requested_at,
        purge_after=user.purge_after,
    )


def _session_out(session: DeviceSession, current: str | None) -> SessionOut:
    return SessionOut(
        id=str(session.pk),
        kind=session.kind,
        device=session.device,
        ip=session.ip,
        country=session.country,
        created_at=session.created_at,
        last_seen_at=session.last_seen_at,
        is_current=str(session.pk) == current,
    )


@router.get("/me/sessions", auth=INTERACTIVE_AUTH, response={200: list[SessionOut], 401: E, 403: E})
def list_sessions(request: HttpRequest) -> list[SessionOut]:
    current = _current_session_id(request)
    return [_session_out(s, current) for s in selectors.device_session_list_for_user(user=_user(request))]


@router.post("/me/sessions/revoke-others", auth=INTERACTIVE_AUTH, response={200: RevokedOut, 401: E, 403: E})
def revoke_other_sessions(request: HttpRequest) -> RevokedOut:
    count = services.device_session_revoke_all(
        user=_user(request),
        reason="revoked_by_user",
        keep_session_id=_current_session_id(request),
        client=client_info.from_request(request),
    )
    return RevokedOut(revoked=count)


@router.delete(
    "/me/sessions/{session_id}", auth=INTERACTIVE_AUTH, response={204: None, 401: E, 403: E, 404: E}
)
def revoke_session(request: HttpRequest, session_id: str) -> Status[None]:
    """Sign one device out. Someone else's session id is indistinguishable from a missing one."""
    session = selectors.device_session_get_for_user(user=_user(request), session_id=session_id)
    if session is None or not permissions.can_manage_session(request.user, session):
        raise NotFound("No such session.")
    services.device_session_revoke(
        session=session, reason="revoked_by_user", actor_client=client_info.from_request(request)
    )
    return Status(204, None)


def _api_token_out(token: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=str(token.pk),
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        expires_at=token.expires_at,
    )


@router.get("/me/tokens", auth=INTERACTIVE_AUTH, response={200: list[ApiTokenOut], 401: E, 403: E})
def list_api_tokens(request: HttpRequest) -> list[ApiTokenOut]:
    return [_api_token_out(t) for t in selectors.api_token_list_for_user(user=_user(request))]


@router.post("/me/tokens", auth=INTERACTIVE_AUTH, response={201: ApiTokenCreatedOut, 401: E, 403: E, 422: E})
def create_api_token(request: HttpRequest, payload: ApiTokenIn) -> Status[ApiTokenCreatedOut]:
    """Create a personal API token. The ``token`` is shown in this response only."""
    created = services.api_token_create(
        user=_user(request),
        name=payload.name,
        scopes=payload.scopes,
        expires_in_days=payload.expires_in_days,
        client=client_info.from_request(request),
    )
    out = _api_token_out(created.token)
    return Status(201, ApiTokenCreatedOut(**out.model_dump(), token=created.secret))


@router.delete("/me/tokens/{token_id}", auth=INTERACTIVE_AUTH, response={204: None, 401: E, 403: E, 404: E})
def revoke_api_token(request: HttpRequest, token_id: str) -> Status[None]:
    token = selectors.api_token_get_for_user(user=_user(request), token_id=token_id)
    if token is None or not permissions.can_manage_api_token(request.user, token):
        raise NotFound("No such API token.")
    services.api_token_revoke(token=token, client=client_info.from_request(request))
    return Status(204, None)


def _event_out(event: SecurityEvent) -> SecurityEventOut:
    return SecurityEventOut(
        id=event.pk,
        kind=event.kind,
        description=event.get_kind_display(),
        ip=event.ip,
        created_at=event.created_at,
    )


@router.get("/me/security-events", response={200: SecurityEventPageOut, 400: E, 401: E, 403: E, 422: E})
def list_security_events(request: HttpRequest, params: Query[ListParams]) -> SecurityEventPageOut:
    page = selectors.security_event_list_for_user(
        user=_user(request), cursor=params.cursor, limit=params.limit
    )
    return SecurityEventPageOut(items=[_event_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.post("/me/delete", auth=INTERACTIVE_AUTH, response={202: DeletionOut, 401: E, 403: E, 422: E})
def request_account_deletion(request: HttpRequest, payload: PasswordIn) -> Status[DeletionOut]:
    """Confirm with the password; signs out everywhere; the account is purged after 30 days unless
    its owner signs in again."""
    user = _user(request)
    if not user.check_password(payload.password):
        raise InvalidCredentials("The password is incorrect.", status=403, code="invalid_password")
    user = services.user_deletion_request(user=user, client=client_info.from_request(request))
    if getattr(request, "auth_session_id", None) is None:
        django_logout(request)
    assert user.purge_after is not None
    return Status(202, DeletionOut(purge_after=user.purge_after))


# --- Moderation -----------------------------------------------------------------------------------


@router.post(
    "/users/{handle}/ban", auth=INTERACTIVE_AUTH, response={204: None, 401: E, 403: E, 404: E, 422: E}
)
def ban_user(request: HttpRequest, handle: str, payload: BanIn) -> Status[None]:
    """Ban an account (moderators: fans and creators; admins: moderators too)."""
    actor = _user(request)
    if not permissions.is_moderator(actor):
        raise PermissionDenied("Only moderators can ban accounts.")
    target = User.objects.filter(handle__iexact=handle).first()
    if target is None:
        raise NotFound("No such account.")
    if not permissions.can_ban_user(actor, target):
        raise PermissionDenied("You may not ban this account.")
    services.user_ban(
        actor=actor, user=target, reason=payload.reason, client=client_info.from_request(request)
    )
    return Status(204, None)
