"""The feed bench's floor: the least a Python web server must do for the feed's answer, without Django.

A plain WSGI callable, served by the same gunicorn command and worker count as the platform, that
does for ``GET /feed`` only the work no framework can skip: it verifies the bearer JWT's signature
and claims (PyJWT, every request), checks the session it names is live and its user active (one
prepared statement, as ``accounts.selectors.user_for_access_token``), runs the hand-written page
statement the pgbench baseline runs (prepared, on one psycopg connection per worker, autocommit) and
writes its rows as JSON (orjson). No middleware, no routing, no access-policy card, no schema.

Its p99 against pgbench's says how much of the goal's 2x is spent by HTTP, a Python process and a
second round trip before any of our code runs (docs/benchmarks.md, "Session 8").

Configuration, from the environment (bench.feed sets it): BENCH_FLOOR_DB (JSON: psycopg's
connection keywords), BENCH_FLOOR_SQL (a file holding the statement as a JSON string, with
``%(fan)s``, ``%(before_at)s`` and ``%(before_id)s``) and BENCH_FLOOR_JWT_KEY (the platform's JWT
signing key). The page after a cursor is asked for with ``?before_at=...&before_id=...``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import orjson
import psycopg

FAR = "9999-12-31T00:00:00+00:00"  # before every post: the first page
_SESSION_SQL = (
    "SELECT u.id FROM accounts_user u WHERE u.id = %(user_id)s AND u.is_active AND EXISTS "
    "(SELECT 1 FROM accounts_devicesession s WHERE s.id = %(session_id)s::uuid AND s.user_id = u.id"
    " AND s.revoked_at IS NULL)"
)
_JSON = [("Content-Type", "application/json")]

_connection: psycopg.Connection[Any] | None = None
_settings: dict[str, Any] = {}


def _setup() -> tuple[psycopg.Connection[Any], dict[str, Any]]:
    global _connection
    if not _settings:
        _settings["sql"] = json.loads(Path(os.environ["BENCH_FLOOR_SQL"]).read_text())
        _settings["key"] = os.environ["BENCH_FLOOR_JWT_KEY"]
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(autocommit=True, **json.loads(os.environ["BENCH_FLOOR_DB"]))
    return _connection, _settings


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> Iterable[bytes]:
    start_response(status, [*_JSON, ("Content-Length", str(len(body)))])
    return [body]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/healthz":
        return _answer(start_response, "200 OK", b"{}")
    if environ["PATH_INFO"] != "/feed":
        return _answer(start_response, "404 Not Found", b"{}")
    connection, settings = _setup()
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(
            token,
            settings["key"],
            algorithms=["HS256"],
            issuer="fanclub",
            options={"require": ["exp", "iat", "sub", "typ", "iss"]},
        )
    except jwt.PyJWTError:
        return _answer(start_response, "401 Unauthorized", b'{"detail":"invalid token"}')
    if claims["typ"] != "access":
        return _answer(start_response, "401 Unauthorized", b'{"detail":"invalid token"}')
    user_id = int(claims["sub"])
    session = {"user_id": user_id, "session_id": claims["sid"]}
    if not connection.execute(_SESSION_SQL, session, prepare=True).fetchall():
        return _answer(start_response, "401 Unauthorized", b'{"detail":"session ended"}')
    query = parse_qs(environ.get("QUERY_STRING", ""))
    page = {
        "fan": user_id,
        "before_at": query.get("before_at", [FAR])[0],
        "before_id": int(query.get("before_id", ["0"])[0]),
    }
    rows = connection.execute(settings["sql"], page, prepare=True).fetchall()
    body = orjson.dumps({"items": [list(row) for row in rows]}, default=str)
    return _answer(start_response, "200 OK", body)
