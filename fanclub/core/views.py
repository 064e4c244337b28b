"""Site chrome and operations endpoints."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from fanclub.accounts import selectors as account_selectors
from fanclub.core import errors, metrics, selectors


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "core/landing.html", {"creators": account_selectors.creator_featured()})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving; says nothing about dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to take traffic: 503 naming every failing dependency otherwise."""
    checks = selectors.readiness()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        "failing": [check.name for check in checks if not check.ok],
    }
    return JsonResponse(body, status=200 if ready else 503)


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return errors.error_response(request, status=401, message="A valid metrics token is required.")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


@require_GET
@cache_control(max_age=3600)
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "core/offline.html")


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    from django.templatetags.static import static

    return JsonResponse(
        {
            "name": "Fanclub",
            "short_name": "Fanclub",
            "description": "Follow, subscribe to and support your favourite creators.",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#111318",
            "theme_color": "#111318",
            "icons": [
                {"src": static("core/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("core/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("core/icons/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        content_type="application/manifest+json",
    )


@require_GET
@cache_control(max_age=0, no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so its scope covers the whole site."""
    from django.templatetags.static import static

    response = render(
        request,
        "core/sw.js",
        {
            "offline_url": "/offline/",
            "precache": [
                "/offline/",
                static("core/css/site.css"),
                static("core/js/site.js"),
                static("core/vendor/htmx.min.js"),
                static("core/icons/icon-192.png"),
            ],
        },
        content_type="text/javascript",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if errors.is_api_path(request.path):
        return errors.error_response(request, status=404, message="No API endpoint matches this path.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if errors.is_api_path(request.path):
        return errors.error_response(request, status=500, message="An unexpected error occurred.")
    return render(request, "500.html", status=500)
