"""What a web process does once, after loading the application and before serving requests."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Load what the first request would (every app's URLs, the API and its schemas), then move
    every object alive now into the collector's permanent generation (``gc.freeze``).

    Those objects, about 200,000 in a web process, live as long as the process: a full collection
    kept walking all of them, 130 ms during which the worker answered no one (measured in one
    warmed process: ``docs/benchmarks.md``, "Home feed"). Frozen, they are never examined again; a
    collection walks only what requests created. The URLs are loaded first so that the objects
    built by the first request are frozen too (and an import error shows at start, not on the first
    request)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every URL module and builds the API)
    gc.collect()
    gc.freeze()
