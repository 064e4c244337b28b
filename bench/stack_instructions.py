"""Instructions per request, counted by valgrind: what the middleware stack costs, free of load noise.

``python -m bench.stack_instructions [URL]`` (default ``/healthz``) prepares a private migrated
database (as the other standalone runners), then runs a child process under ``valgrind
--tool=cachegrind`` that serves URL in-process through Django's WSGI handler and gunicorn's own
``Response`` (headers validated and formatted as gunicorn does, written to a null socket), first
with the settings' MIDDLEWARE, then with none. Each side runs twice, with 200 and 1,000 requests
after the same start-up; the difference divided by 800 is the instructions one request costs.
A machine shared with other work changes time, not instruction counts, so two versions of the code
can be compared on a busy machine (pass ``--tree DIR`` to count another checkout, e.g. a
``git worktree`` of the previous commit). Needs valgrind (``apt-get install valgrind``); takes a
few minutes per side.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LOW, HIGH = 200, 1000


def _child(url: str, count: int, bare: bool) -> None:
    sys.path[0] = os.getcwd()  # the tree being counted (cwd), instead of this file's directory
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from gunicorn.config import Config
    from gunicorn.http.wsgi import Response

    class NullSocket:
        def sendall(self, data: bytes) -> None:
            pass

    class Request:
        version = (1, 1)
        method = "GET"
        path = uri = url
        headers: list[tuple[str, str]] = []

        def should_close(self) -> bool:
            return False

    if bare:
        settings.MIDDLEWARE = []
    handler = WSGIHandler()
    config = Config()
    path, _, query = url.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "HTTP_ACCEPT": "*/*",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for _ in range(count):
        response = Response(Request(), NullSocket(), config)
        result = handler({**environ, "wsgi.input": io.BytesIO(b"")}, response.start_response)
        try:
            for chunk in result:
                response.write(chunk)
            response.close()
        finally:
            result.close()
        if not response.status.startswith("200"):
            raise SystemExit(f"{url} answered {response.status}")


def _instructions(env: dict[str, str], tree: str, url: str, count: int, bare: bool) -> int:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    # This file runs as a script in the child, so a tree without it (an older checkout) works too.
    command += [sys.executable, str(Path(__file__).resolve()), "--child", str(count), url]
    command += ["--bare"] if bare else []
    child_env = {**env, "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(), "PYTHONPATH": tree}
    completed = subprocess.run(command, cwd=tree, env=child_env, capture_output=True, text=True, check=False)
    match = re.search(r"I\s+refs:\s+([\d,]+)", completed.stderr)
    if completed.returncode != 0 or match is None:
        raise SystemExit(completed.stderr[-3000:])
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="/healthz")
    parser.add_argument("--tree", default=os.getcwd(), help="checkout whose code is counted")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.url, args.child, args.bare)
        return

    from bench.context import PRODUCTION_ENV, private_database_env

    base = {
        **os.environ,
        **PRODUCTION_ENV,
        "SECRET_KEY": secrets.token_urlsafe(45),
        "BILLING_SANDBOX_WEBHOOK_SECRET": secrets.token_hex(16),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",  # every run compiles alike, so LOW and HIGH pay the same
    }
    _, env = private_database_env(prefix="fanclub-instructions-", base=base)
    counts = {}
    for bare in (False, True):
        low = _instructions(env, args.tree, args.url, LOW, bare)
        high = _instructions(env, args.tree, args.url, HIGH, bare)
        counts[bare] = (high - low) / (HIGH - LOW)
    stack = counts[False] - counts[True]
    print(f"{args.url} ({args.tree}): {counts[False]:,.0f} instructions per request with the stack,")
    print(f"{counts[True]:,.0f} without it: the stack costs {stack:,.0f} ({stack / counts[False]:.0%}).")


if __name__ == "__main__":
    main()
