"""Account pages. Sign-up, sign-in, verification, reset, email, password and MFA pages are
allauth's (templates overridden to match the site); these are the security pages it lacks."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit
from uuid import UUID

from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.accounts import client as client_info
from fanclub.accounts import permissions, selectors, services
from fanclub.accounts.adapters import DEVICE_SESSION_KEY
from fanclub.accounts.forms import PasswordConfirmForm
from fanclub.accounts.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_GET
@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Security overview: second factor status and recent security events."""
    user = _user(request)
    page = selectors.security_event_list_for_user(user=user, cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "accounts/security.html",
        {"events": page.items, "next_cursor": page.next_cursor, "has_mfa": user.has_mfa},
    )


@require_GET
@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Every signed-in device, with revoke buttons (htmx swaps the list partial)."""
    context = {
        "sessions": selectors.device_session_list_for_user(user=_user(request)),
        "current_session_id": request.session.get(DEVICE_SESSION_KEY),
    }
    template = (
        "accounts/sessions.html#session-list"
        if request.headers.get("HX-Request")
        else "accounts/sessions.html"
    )
    return render(request, template, context)


@require_POST
@login_required
def session_revoke(request: HttpRequest, session_id: UUID) -> HttpResponse:
    session = selectors.device_session_get_for_user(user=_user(request), session_id=session_id)
    if session is None or not permissions.can_manage_session(request.user, session):
        raise Http404("No such session")
    services.device_session_revoke(
        session=session, reason="revoked_by_user", actor_client=client_info.from_request(request)
    )
    if str(session.pk) == request.session.get(DEVICE_SESSION_KEY):
        logout(request)
        return redirect("accounts:sign-in")
    messages.success(request, f"Signed out {session.device}.")
    return redirect("accounts:sessions")


@require_POST
@login_required
def sessions_revoke_others(request: HttpRequest) -> HttpResponse:
    count = services.device_session_revoke_all(
        user=_user(request),
        reason="revoked_by_user",
        keep_session_id=request.session.get(DEVICE_SESSION_KEY),
        client=client_info.from_request(request),
    )
    messages.success(request, f"Signed out {count} other session{'s' if count != 1 else ''}.")
    return redirect("accounts:sessions")


@require_http_methods(["GET", "POST"])
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Ask for deletion: confirm with the password, sign out everywhere, purge in 30 days."""
    user = _user(request)
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if user.check_password(form.cleaned_data["password"]):
            user = services.user_deletion_request(user=user, client=client_info.from_request(request))
            logout(request)
            messages.info(
                request,
                f"Your account will be deleted on {user.purge_after:%d %B %Y}. "
                "Sign in before then to cancel.",
            )
            return redirect("landing")
        form.add_error("password", "The password is incorrect.")
    return render(request, "accounts/delete.html", {"form": form}, status=422 if form.errors else 200)


@require_GET
@cache_control(max_age=300, public=True)
def avatar(request: HttpRequest, handle: str) -> FileResponse:
    """Public avatar of an account (avatars are part of the public persona)."""
    user = get_object_or_404(User.objects.only("avatar"), handle__iexact=handle, is_active=True)
    if not user.avatar:
        raise Http404("No avatar")
    return FileResponse(user.avatar.open("rb"), content_type="image/png")


def _provider_login_views() -> dict[str, tuple[Callable[..., HttpResponse], type[OAuth2Adapter]]]:
    from allauth.socialaccount.providers.google import views as google
    from allauth.socialaccount.providers.twitter_oauth2 import views as x

    return {
        "google": (google.oauth2_login, google.GoogleOAuth2Adapter),
        "twitter_oauth2": (x.oauth2_login, x.TwitterOAuth2Adapter),
    }


def provider_login(request: HttpRequest, *, provider_id: str) -> HttpResponse:
    """allauth's "Continue with <provider>" page, whose form may leave the site.

    Its POST answers with a redirect to the provider's authorization page, and browsers apply the
    page's CSP form-action to that redirect: allow the provider's origin here, and only here.
    """
    view, adapter_class = _provider_login_views()[provider_id]
    response = view(request)
    authorize = urlsplit(adapter_class.authorize_url)
    response._csp_update = {"form-action": [f"{authorize.scheme}://{authorize.netloc}"]}  # type: ignore[attr-defined]
    return response
