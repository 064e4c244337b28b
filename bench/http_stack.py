"""HTTP entries: what our middleware stack costs, and WSGI against ASGI for the same application."""

from __future__ import annotations

from typing import Any

from bench import load, report
from bench.context import ASGI_ENV, App, Context
from bench.servers import SERVER_NAMES, Interface

ENDPOINTS = ("/healthz", "/api/v1/creators?limit=20")
# The stack (request id, logging, metrics, rate limit, security headers, session...) may cost at
# most 20% of the throughput the same application reaches without it, through the same server.
MIDDLEWARE_GOAL = 0.80
MIDDLEWARE_ROUNDS = 3  # each round rotates the order of the three sides
SIDES = ("ours", "no stack", "bare")
STACKLESS_APPLICATION = "bench.stackless_wsgi:application"
# "Materially faster": one interface must beat the other by this factor to settle the choice.
MATERIAL_RATIO = 1.20
ASGI_NOTE = (
    "DATABASE_CONN_MAX_AGE=0, as Django documents for ASGI (persistent connections pile up,\n"
    "one per request thread, until PostgreSQL refuses clients): each request that queries connects anew"
)


def middleware_overhead(context: Context) -> dict[str, Any]:
    """Three servers through gunicorn (WSGI), measured in interleaved rounds:

    ``ours``      the full platform;
    ``no stack``  the same platform with ``MIDDLEWARE = []`` (bench.stackless_wsgi): same apps,
                  URLconf, views and database, so ours against it is exactly what the stack costs
                  (the goal);
    ``bare``      Django with no apps returning the same bytes as constants (what the issue asks to
                  print next to ours: for the API list it also prices our view and its query).
    """
    context.capture(ENDPOINTS)
    first_measurement = len(context.background_cpus)
    merged: dict[tuple[str, str], load.Measurement] = {}
    with context.variant("no-stack", "wsgi", {}, application=STACKLESS_APPLICATION) as stackless:
        for path in ENDPOINTS:
            for round_number in range(1, MIDDLEWARE_ROUNDS + 1):
                note = f"round {round_number}/{MIDDLEWARE_ROUNDS}"
                # The order rotates each round, so drifting background load spreads over all three.
                order = SIDES[round_number % len(SIDES) :] + SIDES[: round_number % len(SIDES)]
                for side in order:
                    if side == "no stack":
                        measurement = context.measure_server(stackless, path, note=note)
                    else:
                        measurement = context.measure(side, "wsgi", path, note=note)  # type: ignore[arg-type]
                    key = (path, side)
                    merged[key] = merged[key].merged_with(measurement) if key in merged else measurement

    rows = []
    endpoints: dict[str, Any] = {}
    for path in ENDPOINTS:
        ours, plain, bare = merged[(path, "ours")], merged[(path, "no stack")], merged[(path, "bare")]
        stack_share = ours.requests_per_second / plain.requests_per_second
        cpu_stack_share = plain.cpu_us_per_request / ours.cpu_us_per_request
        bare_share = ours.requests_per_second / bare.requests_per_second
        passed = stack_share >= MIDDLEWARE_GOAL
        rows.append(
            [
                path,
                *_columns(ours),
                *_columns(plain),
                *_columns(bare),
                report.ratio(stack_share),
                report.ratio(cpu_stack_share),
                report.ratio(bare_share),
                "PASS" if passed else "FAIL",
            ]
        )
        endpoints[path] = {
            "ours": ours.summary(),
            "no_stack": plain.summary(),
            "bare": bare.summary(),
            "ours_over_no_stack": round(stack_share, 3),
            # Throughput ratio if both were CPU-bound: steadier than req/s under other load.
            "cpu_no_stack_over_ours": round(cpu_stack_share, 3),
            "ours_over_bare": round(bare_share, 3),
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
                "no-stack req/s",
                "p50 ms",
                "p99 ms",
                "bare req/s",
                "p50 ms",
                "p99 ms",
                "ours/no-stack",
                "by CPU",
                "ours/bare",
                f">= {MIDDLEWARE_GOAL:.2f}",
            ],
            rows,
        )
    )
    print(
        f"\nGoal: the middleware stack costs at most {1 - MIDDLEWARE_GOAL:.0%} of throughput "
        f"(ours/no-stack >= {MIDDLEWARE_GOAL:.2f})."
    )
    for path, result in endpoints.items():
        verdict = "PASS" if result["passed"] else "FAIL"
        ours, plain, bare = merged[(path, "ours")], merged[(path, "no stack")], merged[(path, "bare")]
        print(
            f"  {verdict}  {path}: ours keeps {result['ours_over_no_stack']:.0%} of the no-stack "
            f"throughput ({result['ours_over_bare']:.0%} of bare Django's); CPU per request ours "
            f"{ours.cpu_us_per_request:,.0f} us, no stack {plain.cpu_us_per_request:,.0f} us, bare "
            f"{bare.cpu_us_per_request:,.0f} us"
        )
    print(
        "  ours/bare also prices what the stack does not: URL resolution over every app and, for\n"
        "  the API list, the view itself (a PostgreSQL query, validation, serialisation)."
    )
    print(context.background_note(first_measurement))
    return {
        "server": "gunicorn (WSGI)",
        "rounds": MIDDLEWARE_ROUNDS,
        "goal_ours_over_no_stack": MIDDLEWARE_GOAL,
        "passed": all(result["passed"] for result in endpoints.values()),
        "endpoints": endpoints,
    }


def _columns(measurement: load.Measurement) -> list[str]:
    return [
        report.rate(measurement.requests_per_second),
        report.milliseconds(measurement.percentile_ms(50)),
        report.milliseconds(measurement.percentile_ms(99)),
    ]


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
