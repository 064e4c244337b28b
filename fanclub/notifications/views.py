"""Notification pages: the list (htmx mark read), settings, and signed unsubscribe links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fanclub.core.pagination import InvalidCursor
from fanclub.notifications import constants as k
from fanclub.notifications import delivery, presenters, selectors, services


def _uid(request: HttpRequest) -> int:
    """The signed-in caller's id (every operation here requires authentication)."""
    return int(request.user.pk or 0)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.notification_list(user_id=_uid(request), cursor=request.GET.get("cursor"), limit=30)
    except InvalidCursor as exc:
        raise Http404("No such page.") from exc
    items = [presenters.notification_render(n) for n in page.items]
    context = {"items": items, "next_cursor": page.next_cursor}
    if request.headers.get("HX-Request") and request.GET.get("cursor"):
        return render(request, "notifications/list.html#items", context)
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = services.notification_mark_read(user_id=_uid(request), notification_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    if request.headers.get("HX-Request"):
        return render(
            request, "notifications/list.html#item", {"item": presenters.notification_render(notification)}
        )
    return redirect(presenters.notification_render(notification)["url"])


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user_id=_uid(request))
    return redirect("notifications:list")


def _settings_rows(user_id: int) -> list[dict[str, Any]]:
    prefs = selectors.preferences_for(user_id=user_id)
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "required": kind.value in k.IN_APP_REQUIRED,
            **prefs[kind.value],
        }
        for kind in k.Kind
    ]


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """One checkbox per kind and channel; a checkbox absent from the POST means off."""
    if request.method == "POST":
        services.preferences_update(
            user_id=_uid(request),
            preferences={
                kind: {channel: f"{kind}.{channel}" in request.POST for channel in k.CHANNELS}
                for kind in k.KINDS
            },
            digest=request.POST.get("digest") == "on",
        )
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:settings")
    suppression = selectors.email_suppression_for(email=str(getattr(request.user, "email", "")))
    return render(
        request,
        "notifications/settings.html",
        {
            "rows": _settings_rows(_uid(request)),
            "digest": selectors.email_digest_enabled(user_id=_uid(request)),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "suppression": suppression,
            "suppression_label": k.EmailSuppressionReason(suppression.reason).label if suppression else "",
        },
    )


@login_required
@require_POST
def email_resume(request: HttpRequest) -> HttpResponse:
    """The user fixed or confirmed their address: notification email to it starts again."""
    if services.email_suppression_clear(user_id=_uid(request)):
        messages.success(request, "Email notifications are on again for your address.")
    return redirect("notifications:settings")


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token; the signature is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Works signed out: GET asks to confirm, POST unsubscribes. A forged or altered link is a 400."""
    try:
        user_id, kind = delivery.unsubscribe_token_read(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    label = "the daily digest" if kind == "digest" else k.Kind(kind).label.lower()
    if request.method == "POST":
        if kind == "digest":
            services.preferences_update(
                user_id=user_id, preferences={kind_: {"email": False} for kind_ in k.KINDS}
            )
        else:
            services.email_unsubscribe(user_id=user_id, kind=kind)
        return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})
