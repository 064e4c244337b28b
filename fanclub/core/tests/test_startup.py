"""A web process freezes its startup heap: a full collection then skips it."""

from __future__ import annotations

import os
import subprocess
import sys

from config.options import BASE_DIR

_PROBE = """
import gc, sys, time
import config.{module}
frozen = gc.get_freeze_count()
assert "config.api" in sys.modules and "fanclub.feeds.api" in sys.modules, "URLs not loaded"
started = time.perf_counter()
gc.collect()
print(frozen, len(gc.get_objects(generation=2)), time.perf_counter() - started)
"""


def test_wsgi_and_asgi_entry_points_freeze_what_they_loaded():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings_test"),
    }
    for module in ("wsgi", "asgi"):
        completed = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        frozen, old, _ = completed.stdout.split()
        # The URLs and the API were loaded before freezing: their objects are among the frozen.
        assert int(frozen) > 50_000, completed.stdout
        assert int(old) < 1_000, completed.stdout
