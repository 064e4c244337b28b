"""CPU time per request through Django's WSGI handler in one process: no server, no network.

``python -m bench.inprocess`` reads a JSON spec on stdin, ``{"urls": [...], "variants": {label:
[middleware paths] or null}}`` (null: the settings' own MIDDLEWARE), builds one handler per variant
in this process (with the caller's DJANGO_SETTINGS_MODULE and environment) and prints, as JSON,
the CPU microseconds one request takes for each variant and URL.

The variants are timed in interleaved rounds, shuffled, and each keeps its minimum (as ``timeit`` advises: the
minimum is the run least disturbed by other processes), so drifting background load on a shared
machine hits every variant alike. Used by the `middleware_breakdown` entry.
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

ROUNDS = 5
REPEAT_SECONDS = 0.25
WARMUP_REQUESTS = 200

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _environ(url: str) -> dict[str, Any]:
    path, _, query = url.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _request(application: WsgiApp, template: dict[str, Any]) -> str:
    status = ""

    def start_response(value: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        nonlocal status
        status = value

    result = application({**template, "wsgi.input": io.BytesIO(b"")}, start_response)
    try:
        b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()  # sends request_finished, as a server does: connection handling runs here
    return status


def _timed(application: WsgiApp, template: dict[str, Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        _request(application, template)
    return (time.process_time() - started) / count * 1_000_000


def _handler(middleware: list[str] | None) -> WsgiApp:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    if middleware is not None:
        settings.MIDDLEWARE = middleware
    return WSGIHandler()


def measure(urls: list[str], variants: dict[str, list[str] | None]) -> dict[str, Any]:
    import django
    from django.conf import settings

    django.setup()
    own_middleware = list(settings.MIDDLEWARE)
    templates = {url: _environ(url) for url in urls}
    handlers: dict[str, WsgiApp] = {}
    results: dict[str, Any] = {}
    for label, middleware in variants.items():
        try:
            handler = _handler(middleware if middleware is not None else own_middleware)
            for url, template in templates.items():
                for _ in range(WARMUP_REQUESTS):
                    status = _request(handler, template)
                    if not status.startswith("200"):
                        raise RuntimeError(f"{url} answered {status}")
        except Exception as exc:
            results[label] = f"does not work: {type(exc).__name__}: {exc}"[:200]
            continue
        handlers[label] = handler
    if not handlers:
        return results
    first = next(iter(handlers.values()))
    counts = {}
    for url, template in templates.items():
        count = 8
        while _timed(first, template, count) * count / 1_000_000 < REPEAT_SECONDS:
            count *= 2
        counts[url] = count
    samples: dict[str, dict[str, list[float]]] = {label: {url: [] for url in urls} for label in handlers}
    order = list(handlers)
    shuffler = random.Random(0)  # a different order each round, the same across runs
    for _ in range(ROUNDS):
        shuffler.shuffle(order)  # no variant always runs first (or right after the same one)
        for label in order:
            for url, template in templates.items():
                samples[label][url].append(_timed(handlers[label], template, counts[url]))
    for label, by_url in samples.items():
        results[label] = {url: {"min_us": min(runs), "samples_us": runs} for url, runs in by_url.items()}
    return results


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    print(json.dumps(measure(spec["urls"], spec["variants"])))
