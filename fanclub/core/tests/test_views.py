"""The web shell: landing page, error pages, PWA files, API docs."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from PIL import Image

from fanclub.accounts import selectors as account_selectors
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db


def test_landing_lists_creators_newest_first(client, make_user):
    make_user(role=Role.CREATOR, handle="first.creator")
    second = make_user(role=Role.CREATOR, handle="second.creator")
    User.objects.filter(pk=second.pk).update(display_name="Second Creator")
    make_user(role=Role.FAN, handle="some.fan")
    hidden = make_user(role=Role.CREATOR, handle="banned.creator")
    User.objects.filter(pk=hidden.pk).update(is_active=False)

    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert re.findall(r'<span class="creator-handle">@([^<]+)</span>', html) == [
        "second.creator",
        "first.creator",
    ]
    assert '<span class="creator-name">Second Creator</span>' in html
    assert "some.fan" not in html
    assert "banned.creator" not in html


def test_landing_shows_at_most_eight_creators(client, make_user):
    for index in range(10):
        make_user(role=Role.CREATOR, handle=f"creator{index}")

    html = client.get("/").content.decode()

    assert html.count('class="creator-card"') == 8


def test_landing_without_creators_invites_to_sign_up(client):
    html = client.get("/").content.decode()

    assert "No creators yet." in html


def test_landing_query_budget(client, make_user, django_assert_num_queries):
    for index in range(5):
        make_user(role=Role.CREATOR, handle=f"creator{index}")

    with django_assert_num_queries(1):
        assert client.get("/").status_code == 200


def test_landing_has_landmarks_and_a_skip_link(client):
    html = client.get("/").content.decode()

    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html
    assert '<html lang="en"' in html


def test_signed_in_page_carries_the_user_and_websocket_port(make_user, settings):
    settings.WS_PUBLIC_PORT = 8123
    user = make_user(handle="me")
    client = Client()
    client.force_login(user)

    html = client.get("/").content.decode()

    assert f'data-user="{user.pk}"' in html
    assert 'data-ws-port="8123"' in html
    assert "data-live-status" in html


def test_unknown_page_is_the_html_404(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"This page does not exist" in response.content


def test_unknown_api_path_is_the_json_404(client):
    response = client.get("/api/v1/no/such/endpoint")

    assert_api_error(response, status=404, code="not_found")


def test_page_crash_is_the_html_500(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(account_selectors, "creator_featured", broken)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"Something went wrong" in response.content
    assert b"secret detail" not in response.content


def test_manifest_is_valid_and_its_icons_exist(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Fanclub"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert len(manifest["icons"]) == 3
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        picture = Image.open(io.BytesIO(b"".join(image.streaming_content)))
        assert picture.format == "PNG"
        assert "x".join(str(side) for side in picture.size) == icon["sizes"]


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert 'const OFFLINE_URL = "/offline/";' in body


def test_service_worker_precaches_only_files_that_exist(client):
    body = client.get("/sw.js").content.decode()
    (precache,) = re.findall(r"const PRECACHE = (\[.*?\]);", body)

    urls = json.loads(precache)

    assert urls[0] == "/offline/"
    assert all(url == "/offline/" or url.startswith("/static/") for url in urls)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_offline_page(client):
    response = client.get("/offline/")

    assert response.status_code == 200
    assert b"You are offline" in response.content


def test_openapi_schema(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Fanclub API"
    assert {"/api/v1/creators", "/api/v1/me"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/me"]) >= {"get", "patch"}
    operation_ids = [
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    assert schema["paths"]["/api/v1/creators"]["get"]["operationId"] == "list_creators"
    assert "ErrorOut" in schema["components"]["schemas"]


def test_api_docs_page(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html  # served from our static files (the CSP allows only 'self')
