"""The authorization matrix: every URL and every API operation, declared, and checked for every role.

How it works
------------
``POLICY`` maps each request to the status every role must get. A key is ``(METHOD, path)`` or, for
a path naming an object, ``(METHOD, path, target)`` where target is ``"own"`` (the actor's own
object), ``"other"`` (someone else's) or ``"missing"`` (no such object); ``TARGETS`` says how each
path parameter is filled for each target. ``None`` means "not applicable" (an anonymous visitor
owns nothing).

``test_every_route_is_declared`` walks the URL resolver and the API's routers: a new page or
endpoint without a row fails the suite until its access is declared here. Each row then runs as
its own test: the request is made as every role, each inside a savepoint rolled back afterwards,
so roles never see each other's writes; a write that is refused must change nothing in the
database.

Conventions: public JSON writes are called with an empty body, so 422 for every role means "no
authentication needed, validation ran"; denied API calls are 401 (no credentials) or 403/404;
pages that need a session redirect (302) to the sign-in page.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from procrastinate.contrib.django import app as procrastinate_app

from config.api import api
from fanclub.accounts import selectors as account_selectors
from fanclub.accounts import services as account_services
from fanclub.accounts.constants import Role
from fanclub.accounts.models import User

ROLES = ("anonymous", "fan", "creator", "other_creator", "moderator", "admin")
PASSWORD = "a-long-matrix-password"
Key = tuple[str, ...]
Expect = dict[str, int | None]

# Routes outside the matrix, each with the reason. Everything else must be declared in POLICY.
EXCLUDED_PREFIXES = {
    "/admin/": "Django admin: staff-only by its own permission system; its entry page is pinned below",
}


def everyone(status: int) -> Expect:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, *, anonymous: int | None = 401) -> Expect:
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:], status)}


def moderators(status: int, *, others: int = 403, anonymous: int = 401) -> Expect:
    return {
        "anonymous": anonymous,
        "fan": others,
        "creator": others,
        "other_creator": others,
        "moderator": status,
        "admin": status,
    }


def staff(status: int, *, others: int, anonymous: int) -> Expect:
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:-1], others), "admin": status}


@dataclass(frozen=True)
class Row:
    expect: Expect
    body: dict[str, Any] | None = None  # JSON body (API) or form fields (pages)


POLICY: dict[Key, Expect | Row] = {
    # --- Site chrome and operations (fanclub.core) -------------------------------------------------
    ("GET", "/"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/readyz"): everyone(200),  # public for load balancers; a worker heartbeat is running
    ("GET", "/metrics"): everyone(401),  # the token, not a role, opens it (METRICS_TOKEN is set here)
    ("GET", "/offline/"): everyone(200),
    ("GET", "/manifest.webmanifest"): everyone(200),
    ("GET", "/sw.js"): everyone(200),
    ("POST", "/"): everyone(405),
    # --- API shell ---------------------------------------------------------------------------------
    ("GET", "/api/v1/"): everyone(404),
    ("GET", "/api/v1/openapi.json"): everyone(200),
    ("GET", "/api/v1/docs"): everyone(200),
    # --- Django admin (entry page only; see EXCLUDED_PREFIXES) --------------------------------------
    ("GET", "/admin/"): staff(200, others=302, anonymous=302),
    # --- Accounts: public API ----------------------------------------------------------------------
    ("GET", "/api/v1/creators"): everyone(200),
    ("POST", "/api/v1/auth/signup"): everyone(422),
    ("POST", "/api/v1/auth/verify-email"): everyone(422),
    ("POST", "/api/v1/auth/password/reset"): everyone(422),
    ("POST", "/api/v1/auth/password/reset/confirm"): everyone(422),
    ("POST", "/api/v1/auth/token"): everyone(422),
    ("POST", "/api/v1/auth/token/mfa"): everyone(422),
    ("POST", "/api/v1/auth/refresh"): everyone(422),
    # --- Accounts: the signed-in user's own API ----------------------------------------------------
    ("POST", "/api/v1/auth/logout"): signed_in(204),
    ("GET", "/api/v1/me"): signed_in(200),
    ("PATCH", "/api/v1/me"): Row(signed_in(200), body={"displayName": "Changed By Matrix"}),
    ("GET", "/api/v1/me/security"): signed_in(200),
    ("GET", "/api/v1/me/security-events"): signed_in(200),
    ("GET", "/api/v1/me/sessions"): signed_in(200),
    ("POST", "/api/v1/me/sessions/revoke-others"): signed_in(200),
    ("DELETE", "/api/v1/me/sessions/{session_id}", "own"): signed_in(204, anonymous=None),
    ("DELETE", "/api/v1/me/sessions/{session_id}", "other"): signed_in(404),
    ("DELETE", "/api/v1/me/sessions/{session_id}", "missing"): signed_in(404),
    ("GET", "/api/v1/me/tokens"): signed_in(200),
    ("POST", "/api/v1/me/tokens"): Row(signed_in(201), body={"name": "matrix", "scopes": ["read"]}),
    ("DELETE", "/api/v1/me/tokens/{token_id}", "own"): signed_in(204, anonymous=None),
    ("DELETE", "/api/v1/me/tokens/{token_id}", "other"): signed_in(404),
    ("DELETE", "/api/v1/me/tokens/{token_id}", "missing"): signed_in(404),
    ("POST", "/api/v1/me/delete"): Row(signed_in(202), body={"password": PASSWORD}),
    # --- Accounts: moderation ----------------------------------------------------------------------
    ("POST", "/api/v1/users/{handle}/ban", "other"): Row(moderators(204), body={"reason": "matrix"}),
    ("POST", "/api/v1/users/{handle}/ban", "own"): Row(
        {**moderators(403), "anonymous": None}, body={"reason": "matrix"}
    ),
    ("POST", "/api/v1/users/{handle}/ban", "missing"): Row(moderators(404), body={"reason": "matrix"}),
    # --- Accounts: pages ---------------------------------------------------------------------------
    ("GET", "/accounts/avatars/{handle}.png", "own"): signed_in(200, anonymous=None),
    ("GET", "/accounts/avatars/{handle}.png", "other"): everyone(200),
    ("GET", "/accounts/avatars/{handle}.png", "missing"): everyone(404),
    ("GET", "/accounts/sign-in/"): signed_in(302, anonymous=200),
    ("GET", "/accounts/sign-up/"): signed_in(302, anonymous=200),
    ("GET", "/accounts/security/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/security/sessions/"): signed_in(200, anonymous=302),
    ("POST", "/accounts/security/sessions/{session_id}/revoke/", "own"): signed_in(302, anonymous=None),
    ("POST", "/accounts/security/sessions/{session_id}/revoke/", "other"): signed_in(404, anonymous=302),
    ("POST", "/accounts/security/sessions/{session_id}/revoke/", "missing"): signed_in(404, anonymous=302),
    ("POST", "/accounts/security/sessions/revoke-others/"): signed_in(302, anonymous=302),
    ("GET", "/accounts/security/delete/"): signed_in(200, anonymous=302),
    ("POST", "/accounts/security/delete/"): Row(signed_in(302, anonymous=302), body={"password": PASSWORD}),
    # --- Accounts: allauth's pages (sign-in, email, password, MFA, third-party accounts) ------------
    ("GET", "/accounts/login/"): signed_in(302, anonymous=200),
    ("GET", "/accounts/signup/"): signed_in(302, anonymous=200),
    ("GET", "/accounts/logout/"): signed_in(200, anonymous=302),
    ("POST", "/accounts/logout/"): signed_in(302, anonymous=302),
    ("GET", "/accounts/inactive/"): everyone(200),
    ("GET", "/accounts/reauthenticate/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/email/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/confirm-email/"): everyone(200),
    ("GET", "/accounts/confirm-email/{key}/", "missing"): everyone(200),  # "invalid link" page
    ("GET", "/accounts/login/code/confirm/"): everyone(302),  # only during a code sign-in
    ("GET", "/accounts/password/change/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/password/set/"): everyone(302),  # everyone here has a password
    ("GET", "/accounts/password/reset/"): everyone(200),
    ("GET", "/accounts/password/reset/done/"): everyone(200),
    ("GET", "/accounts/password/reset/key/{uidb36}-{key}/", "missing"): everyone(200),  # "bad token" page
    ("GET", "/accounts/password/reset/key/done/"): everyone(200),
    ("GET", "/accounts/2fa/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/2fa/authenticate/"): everyone(302),  # only during a sign-in with MFA
    ("GET", "/accounts/2fa/reauthenticate/"): everyone(302),
    ("GET", "/accounts/2fa/totp/activate/"): everyone(302),  # signed in: asks to reauthenticate first
    ("GET", "/accounts/2fa/totp/deactivate/"): signed_in(404, anonymous=302),  # no TOTP to turn off
    ("GET", "/accounts/2fa/recovery-codes/"): signed_in(404, anonymous=302),
    ("GET", "/accounts/2fa/recovery-codes/download/"): signed_in(404, anonymous=302),
    ("GET", "/accounts/2fa/recovery-codes/generate/"): everyone(302),
    ("GET", "/accounts/2fa/webauthn/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/2fa/webauthn/add/"): everyone(302),
    ("GET", "/accounts/2fa/webauthn/login/"): everyone(302),
    ("GET", "/accounts/2fa/webauthn/reauthenticate/"): everyone(302),
    ("GET", "/accounts/2fa/webauthn/keys/{pk}/edit/", "missing"): everyone(302),
    ("GET", "/accounts/2fa/webauthn/keys/{pk}/remove/", "missing"): everyone(302),
    ("GET", "/accounts/3rdparty/"): signed_in(200, anonymous=302),
    ("GET", "/accounts/3rdparty/login/cancelled/"): everyone(200),
    ("GET", "/accounts/3rdparty/login/error/"): everyone(401),
    ("GET", "/accounts/3rdparty/signup/"): everyone(302),  # only during a third-party sign-up
    ("GET", "/accounts/social/connections/"): everyone(301),  # old allauth paths, moved to 3rdparty/
    ("GET", "/accounts/social/login/cancelled/"): everyone(301),
    ("GET", "/accounts/social/login/error/"): everyone(301),
    ("GET", "/accounts/social/signup/"): everyone(301),
    # Google and X are installed but not configured in the matrix's settings: no provider, 404.
    ("GET", "/accounts/google/login/"): everyone(404),
    ("GET", "/accounts/google/login/callback/"): everyone(404),
    ("POST", "/accounts/google/login/token/"): everyone(404),  # Google One Tap's credential post
    ("GET", "/accounts/twitter_oauth2/login/"): everyone(404),
    ("GET", "/accounts/twitter_oauth2/login/callback/"): everyone(404),
}


# --- Creators, social, content (issue 4) ---------------------------------------------------------------
# The matrix's creators have the creator role but no creator profile: every studio operation answers
# "become a creator first" (403 in the API, 404 or a redirect on pages); objects are "missing" only.
POLICY.update(
    {
        ("POST", "/api/v1/me/creator"): signed_in(422),
        ("GET", "/api/v1/me/creator"): signed_in(403),
        ("PATCH", "/api/v1/me/creator"): signed_in(403),
        ("GET", "/api/v1/me/creator/legal"): signed_in(403),
        ("PUT", "/api/v1/me/creator/legal"): Row(signed_in(403), body={"legalName": "Matrix Legal"}),
        ("POST", "/api/v1/me/creator/tiers"): Row(signed_in(403), body={"name": "Gold", "priceMinor": 500}),
        ("PATCH", "/api/v1/me/creator/tiers/{tier_id}", "missing"): signed_in(403),
        ("DELETE", "/api/v1/me/creator/tiers/{tier_id}", "missing"): signed_in(403),
        ("GET", "/api/v1/me/creator/members"): signed_in(403),
        ("POST", "/api/v1/me/creator/members"): Row(
            signed_in(403), body={"fanHandle": "matrix.fan", "tierId": 1}
        ),
        ("DELETE", "/api/v1/me/creator/members/{handle}", "own"): signed_in(403, anonymous=None),
        ("DELETE", "/api/v1/me/creator/members/{handle}", "other"): signed_in(403),
        ("DELETE", "/api/v1/me/creator/members/{handle}", "missing"): signed_in(403),
        ("GET", "/api/v1/me/memberships"): signed_in(200),
        ("GET", "/api/v1/creators/{handle}", "own"): {**everyone(404), "anonymous": None},
        ("GET", "/api/v1/creators/{handle}", "other"): everyone(404),
        ("GET", "/api/v1/creators/{handle}", "missing"): everyone(404),
        ("GET", "/api/v1/creators/{handle}/tiers", "own"): {**everyone(404), "anonymous": None},
        ("GET", "/api/v1/creators/{handle}/tiers", "other"): everyone(404),
        ("GET", "/api/v1/creators/{handle}/tiers", "missing"): everyone(404),
        ("GET", "/api/v1/creators/{handle}/posts", "own"): {**everyone(404), "anonymous": None},
        ("GET", "/api/v1/creators/{handle}/posts", "other"): everyone(404),
        ("GET", "/api/v1/creators/{handle}/posts", "missing"): everyone(404),
        ("POST", "/api/v1/creators/{handle}/follow", "own"): signed_in(404, anonymous=None),
        ("POST", "/api/v1/creators/{handle}/follow", "other"): signed_in(404),
        ("POST", "/api/v1/creators/{handle}/follow", "missing"): signed_in(404),
        ("DELETE", "/api/v1/creators/{handle}/follow", "own"): signed_in(404, anonymous=None),
        ("DELETE", "/api/v1/creators/{handle}/follow", "other"): signed_in(404),
        ("DELETE", "/api/v1/creators/{handle}/follow", "missing"): signed_in(404),
        ("GET", "/api/v1/me/posts"): signed_in(200),
        ("POST", "/api/v1/posts"): Row(signed_in(403), body={"text": "matrix"}),
        ("GET", "/api/v1/posts/{post_id}", "missing"): everyone(404),
        ("PATCH", "/api/v1/posts/{post_id}", "missing"): signed_in(404),
        ("DELETE", "/api/v1/posts/{post_id}", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/publish", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/pin", "missing"): signed_in(404),
        ("DELETE", "/api/v1/posts/{post_id}/pin", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/media/{media_id}/blur-faces", "missing"): signed_in(404),
        ("GET", "/api/v1/posts/{post_id}/comments", "missing"): everyone(404),
        ("POST", "/api/v1/posts/{post_id}/comments", "missing"): Row(signed_in(404), body={"text": "hi"}),
        ("DELETE", "/api/v1/comments/{comment_id}", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/like", "missing"): signed_in(404),
        ("DELETE", "/api/v1/posts/{post_id}/like", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/bookmark", "missing"): signed_in(404),
        ("DELETE", "/api/v1/posts/{post_id}/bookmark", "missing"): signed_in(404),
        ("GET", "/api/v1/me/bookmarks"): signed_in(200),
        # Pages
        ("GET", "/c/{handle}/", "own"): {**everyone(404), "anonymous": None},
        ("GET", "/c/{handle}/", "other"): everyone(404),
        ("GET", "/c/{handle}/", "missing"): everyone(404),
        ("POST", "/c/{handle}/follow/", "other"): signed_in(404, anonymous=302),
        ("POST", "/c/{handle}/follow/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/c/{handle}/subscribe/", "other"): everyone(404),
        ("GET", "/c/{handle}/subscribe/", "missing"): everyone(404),
        ("GET", "/p/{post_id}/", "missing"): everyone(404),
        ("POST", "/p/{post_id}/comments/", "missing"): Row(
            signed_in(404, anonymous=302), body={"text": "hi"}
        ),
        ("POST", "/p/{post_id}/comments/{comment_id}/delete/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/p/{post_id}/{kind}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/studio/"): everyone(302),  # signed in without a creator profile: to "become a creator"
        ("GET", "/studio/posts/new/"): everyone(302),
        ("GET", "/studio/posts/{post_id}/edit/", "missing"): everyone(302),
        ("GET", "/studio/posts/{post_id}/preview/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/posts/{post_id}/{action}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/studio/become/"): signed_in(200, anonymous=302),
        ("POST", "/studio/become/"): signed_in(200, anonymous=302),  # empty name: the form again
        ("GET", "/studio/profile/"): signed_in(404, anonymous=302),
        ("POST", "/studio/profile/"): signed_in(404, anonymous=302),
        ("GET", "/studio/tiers/"): signed_in(404, anonymous=302),
        ("POST", "/studio/tiers/"): signed_in(404, anonymous=302),
        ("POST", "/studio/tiers/{tier_id}/archive/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/members/"): signed_in(404, anonymous=302),
        ("POST", "/studio/members/{handle}/end/", "own"): signed_in(404, anonymous=None),
        ("POST", "/studio/members/{handle}/end/", "other"): signed_in(404, anonymous=302),
        ("POST", "/studio/members/{handle}/end/", "missing"): signed_in(404, anonymous=302),
    }
)

# --- Media (vault, uploads, delivery) ------------------------------------------------------------------
# Pinned as observed by the foundation issue, "missing" objects only: the media issue adds "own" and
# "other" (with OBJECTS builders for media_id, album_id, upload_id) and real bodies for the writes.
# Every signed-in role has a vault; delivery URLs are signed, so an unsigned one is 403 for everyone.
POLICY.update(
    {
        ("GET", "/api/v1/media"): signed_in(200),
        ("GET", "/api/v1/media/{media_id}", "missing"): signed_in(404),
        ("DELETE", "/api/v1/media/{media_id}", "missing"): signed_in(404),
        ("GET", "/api/v1/media/albums"): signed_in(200),
        ("POST", "/api/v1/media/albums"): signed_in(422),
        ("GET", "/api/v1/media/albums/{album_id}", "missing"): signed_in(404),
        ("PATCH", "/api/v1/media/albums/{album_id}", "missing"): signed_in(422),
        ("DELETE", "/api/v1/media/albums/{album_id}", "missing"): signed_in(404),
        ("PUT", "/api/v1/media/albums/{album_id}/items/{media_id}", "missing"): signed_in(404),
        ("DELETE", "/api/v1/media/albums/{album_id}/items/{media_id}", "missing"): signed_in(404),
        ("POST", "/api/v1/media/uploads"): signed_in(422),
        ("GET", "/api/v1/media/uploads/{upload_id}", "missing"): signed_in(404),
        ("PATCH", "/api/v1/media/uploads/{upload_id}", "missing"): signed_in(422),
        ("DELETE", "/api/v1/media/uploads/{upload_id}", "missing"): signed_in(404),
        ("POST", "/api/v1/media/uploads/{upload_id}/parts", "missing"): signed_in(422),
        ("POST", "/api/v1/media/uploads/{upload_id}/complete", "missing"): signed_in(404),
        ("GET", "/media/d/{media_id}/{variant}/{file}", "missing"): everyone(403),
        ("GET", "/studio/vault/"): signed_in(200, anonymous=302),
        ("POST", "/studio/vault/albums/"): everyone(302),
        ("GET", "/studio/vault/{media_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/vault/{media_id}/album/", "missing"): everyone(302),
        ("POST", "/studio/vault/{media_id}/delete/", "missing"): signed_in(404, anonymous=302),
    }
)

# --- Objects named by path parameters ------------------------------------------------------------------

OWNERS = (*ROLES[1:], "bystander")  # every signed-in role, plus a fan nobody acts as


def _device_session(user: User) -> str:
    # The actor's browser session, adopted as a device session on its first request.
    (session,) = account_selectors.device_session_list_for_user(user=user)
    return str(session.pk)


def _api_token(user: User) -> str:
    created = account_services.api_token_create(user=user, name="matrix", scopes=["read", "write"])
    return str(created.token.pk)


# How to give a user one object for each path parameter; the value is what goes in the path. Built
# for every owner (each role's own, the bystander's is everyone's "other"). A later issue adds a line
# here (e.g. "post_id": lambda user: str(post_create(author=user).pk)) and targets below.
OBJECTS: dict[str, Callable[[User], str]] = {
    "handle": lambda user: user.handle,
    "session_id": _device_session,
    "token_id": _api_token,
}


@dataclass
class World:
    users: dict[str, User]  # owner -> user
    objects: dict[str, dict[str, str]] = field(default_factory=dict)  # parameter -> owner -> value


Resolver = Callable[[World, str], str | None]


def owned(parameter: str, *, missing: str) -> dict[str, Resolver]:
    """The three targets of an object everyone owns one of (anonymous owns nothing: not applicable)."""
    return {
        "own": lambda world, role: None if role == "anonymous" else world.objects[parameter][role],
        "other": lambda world, role: world.objects[parameter]["bystander"],
        "missing": lambda world, role: missing,
    }


def missing_only(value: str) -> dict[str, Resolver]:
    """Objects the matrix cannot build yet: only "no such object" is declared."""
    return {"missing": lambda world, role: value}


NO_SUCH_UUID = str(uuid.UUID(int=1))
TARGETS: dict[str, dict[str, Resolver]] = {
    "handle": owned("handle", missing="nobody-has-this-handle"),
    "session_id": owned("session_id", missing=NO_SUCH_UUID),
    "token_id": owned("token_id", missing=NO_SUCH_UUID),
    # allauth's emailed keys and passkeys: only "missing" so far.
    "key": missing_only("no-such-key"),
    "uidb36": missing_only("zz"),
    "pk": missing_only("999999"),
}
for _parameter, _missing in (
    ("post_id", "999999"),
    ("tier_id", "999999"),
    ("comment_id", "999999"),
    ("media_id", NO_SUCH_UUID),
    ("kind", "like"),  # /p/{post_id}/{kind}/: like or bookmark
    ("action", "publish"),  # /studio/posts/{post_id}/{action}/
    ("album_id", NO_SUCH_UUID),
    ("upload_id", NO_SUCH_UUID),
    ("variant", "thumb"),  # /media/d/{media_id}/{variant}/{file}
    ("file", "missing.jpg"),
):
    TARGETS.setdefault(_parameter, missing_only(_missing))


# --- Discovering every route ----------------------------------------------------------------------------


def _template(route: str) -> str:
    """A URL pattern as a path template: "<str:handle>" and "(?P<handle>...)" become "{handle}"."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return route.replace("^", "").replace("$", "")


def url_patterns() -> list[str]:
    """Every URL pattern of the project as a path template ("/accounts/avatars/{handle}.png")."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + _template(str(pattern.pattern))
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            else:
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def api_operations() -> list[tuple[str, str]]:
    """(method, path template) of every operation of the API, from its routers."""
    root = reverse("api:api-root").rstrip("/")
    operations = []
    # The routers as mounted on the API (nested routers included), as Django Ninja builds its URLs.
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"{root}/{router.prefix}/{path}").rstrip("/") or "/"
            full = re.sub(r"{\w+:(\w+)}", r"{\1}", full)  # "{uuidstr:album_id}" -> "{album_id}"
            for operation in path_view.operations:
                operations.extend((method, full) for method in operation.methods)
    return sorted(operations)


def _excluded(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in EXCLUDED_PREFIXES)


def test_every_route_is_declared():
    declared_paths = {key[1] for key in POLICY}
    declared_operations = {(key[0], key[1]) for key in POLICY}

    undeclared_urls = [path for path in url_patterns() if path not in declared_paths and not _excluded(path)]
    undeclared_operations = [op for op in api_operations() if op not in declared_operations]

    assert undeclared_urls == [], (
        "These URLs have no row in tests/test_authz_matrix.py POLICY. Declare what every role gets "
        f"(anonymous, fan, creator, other_creator, moderator, admin): {undeclared_urls}"
    )
    assert undeclared_operations == [], (
        "These API operations have no row in tests/test_authz_matrix.py POLICY. Declare what every "
        f"role gets: {undeclared_operations}"
    )


def test_every_row_names_a_route_that_exists():
    paths = set(url_patterns())
    stale = sorted({key[1] for key in POLICY if key[1] not in paths})

    assert stale == [], f"POLICY rows for routes that no longer exist (remove or fix them): {stale}"


def test_every_row_declares_every_role_and_a_known_target():
    for key, row in POLICY.items():
        expect = row.expect if isinstance(row, Row) else row
        assert set(expect) == set(ROLES), f"{key}: declare exactly the roles {ROLES}"
        parameters = re.findall(r"{(\w+)}", key[1])
        if parameters:
            assert len(key) == 3, f"{key}: a path with {{{parameters[0]}}} needs a target (own/other/missing)"
            assert all(key[2] in TARGETS[name] for name in parameters), f"{key}: unknown target"
        else:
            assert len(key) == 2, f"{key}: a target only makes sense for a path with parameters"


# --- Running every row as every role -------------------------------------------------------------------


def _user(role: str, handle: str) -> User:
    user = account_services.user_create(
        email=f"{handle}@example.com", handle=handle, password=PASSWORD, role=role
    )
    account_services.user_avatar_generate(user_id=user.pk)
    return user


@dataclass
class Actor:
    client: Client
    csrf_token: str


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    # A worker heartbeat, so /readyz answers as in production (rolled back with the test).
    async_to_sync(procrastinate_app.job_manager.register_worker)()
    settings.MEDIA_ROOT = str(tmp_path)
    settings.METRICS_TOKEN = "matrix-metrics-token"
    settings.RATE_LIMIT_ENABLED = False  # the limiter has its own tests; here only access matters
    users = {
        "fan": _user(Role.FAN, "matrix.fan"),
        "creator": _user(Role.CREATOR, "matrix.creator"),
        "other_creator": _user(Role.CREATOR, "matrix.other"),
        "moderator": _user(Role.MODERATOR, "matrix.mod"),
        "admin": _user(Role.ADMIN, "matrix.admin"),
        "bystander": _user(Role.FAN, "matrix.bystander"),
    }
    User.objects.filter(pk=users["admin"].pk).update(is_staff=True, is_superuser=True)
    users["admin"].refresh_from_db()
    return World(users=users)


@pytest.fixture
def actors(world: World) -> dict[str, Actor]:
    """A browser per role and for the bystander: signed in (session cookie), with its CSRF token."""
    result = {}
    for owner in ("anonymous", *OWNERS):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if owner != "anonymous":
            client.force_login(world.users[owner])
        client.get("/offline/")  # sets the CSRF cookie; a signed-in session gets its device session
        result[owner] = Actor(client, client.cookies["csrftoken"].value)
    for parameter, build in OBJECTS.items():
        world.objects[parameter] = {owner: build(world.users[owner]) for owner in OWNERS}
    return result


def _fingerprint() -> dict[str, str]:
    """A digest of every row of every table with a model (ours, Django's, allauth's, the job queue),
    in one query: each table's rows as text, sorted, hashed."""
    existing = set(connection.introspection.table_names())
    tables = sorted({model._meta.db_table for model in apps.get_models()} & existing)
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT %s, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quote(table)} t"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return dict(cursor.fetchall())


def _request(actor: Actor, method: str, path: str, body: dict[str, Any] | None) -> Any:
    headers = {"X-CSRFToken": actor.csrf_token}
    if path.startswith("/api/"):
        data = (
            json.dumps(body) if body is not None else (b"{}" if method in ("POST", "PATCH", "PUT") else b"")
        )
        return actor.client.generic(method, path, data, content_type="application/json", headers=headers)
    if method == "GET":
        return actor.client.get(path, headers=headers)
    return actor.client.generic(
        method,
        path,
        "&".join(f"{name}={value}" for name, value in (body or {}).items()),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def _path_for(key: Key, world: World, role: str) -> str | None:
    path = key[1]
    for name in re.findall(r"{(\w+)}", path):
        value = TARGETS[name][key[2]](world, role)
        if value is None:
            return None
        path = path.replace("{" + name + "}", value)
    return path


class _Rollback(Exception):
    pass


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # At collection, after the whole module ran: rows added below this point (later sections) run too.
    if metafunc.function.__name__ == "test_access":
        metafunc.parametrize("key", list(POLICY), ids=lambda key: " ".join(key))


def test_access(key: Key, world: World, actors: dict[str, Actor]):
    row = POLICY[key]
    expect, body = (row.expect, row.body) if isinstance(row, Row) else (row, None)
    method = key[0]
    got: dict[str, int | None] = {}
    changed_on_denial: list[str] = []
    for role in ROLES:
        path = _path_for(key, world, role)
        if path is None:
            got[role] = None
            continue
        try:
            with transaction.atomic():
                before = _fingerprint() if method != "GET" else None
                response = _request(actors[role], method, path, body)
                got[role] = response.status_code
                if before is not None and response.status_code >= 400 and _fingerprint() != before:
                    changed_on_denial.append(role)
                raise _Rollback  # every role starts from the same world
        except _Rollback:
            pass

    assert got == expect
    assert changed_on_denial == [], f"refused, yet the database changed for: {changed_on_denial}"


# --- Billing (issue 5) ----------------------------------------------------------------------------------
# Money-moving writes are called with an empty body: 422 once authenticated (validation, or the missing
# Idempotency-Key). Webhooks carry no credentials (the signature is the authentication): an unknown
# processor is 404 for everyone.
POLICY.update(
    {
        ("POST", "/api/v1/billing/tips"): signed_in(422),
        ("POST", "/api/v1/billing/unlocks"): signed_in(422),
        ("POST", "/api/v1/billing/wallet/top-ups"): signed_in(422),
        ("GET", "/api/v1/billing/wallet"): signed_in(200),
        ("GET", "/api/v1/billing/charges"): signed_in(200),
        ("POST", "/api/v1/billing/subscriptions"): signed_in(422),
        ("GET", "/api/v1/billing/subscriptions"): signed_in(200),
        ("POST", "/api/v1/billing/subscriptions/{subscription_id}/cancel", "missing"): signed_in(404),
        ("POST", "/api/v1/billing/payouts"): signed_in(422),
        ("GET", "/api/v1/billing/payouts"): signed_in(200),
        ("POST", "/api/v1/billing/webhooks/{processor}", "missing"): everyone(404),
    }
)
TARGETS.setdefault("subscription_id", missing_only("999999"))
TARGETS.setdefault("processor", missing_only("no-such-processor"))

# Billing pages: every page needs a session (anonymous -> sign-in). Checkout pages of objects the matrix
# cannot build are 404; a tip to someone who is not a creator (the bystander) or to yourself is 404.
# Earnings and payouts are creators' pages (403 for the other roles). Form POSTs without fields come
# back as the form (422 checkout, 200 payouts: the matrix's creators have no MFA, so the reason shows).
POLICY.update(
    {
        ("GET", "/billing/"): signed_in(200, anonymous=302),
        ("GET", "/billing/receipts/{charge_id}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/billing/subscribe/{tier_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/billing/subscribe/{tier_id}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/billing/unlock/{post_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/billing/unlock/{post_id}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/billing/tip/{handle}/", "own"): signed_in(404, anonymous=None),
        ("GET", "/billing/tip/{handle}/", "other"): signed_in(404, anonymous=302),
        ("GET", "/billing/tip/{handle}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/billing/tip/{handle}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/billing/subscriptions/"): signed_in(200, anonymous=302),
        ("POST", "/billing/subscriptions/{subscription_id}/{action}/", "missing"): signed_in(
            404, anonymous=302
        ),
        ("GET", "/billing/earnings/"): {
            **signed_in(403, anonymous=302),
            "creator": 200,
            "other_creator": 200,
        },
        ("GET", "/billing/payouts/"): {**signed_in(403, anonymous=302), "creator": 200, "other_creator": 200},
        ("POST", "/billing/payouts/"): {
            **signed_in(403, anonymous=302),
            "creator": 200,
            "other_creator": 200,
        },
        ("GET", "/billing/statement.csv"): signed_in(200, anonymous=302),
    }
)
TARGETS.setdefault("charge_id", missing_only(NO_SUCH_UUID))

# Billing, session 2 (promotions, gifts, tier changes, refunds, payout schedules). Empty JSON bodies:
# 422 once authenticated (validation, or the missing Idempotency-Key). Refunds: 422 for every signed-in
# role because the Idempotency-Key check comes first; with a key, only admins and the paid creator get
# past "no such charge" (fanclub/billing/tests/test_refunds_and_schedules.py). Promotions and payout
# schedules are creators' pages (403 for the other roles).
_CREATORS_ONLY_PAGE = {**signed_in(403, anonymous=302), "creator": 200, "other_creator": 200}
POLICY.update(
    {
        ("POST", "/api/v1/billing/gifts"): signed_in(422),
        ("POST", "/api/v1/billing/subscriptions/{subscription_id}/change-tier", "missing"): signed_in(422),
        ("POST", "/api/v1/billing/charges/{charge_id}/refunds", "missing"): signed_in(422),
        ("GET", "/api/v1/billing/promotions"): signed_in(200),
        ("POST", "/api/v1/billing/promotions"): signed_in(422),
        ("POST", "/api/v1/billing/promotions/{promotion_id}/disable", "missing"): signed_in(404),
        ("GET", "/api/v1/billing/payouts/schedule"): signed_in(200),
        ("PUT", "/api/v1/billing/payouts/schedule"): signed_in(422),
        ("GET", "/billing/gift/{tier_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/billing/gift/{tier_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/billing/subscriptions/{subscription_id}/change-tier/", "missing"): signed_in(
            404, anonymous=302
        ),
        ("GET", "/billing/promotions/"): _CREATORS_ONLY_PAGE,
        ("POST", "/billing/promotions/"): {**_CREATORS_ONLY_PAGE, "creator": 422, "other_creator": 422},
        ("POST", "/billing/promotions/{promotion_id}/disable/", "missing"): {
            **_CREATORS_ONLY_PAGE,
            "creator": 404,
            "other_creator": 404,
        },
        ("POST", "/billing/payouts/schedule/"): {**_CREATORS_ONLY_PAGE, "creator": 302, "other_creator": 302},
    }
)
TARGETS.setdefault("promotion_id", missing_only("999999"))
# A real processor's webhook (CCBill) without CCBill's network, account and digest: 400 for everyone,
# nothing stored (no credentials: the verification is the authentication).
TARGETS["processor"]["other"] = lambda world, role: "ccbill"
POLICY[("POST", "/api/v1/billing/webhooks/{processor}", "other")] = everyone(400)

# --- Community: votes, swipe deck, explore, rankings, badges (fanclub.community) -------------------------
# Votes and swipes need a session; the matrix builds no posts, so "missing" only (the access policy for
# real posts -- locked, blocked both ways, geo-blocked, own -- is tested in fanclub/community/tests).
# Explore, rankings and badges are public reads filtered per viewer; the matrix's creator roles have no
# creator profile, so every badges lookup is 404 (as for /api/v1/creators/{handle}).
POLICY.update(
    {
        ("POST", "/api/v1/posts/{post_id}/vote", "missing"): Row(signed_in(404), body={"value": 1}),
        ("DELETE", "/api/v1/posts/{post_id}/vote", "missing"): signed_in(404),
        ("POST", "/api/v1/posts/{post_id}/media/{media_id}/vote", "missing"): Row(
            signed_in(404), body={"value": -1}
        ),
        ("DELETE", "/api/v1/posts/{post_id}/media/{media_id}/vote", "missing"): signed_in(404),
        ("GET", "/api/v1/deck"): signed_in(200),
        ("POST", "/api/v1/deck/{media_id}/swipe", "missing"): Row(signed_in(404), body={"action": "like"}),
        ("GET", "/api/v1/explore/trending"): everyone(200),
        ("GET", "/api/v1/explore/creators"): everyone(200),
        ("GET", "/api/v1/rankings"): everyone(200),
        ("GET", "/api/v1/creators/{handle}/badges", "own"): {**everyone(404), "anonymous": None},
        ("GET", "/api/v1/creators/{handle}/badges", "other"): everyone(404),
        ("GET", "/api/v1/creators/{handle}/badges", "missing"): everyone(404),
        ("GET", "/swipe/"): signed_in(200, anonymous=302),
        ("GET", "/explore/"): everyone(200),
        ("GET", "/rankings/"): everyone(200),
    }
)

# --- Search, tag and category pages (fanclub.search, issue 6) -------------------------------------------
# Public reads for every role (the viewer only changes what is found). Without ?q= the API answers 422
# (query_empty) and the pages show the empty search box. Any well-formed tag has a page (200, empty when
# no visible post carries it); categories are a fixed list, so an unknown one is 404.
POLICY.update(
    {
        ("GET", "/api/v1/search"): everyone(422),
        ("GET", "/api/v1/search/suggest"): everyone(422),
        ("GET", "/api/v1/tags/{tag}/posts", "missing"): everyone(200),
        ("GET", "/api/v1/categories/{category}/posts", "missing"): everyone(404),
        ("GET", "/search/"): everyone(200),
        ("GET", "/search/suggest/"): everyone(200),
        ("GET", "/tags/{tag}/", "missing"): everyone(200),
        ("GET", "/categories/{category}/", "missing"): everyone(404),
    }
)
TARGETS.setdefault("tag", missing_only("no-post-has-this-tag"))
TARGETS.setdefault("category", missing_only("no-such-category"))

# --- Feeds, blocks, mutes, fan lists (fanclub.feeds, fanclub.social; issue 6) ---------------------------
# Blocking or muting yourself is refused (409, nothing written); "other" is the bystander fan. Fan
# lists belong to creators with a profile: the matrix's creators have none, so 403 in the API and 404
# on pages for every signed-in role; list ids are "missing" only (fanclub/social/tests/test_fan_lists.py
# covers own/other lists). The feed's access policy rows live in fanclub/feeds/tests/test_feed.py.
POLICY.update(
    {
        ("GET", "/api/v1/feed"): signed_in(200),
        ("POST", "/api/v1/users/{handle}/block", "own"): signed_in(409, anonymous=None),
        ("POST", "/api/v1/users/{handle}/block", "other"): signed_in(200),
        ("POST", "/api/v1/users/{handle}/block", "missing"): signed_in(404),
        ("DELETE", "/api/v1/users/{handle}/block", "own"): signed_in(200, anonymous=None),
        ("DELETE", "/api/v1/users/{handle}/block", "other"): signed_in(200),
        ("DELETE", "/api/v1/users/{handle}/block", "missing"): signed_in(404),
        ("POST", "/api/v1/users/{handle}/mute", "own"): signed_in(409, anonymous=None),
        ("POST", "/api/v1/users/{handle}/mute", "other"): signed_in(200),
        ("POST", "/api/v1/users/{handle}/mute", "missing"): signed_in(404),
        ("DELETE", "/api/v1/users/{handle}/mute", "own"): signed_in(200, anonymous=None),
        ("DELETE", "/api/v1/users/{handle}/mute", "other"): signed_in(200),
        ("DELETE", "/api/v1/users/{handle}/mute", "missing"): signed_in(404),
        ("GET", "/api/v1/me/blocks"): signed_in(200),
        ("GET", "/api/v1/me/mutes"): signed_in(200),
        ("GET", "/api/v1/me/fan-lists"): signed_in(403),
        ("POST", "/api/v1/me/fan-lists"): Row(signed_in(403), body={"name": "Matrix"}),
        ("GET", "/api/v1/me/fan-lists/{list_id}", "missing"): signed_in(403),
        ("PATCH", "/api/v1/me/fan-lists/{list_id}", "missing"): Row(signed_in(403), body={"name": "Matrix"}),
        ("DELETE", "/api/v1/me/fan-lists/{list_id}", "missing"): signed_in(403),
        ("GET", "/api/v1/me/fan-lists/{list_id}/members", "missing"): signed_in(403),
        ("POST", "/api/v1/me/fan-lists/{list_id}/members", "missing"): Row(
            signed_in(403), body={"fanHandle": "matrix.fan"}
        ),
        ("PATCH", "/api/v1/me/fan-lists/{list_id}/members/{handle}", "missing"): Row(
            signed_in(403), body={"note": "matrix"}
        ),
        ("DELETE", "/api/v1/me/fan-lists/{list_id}/members/{handle}", "missing"): signed_in(403),
        # Pages
        ("GET", "/feed/"): signed_in(200, anonymous=302),
        ("GET", "/settings/blocked/"): signed_in(200, anonymous=302),
        ("POST", "/u/{handle}/block/", "own"): signed_in(302, anonymous=None),  # refused, back with a message
        ("POST", "/u/{handle}/block/", "other"): signed_in(302, anonymous=302),
        ("POST", "/u/{handle}/block/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/u/{handle}/mute/", "own"): signed_in(302, anonymous=None),
        ("POST", "/u/{handle}/mute/", "other"): signed_in(302, anonymous=302),
        ("POST", "/u/{handle}/mute/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/studio/fans/"): signed_in(404, anonymous=302),
        ("POST", "/studio/fans/"): signed_in(404, anonymous=302),
        ("GET", "/studio/fans/lists/{list_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/fans/lists/{list_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/fans/lists/{list_id}/delete/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/fans/lists/{list_id}/members/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/studio/fans/lists/{list_id}/members/{handle}/", "missing"): signed_in(404, anonymous=302),
    }
)
TARGETS.setdefault("list_id", missing_only("999999"))


# --- Notifications (issue 6) ----------------------------------------------------------------------------
# Every notification is its recipient's own: someone else's is 404 like a missing one. Unsubscribe
# links work signed out (the signature is the credential): a forged token is 400 for everyone.
def _notification(user: User) -> str:
    from fanclub.notifications.models import Notification

    return str(Notification.objects.create(recipient=user, kind="new_follower").pk)


OBJECTS["notification_id"] = _notification
TARGETS["notification_id"] = owned("notification_id", missing="999999")
TARGETS.setdefault("token", missing_only("forged-token"))
POLICY.update(
    {
        ("GET", "/api/v1/notifications"): signed_in(200),
        ("GET", "/api/v1/notifications/unread-count"): signed_in(200),
        ("POST", "/api/v1/notifications/read-all"): signed_in(200),
        ("POST", "/api/v1/notifications/{notification_id}/read", "own"): signed_in(200, anonymous=None),
        ("POST", "/api/v1/notifications/{notification_id}/read", "other"): signed_in(404),
        ("POST", "/api/v1/notifications/{notification_id}/read", "missing"): signed_in(404),
        ("GET", "/api/v1/me/notification-preferences"): signed_in(200),
        ("PUT", "/api/v1/me/notification-preferences"): signed_in(200),
        ("POST", "/api/v1/me/push-subscriptions"): signed_in(422),
        ("DELETE", "/api/v1/me/push-subscriptions"): Row(
            {**signed_in(204)}, body={"endpoint": "https://push.example/matrix"}
        ),
        # Pages
        ("GET", "/notifications/"): signed_in(200, anonymous=302),
        ("POST", "/notifications/read-all/"): everyone(302),
        ("POST", "/notifications/{notification_id}/read/", "own"): signed_in(302, anonymous=None),
        ("POST", "/notifications/{notification_id}/read/", "other"): signed_in(404, anonymous=302),
        ("POST", "/notifications/{notification_id}/read/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/notifications/unsubscribe/{token}/", "missing"): everyone(400),
        ("POST", "/notifications/unsubscribe/{token}/", "missing"): everyone(400),
        ("GET", "/settings/notifications/"): signed_in(200, anonymous=302),
        ("POST", "/settings/notifications/"): everyone(302),
        # Acts on the caller's own address only; back to the settings page (anonymous: sign-in).
        ("POST", "/settings/notifications/email/resume/"): everyone(302),
        # /hooks/email/<esp>/tracking/ (the ESP's delivery-status webhook) is mounted only with
        # EMAIL_URL=anymail://<esp>; its auth is tested in fanclub/notifications/tests/test_email_webhooks.py.
    }
)


# --- Messaging (issue 7) --------------------------------------------------------------------------------
# Every role has a conversation with a partner of its own ("own"); "other" is the bystander's. Objects
# the matrix does not build (messages, replies, mass messages) are "missing" only. JSON writes called
# with an empty body are 422 once authenticated (validation runs before the object is looked up).
# Creator-only tools (mass messages, inbox settings) are 403 for the other roles.
def _conversation(user: User) -> str:
    from fanclub.messaging import services as messaging_services

    partner = account_services.user_create(
        email=f"partner.{user.handle}@example.com", handle=f"partner.{user.handle}", password=PASSWORD
    )
    return str(messaging_services.conversation_open(user=user, handle=partner.handle).conversation_id)


def creators_only(status: int, *, others: int = 403, anonymous: int = 401) -> Expect:
    return {
        "anonymous": anonymous,
        "fan": others,
        "creator": status,
        "other_creator": status,
        "moderator": others,
        "admin": others,
    }


OBJECTS["conversation_id"] = _conversation
TARGETS["conversation_id"] = owned("conversation_id", missing="999999")
for _parameter in ("message_id", "reply_id", "mass_message_id"):
    TARGETS.setdefault(_parameter, missing_only("999999"))
_M = "/api/v1/messaging"
_CONV = f"{_M}/conversations/{{conversation_id}}"
POLICY.update(
    {
        ("GET", f"{_M}/conversations"): signed_in(200),
        ("POST", f"{_M}/conversations"): signed_in(422),
        ("GET", _CONV, "own"): signed_in(200, anonymous=None),
        ("GET", _CONV, "other"): signed_in(404),
        ("GET", _CONV, "missing"): signed_in(404),
        ("GET", f"{_CONV}/messages", "own"): signed_in(200, anonymous=None),
        ("GET", f"{_CONV}/messages", "other"): signed_in(404),
        ("GET", f"{_CONV}/messages", "missing"): signed_in(404),
        ("POST", f"{_CONV}/messages", "own"): Row(signed_in(201, anonymous=None), body={"text": "matrix"}),
        ("POST", f"{_CONV}/messages", "other"): Row(signed_in(404), body={"text": "matrix"}),
        ("POST", f"{_CONV}/messages", "missing"): Row(signed_in(404), body={"text": "matrix"}),
        ("POST", f"{_CONV}/read", "own"): signed_in(200, anonymous=None),
        ("POST", f"{_CONV}/read", "other"): signed_in(404),
        ("POST", f"{_CONV}/read", "missing"): signed_in(404),
        ("POST", f"{_CONV}/tips", "missing"): signed_in(422),
        ("POST", f"{_M}/messages/{{message_id}}/unlock", "missing"): signed_in(422),
        ("POST", f"{_M}/messages/{{message_id}}/report", "missing"): signed_in(422),
        ("GET", f"{_M}/unread"): signed_in(200),
        ("GET", f"{_M}/settings"): signed_in(200),
        ("PUT", f"{_M}/settings"): signed_in(422),
        ("GET", f"{_M}/saved-replies"): signed_in(200),
        ("POST", f"{_M}/saved-replies"): signed_in(422),
        ("DELETE", f"{_M}/saved-replies/{{reply_id}}", "missing"): signed_in(404),
        ("POST", f"{_M}/mass-messages/preview"): signed_in(422),
        ("GET", f"{_M}/mass-messages"): creators_only(200),
        ("POST", f"{_M}/mass-messages"): signed_in(422),
        ("GET", f"{_M}/mass-messages/{{mass_message_id}}", "missing"): creators_only(404),
        # Pages
        ("GET", "/messages/"): signed_in(200, anonymous=302),
        ("POST", "/messages/start/"): signed_in(404, anonymous=302),  # no handle: no such user
        ("GET", "/messages/settings/"): creators_only(200, anonymous=302),
        ("POST", "/messages/settings/"): creators_only(422, anonymous=302),
        ("GET", "/messages/{conversation_id}/", "own"): signed_in(200, anonymous=None),
        ("GET", "/messages/{conversation_id}/", "other"): signed_in(404, anonymous=302),
        ("GET", "/messages/{conversation_id}/", "missing"): signed_in(404, anonymous=302),
        # Without text the page comes back with the error (a redirect to the conversation).
        ("POST", "/messages/{conversation_id}/send/", "own"): signed_in(302, anonymous=None),
        ("POST", "/messages/{conversation_id}/send/", "other"): signed_in(404, anonymous=302),
        ("POST", "/messages/{conversation_id}/send/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/messages/{conversation_id}/m/{message_id}/", "missing"): signed_in(404, anonymous=302),
        # The partner is not a creator: no tips.
        ("GET", "/messages/{conversation_id}/tip/", "own"): signed_in(404, anonymous=None),
        ("GET", "/messages/{conversation_id}/tip/", "other"): signed_in(404, anonymous=302),
        ("POST", "/messages/{conversation_id}/tip/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/messages/unlock/{message_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/messages/unlock/{message_id}/", "missing"): signed_in(404, anonymous=302),
        ("POST", "/messages/report/{message_id}/", "missing"): signed_in(404, anonymous=302),
        ("GET", "/studio/mass-messages/"): creators_only(200, anonymous=302),
        ("POST", "/studio/mass-messages/"): creators_only(422, anonymous=302),
        ("POST", "/studio/mass-messages/preview/"): creators_only(200, anonymous=302),
    }
)


# --- Moderation (issue 6: moderation results) -----------------------------------------------------------
# Moderators and admins only; the writes take a valid body so that the role check, not validation,
# decides (a fan gets 403 before any lookup). Reports and posts are "missing" only: the services'
# own tests resolve and remove real ones.
TARGETS.setdefault("report_id", missing_only("999999"))
POLICY.update(
    {
        ("GET", "/api/v1/moderation/message-reports"): moderators(200),
        ("POST", "/api/v1/moderation/message-reports/{report_id}/resolve", "missing"): Row(
            moderators(404), body={"outcome": "dismissed", "note": "matrix"}
        ),
        ("POST", "/api/v1/moderation/posts/{post_id}/remove", "missing"): Row(
            moderators(404), body={"reason": "matrix"}
        ),
    }
)
