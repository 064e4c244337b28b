"""Every response, page or API, success or failure, carries the security headers."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.accounts import selectors as account_selectors

pytestmark = pytest.mark.django_db

PATHS = [
    ("/", 200),
    ("/offline/", 200),
    ("/manifest.webmanifest", 200),
    ("/sw.js", 200),
    ("/healthz", 200),
    ("/metrics", 200),
    ("/no-such-page/", 404),
    ("/api/v1/creators", 200),
    ("/api/v1/me", 401),
    ("/api/v1/no-such-endpoint", 404),
    ("/api/v1/", 404),
    ("/api/v1/creators?limit=0", 422),
    ("/api/v1/docs", 200),
    ("/api/v1/openapi.json", 200),
]


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(("path", "status"), PATHS)
def test_security_headers_on_every_response(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response


def test_security_headers_on_errors_raised_by_the_middleware_stack(client, make_user, settings):
    settings.RATE_LIMIT_ANON_PER_MINUTE = 1
    client.get("/", REMOTE_ADDR="10.9.9.9")

    rate_limited = client.get("/", REMOTE_ADDR="10.9.9.9")
    wrong_method = client.post("/api/v1/creators", "{}", content_type="application/json")

    assert rate_limited.status_code == 429
    assert wrong_method.status_code == 405
    assert_security_headers(rate_limited)
    assert_security_headers(wrong_method)


@pytest.mark.parametrize("path", ["/", "/api/v1/creators"])
def test_security_headers_on_server_errors(monkeypatch, path):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(account_selectors, "creator_featured", broken)
    monkeypatch.setattr(account_selectors, "creator_list", broken)

    response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 500
    assert_security_headers(response)


def test_static_files_are_nosniff(client):
    response = client.get("/static/core/js/site.js")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_with_production_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    for path in ("/", "/api/v1/creators"):
        response = client.get(path, secure=True)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/", secure=False)


def test_https_redirect_spares_the_probes(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    redirected = client.get("/api/v1/creators")

    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/api/v1/creators"
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code in {200, 503}, path


def test_html_pages_have_no_inline_scripts_or_styles(client):
    html = client.get("/").content.decode()

    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_cached_policy_is_django_csps_own_and_follows_setting_overrides(client, settings):
    from csp.utils import build_policy

    assert client.get("/healthz")["Content-Security-Policy"] == build_policy()
    directives = {
        **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "img-src": ["'self'", "https://cdn.example"],
    }
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}

    assert _csp(client.get("/healthz"))["img-src"] == ["'self'", "https://cdn.example"]


def test_a_response_that_updates_the_policy_still_gets_its_own_header(rf):
    from django.http import HttpResponse

    from fanclub.core.middleware import CSPMiddleware

    def view(request):
        response = HttpResponse("ok")
        response._csp_update = {"form-action": ["https://accounts.example"]}
        return response

    response = CSPMiddleware(view)(rf.get("/"))
    assert "https://accounts.example" in _csp(response)["form-action"]


def test_a_nonce_used_by_the_page_goes_into_the_policy(rf, settings):
    from csp.constants import NONCE, SELF
    from django.http import HttpResponse

    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "script-src": [SELF, NONCE]}
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}

    from fanclub.core.middleware import RequestMiddleware

    def view(request):
        assert not request.csp_nonce  # not made until used
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    response = RequestMiddleware(view)(rf.get("/"))
    nonce = response.content.decode().split('"')[1]
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in _csp(response)["script-src"]


def test_a_page_without_a_nonce_gets_the_cached_policy(rf):
    from csp.utils import build_policy
    from django.http import HttpResponse

    from fanclub.core.middleware import RequestMiddleware

    response = RequestMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    assert response["Content-Security-Policy"] == build_policy()
    assert "nonce-" not in response["Content-Security-Policy"]
