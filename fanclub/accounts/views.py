"""Account pages. Sign-in and sign-up are filled in by the accounts issue (django-allauth)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from fanclub.accounts.models import User


@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/sign_in.html")


@require_GET
def sign_up(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/sign_up.html")


@require_GET
@cache_control(max_age=300, public=True)
def avatar(request: HttpRequest, handle: str) -> HttpResponseBase:
    """Public avatar of an account (avatars are part of the public persona)."""
    user = get_object_or_404(User.objects.only("avatar"), handle__iexact=handle, is_active=True)
    if not user.avatar:
        raise Http404("No avatar")
    return FileResponse(user.avatar.open("rb"), content_type="image/png")
