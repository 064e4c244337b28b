"""Binds every signed-in browser session to a DeviceSession, so revoking it signs the browser out."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from fanclub.accounts import client as client_info
from fanclub.accounts import selectors, services
from fanclub.accounts.adapters import DEVICE_SESSION_KEY, start_web_session

Handler = Callable[[HttpRequest], HttpResponse]


class DeviceSessionMiddleware:
    """For a cookie-authenticated request: end it if its device session was revoked (one indexed
    query, so revocation is immediate in every process), record last-seen at most once a minute,
    and adopt sessions signed in outside allauth (admin, tests) by creating their DeviceSession."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.SESSION_COOKIE_NAME not in request.COOKIES  # no cookie, no signed-in session
            or request.path.startswith("/static/")
            or not hasattr(request, "session")
        ):
            return self.get_response(request)
        if request.user.is_authenticated:
            session_id = request.session.get(DEVICE_SESSION_KEY)
            if session_id is None:
                start_web_session(request, request.user)  # type: ignore[arg-type]
            elif not selectors.device_session_is_live(session_id=session_id, user_id=request.user.pk):
                logout(request)
                messages.info(request, "This session was signed out. Please sign in again.")
            elif cache.add(f"accounts:seen:{session_id}", 1, timeout=60):
                services.device_session_touch(session_id=session_id, client=client_info.from_request(request))
        return self.get_response(request)
