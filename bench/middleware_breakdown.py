"""What each middleware costs: CPU per request with one middleware left out at a time.

Not part of a plain `make bench`; run it with ``python -m bench middleware_breakdown`` after
changing the stack. Every variant runs in one process through Django's WSGI handler with no server
in between (bench.inprocess), timed in interleaved rounds; the per-variant minimum is steady even
on a busy machine, unlike requests/s. A middleware's cost is how much less CPU a request needs
without it (it may also stop working: messages need sessions, the account code needs auth).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench import report
from bench.context import Context
from bench.http_stack import ENDPOINTS
from config.options import BASE_DIR

FULL = "full stack"
NONE = "no middleware"
BARE = "bare Django (same bytes)"


def middleware_breakdown(context: Context) -> dict[str, Any]:
    """Each endpoint: full stack, each middleware left out, none at all, and bare Django."""
    full_stack = _middleware_list(context)
    variants: dict[str, list[str] | None] = {FULL: None}
    for name in full_stack:
        variants[f"without {name.rsplit('.', 1)[-1]}"] = [other for other in full_stack if other != name]
    variants[NONE] = []
    results = _run(context.ours_env, variants)
    context.capture(ENDPOINTS)
    results.update(_run(context.bare_env, {BARE: None}))
    full = results[FULL]
    if isinstance(full, str):
        raise RuntimeError(f"the full stack could not be measured: {full}")

    rows = []
    for label in [*variants, BARE]:
        result = results[label]
        if isinstance(result, str):
            rows.append([label, *["-"] * (2 * len(ENDPOINTS)), result])
            continue
        row = [label]
        for path in ENDPOINTS:
            cost = result[path]["min_us"]
            saved = full[path]["min_us"] - cost
            row += [f"{cost:,.0f}", f"{saved:+,.0f}" if label != FULL else ""]
        rows.append([*row, ""])
    headers = ["in-process CPU us/request"]
    for path in ENDPOINTS:
        headers += [path.split("?")[0], "saved"]
    print()
    print(report.table([*headers, ""], rows))
    print()
    none, bare = results[NONE], results[BARE]
    for path in ENDPOINTS:
        total = full[path]["min_us"]
        line = f"{path}: {total:,.0f} us per request"
        if not isinstance(none, str):
            stack = total - none[path]["min_us"]
            line += f"; the middleware stack is {stack:,.0f} us of it ({stack / total:.0%})"
        if not isinstance(bare, str):
            line += f"; bare Django serving the same bytes: {bare[path]['min_us']:,.0f} us"
        print(line)
    print(
        "'saved': CPU per request without that middleware, against the full stack; minimum of "
        "interleaved rounds,\nso differences under ~10 us are noise."
    )
    return {"middleware": full_stack, "variants": results}


def _run(env: dict[str, str], variants: dict[str, list[str] | None]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.inprocess"],
        input=json.dumps({"urls": list(ENDPOINTS), "variants": variants}),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.inprocess failed:\n{completed.stderr[-3000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _middleware_list(context: Context) -> list[str]:
    """The MIDDLEWARE setting of the full app, read in a child process with the app's environment."""
    completed = subprocess.run(
        [sys.executable, "-c", "import json, config.settings as s; print(json.dumps(s.MIDDLEWARE))"],
        cwd=BASE_DIR,
        env=context.ours_env,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(completed.stdout.strip().splitlines()[-1]))
