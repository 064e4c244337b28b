"""HTTP entries: what our middleware stack costs, and WSGI against ASGI for the same application."""

from __future__ import annotations

from typing import Any

from bench import load, report
from bench.context import ASGI_ENV, App, Context
from bench.servers import SERVER_NAMES, Interface

ENDPOINTS = ("/healthz", "/api/v1/creators?limit=20")
# The stack (request id, logging, metrics, rate limit, security headers, session...) may cost at
# most 20% of the throughput bare Django reaches with the same bytes through the same server.
MIDDLEWARE_GOAL = 0.80
MIDDLEWARE_ROUNDS = 2  # ours, bare, ours, bare: spreads drifting background noise over both
# "Materially faster": one interface must beat the other by this factor to settle the choice.
MATERIAL_RATIO = 1.20
ASGI_NOTE = (
    "DATABASE_CONN_MAX_AGE=0, as Django documents for ASGI (persistent connections pile up,\n"
    "one per request thread, until PostgreSQL refuses clients): each request that queries connects anew"
)


def middleware_overhead(context: Context) -> dict[str, Any]:
    """The full app against bare Django returning the same bytes, both through gunicorn (WSGI)."""
    context.capture(ENDPOINTS)
    first_measurement = len(context.background_cpus)
    merged: dict[tuple[str, App], load.Measurement] = {}
    for path in ENDPOINTS:
        for round_number in range(1, MIDDLEWARE_ROUNDS + 1):
            for app in ("ours", "bare"):
                measurement = context.measure(
                    app, "wsgi", path, note=f"round {round_number}/{MIDDLEWARE_ROUNDS}"
                )
                key = (path, app)
                merged[key] = merged[key].merged_with(measurement) if key in merged else measurement

    rows = []
    endpoints: dict[str, Any] = {}
    for path in ENDPOINTS:
        ours, bare = merged[(path, "ours")], merged[(path, "bare")]
        share = ours.requests_per_second / bare.requests_per_second
        passed = share >= MIDDLEWARE_GOAL
        rows.append(
            [
                path,
                report.rate(ours.requests_per_second),
                report.milliseconds(ours.percentile_ms(50)),
                report.milliseconds(ours.percentile_ms(99)),
                report.rate(bare.requests_per_second),
                report.milliseconds(bare.percentile_ms(50)),
                report.milliseconds(bare.percentile_ms(99)),
                report.ratio(share),
                "PASS" if passed else "FAIL",
            ]
        )
        endpoints[path] = {
            "ours": ours.summary(),
            "bare": bare.summary(),
            "ours_over_bare": round(share, 3),
            # Throughput ratio if both were CPU-bound: steadier than req/s under other load.
            "cpu_bare_over_ours": round(bare.cpu_us_per_request / ours.cpu_us_per_request, 3),
            "passed": passed,
        }
    print()
    print(
        report.table(
            [
                f"gunicorn, {context.config.workers} workers",
                "ours req/s",
                "p50 ms",
                "p99 ms",
                "bare req/s",
                "p50 ms",
                "p99 ms",
                "ours/bare",
                f">= {MIDDLEWARE_GOAL:.2f}",
            ],
            rows,
        )
    )
    print(
        f"\nGoal: the middleware stack costs at most {1 - MIDDLEWARE_GOAL:.0%} of throughput "
        f"(ours/bare >= {MIDDLEWARE_GOAL:.2f})."
    )
    for path, result in endpoints.items():
        verdict = "PASS" if result["passed"] else "FAIL"
        ours, bare = merged[(path, "ours")], merged[(path, "bare")]
        print(
            f"  {verdict}  {path}: ours keeps {result['ours_over_bare']:.0%} of bare throughput; "
            f"CPU per request ours {ours.cpu_us_per_request:,.0f} us, bare "
            f"{bare.cpu_us_per_request:,.0f} us (CPU-based ours/bare "
            f"{result['cpu_bare_over_ours']:.2f})"
        )
    print(
        "  /healthz does no work of its own, so its gap is the stack (middleware, URL resolution);\n"
        "  the API list also pays for its view (a PostgreSQL query, validation, serialisation)."
    )
    print(context.background_note(first_measurement))
    return {
        "server": "gunicorn (WSGI)",
        "rounds": MIDDLEWARE_ROUNDS,
        "goal_ours_over_bare": MIDDLEWARE_GOAL,
        "passed": all(result["passed"] for result in endpoints.values()),
        "endpoints": endpoints,
    }


def wsgi_vs_asgi(context: Context) -> dict[str, Any]:
    """Each app through gunicorn (WSGI) and through uvicorn (ASGI), same worker count, back to back."""
    context.capture(ENDPOINTS)
    first_measurement = len(context.background_cpus)
    results: dict[tuple[str, App, Interface], load.Measurement] = {}
    for path in ENDPOINTS:
        # WSGI first for ours, ASGI first for bare: neither interface always runs first.
        for app, order in (("ours", ("wsgi", "asgi")), ("bare", ("asgi", "wsgi"))):
            for interface in order:
                results[(path, app, interface)] = context.measure(app, interface, path)

    rows = []
    endpoints: dict[str, Any] = {}
    for path in ENDPOINTS:
        endpoints[path] = {}
        for app in ("ours", "bare"):
            wsgi, asgi = results[(path, app, "wsgi")], results[(path, app, "asgi")]
            factor = wsgi.requests_per_second / asgi.requests_per_second
            cpu_factor = asgi.cpu_us_per_request / wsgi.cpu_us_per_request
            rows.append(
                [
                    f"{path} ({app})",
                    report.rate(wsgi.requests_per_second),
                    report.milliseconds(wsgi.percentile_ms(50)),
                    report.milliseconds(wsgi.percentile_ms(99)),
                    f"{wsgi.cpu_us_per_request:,.0f}",
                    report.rate(asgi.requests_per_second),
                    report.milliseconds(asgi.percentile_ms(50)),
                    report.milliseconds(asgi.percentile_ms(99)),
                    f"{asgi.cpu_us_per_request:,.0f}",
                    report.ratio(factor),
                    report.ratio(cpu_factor),
                ]
            )
            endpoints[path][app] = {
                "wsgi": wsgi.summary(),
                "asgi": asgi.summary(),
                "wsgi_over_asgi": round(factor, 3),
                "cpu_asgi_over_wsgi": round(cpu_factor, 3),
            }
    print()
    print(
        report.table(
            [
                f"{context.config.workers} workers each",
                f"{SERVER_NAMES['wsgi']} req/s",
                "p50 ms",
                "p99 ms",
                "CPU us/req",
                f"{SERVER_NAMES['asgi']} req/s",
                "p50 ms",
                "p99 ms",
                "CPU us/req",
                "WSGI/ASGI",
                "by CPU",
            ],
            rows,
        )
    )
    print(
        "WSGI/ASGI: throughput ratio. by CPU: ASGI's CPU per request over WSGI's (server processes,\n"
        "PostgreSQL and interrupt time, i.e. loopback TCP): the throughput ratio of a CPU-bound machine,\n"
        "which other load barely moves."
    )
    ours = [(results[(path, "ours", "wsgi")], results[(path, "ours", "asgi")]) for path in ENDPOINTS]
    decision = _decision(
        [wsgi.requests_per_second / asgi.requests_per_second for wsgi, asgi in ours],
        [asgi.cpu_us_per_request / wsgi.cpu_us_per_request for wsgi, asgi in ours],
    )
    print(f"\n{decision}")
    print(f"Under uvicorn our app runs with {ASGI_NOTE}.\n{context.background_note(first_measurement)}")
    return {
        "workers": context.config.workers,
        "material_ratio": MATERIAL_RATIO,
        "asgi_settings": ASGI_ENV,
        "decision": decision,
        "endpoints": endpoints,
    }


def _decision(throughput: list[float], cpu: list[float]) -> str:
    """The verdict for our app from both ratios (WSGI over ASGI), one pair per endpoint."""
    pairs = zip(ENDPOINTS, throughput, cpu, strict=True)
    shown = "; ".join(f"{path} {rps:.2f}x, by CPU {by_cpu:.2f}x" for path, rps, by_cpu in pairs)
    if min(cpu) >= MATERIAL_RATIO:
        caveat = ""
        if min(throughput) < MATERIAL_RATIO:
            caveat = " Throughput alone fell short of the threshold in this run: see the other load."
        return (
            f"WSGI is materially faster for our app (WSGI/ASGI {shown}).\n"
            "Serve HTTP through WSGI workers (gunicorn) and keep an ASGI server (uvicorn) only for "
            f"WebSockets.{caveat}"
        )
    if max(cpu) <= 1 / MATERIAL_RATIO:
        return f"ASGI is materially faster for our app (WSGI/ASGI {shown}): reconsider serving HTTP via WSGI."
    return f"No material difference for our app (WSGI/ASGI {shown}; threshold {MATERIAL_RATIO:.2f}x)."
