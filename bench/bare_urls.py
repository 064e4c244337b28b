"""One plain function view per captured URL, returning the full app's bytes as a constant.

The responses come from the file named by BENCH_BARE_RESPONSES, written by ``bench.context`` after
fetching each URL from the full app once at the start of the run.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def _constant_view(body: bytes, content_type: str) -> Callable[[HttpRequest], HttpResponse]:
    length = str(len(body))

    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(body, content_type=content_type)
        # The full app's CommonMiddleware sets it; without it gunicorn would answer chunked.
        response["Content-Length"] = length
        return response

    return view


def _patterns() -> list[URLPattern]:
    captured = json.loads(Path(os.environ["BENCH_BARE_RESPONSES"]).read_text())
    by_path: dict[str, dict[str, str]] = {}
    for url, response in captured.items():
        url_path = url.split("?", 1)[0]  # the query string takes no part in URL resolution
        if by_path.setdefault(url_path, response) != response:
            raise ValueError(f"{url_path} was captured with different answers for different queries")
    return [
        path(url_path.lstrip("/"), _constant_view(base64.b64decode(r["body"]), r["content_type"]))
        for url_path, r in by_path.items()
    ]


urlpatterns = _patterns()
