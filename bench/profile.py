"""Creator profile page with many posts: full app vs bare Django serving the same bytes.

Seeds two creators (20 and 200 published posts, mixed access rules, image posts processed by the
real media pipeline), then measures ``/c/<handle>/`` (and the posts API) at concurrency
BENCH_CONNECTIONS (32) through gunicorn, against bare Django returning the captured bytes, and
counts the SQL queries per request in-process: the goal is the same count for 20 and 200 posts.

Entry ``profile`` in bench/__main__.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from bench import report
from bench.context import BARE_RESPONSES_VARIABLE, Captured, Context, django_shell
from bench.servers import fetch

SIZES = (20, 200)

SEED = r"""
import io
from PIL import Image
from fanclub.accounts import services as accounts
from fanclub.accounts.models import User
from fanclub.content import services as content
from fanclub.core.jobs import run_pending_jobs
from fanclub.creators import services as creators
from fanclub.media import services as media

for count in %(sizes)r:
    handle = f"bench.p{count}"
    if User.objects.filter(handle=handle).exists():
        continue
    user = accounts.user_create(email=f"{handle}@bench.example", handle=handle, password="bench-password-123")
    creators.creator_become(user=user, display_name=f"Bench {count}")
    tier = creators.tier_create(user=user, name="Gold", price_minor=900)
    items = []
    for color in ((200, 40, 90), (40, 90, 200)):
        out = io.BytesIO()
        Image.new("RGB", (800, 600), color).save(out, "JPEG")
        data = out.getvalue()
        upload = media.upload_create(owner=user, filename="bench.jpg", size=len(data))
        media.upload_write_chunk(
            owner=user, upload_id=upload.pk, offset=0, length=len(data), stream=io.BytesIO(data)
        )
        items.append(media.upload_complete(owner=user, upload_id=upload.pk))
    rules = ["public", "subscribers", "tiers", "ppv", "followers"]
    for index in range(count):
        rule = rules[index %% 5]
        content.post_create(
            creator=user, text=f"Post {index}", media_ids=[items[index %% 2].pk], access=rule, publish=True,
            tier_ids=[tier.pk] if rule in ("tiers", "ppv") else [],
            price_minor=500 if rule == "ppv" else None, currency="USD" if rule == "ppv" else "",
        )
run_pending_jobs(queues=["media"])
"""

COUNT_QUERIES = r"""
import json, time
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

class Counter:
    def __init__(self):
        self.count = 0
    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

def queries(client, path):
    counter = Counter()
    with connection.execute_wrapper(counter):
        assert client.get(path).status_code == 200, path
    return counter.count

# In-process: plain static storage, so the count does not depend on collectstatic having run.
PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
plain = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}}
result = {}
with override_settings(STORAGES=plain):
    for path in %(paths)r:
        client = Client(HTTP_HOST="localhost")
        client.get(path)  # the visitor's session exists, as for a returning visitor
        returning = queries(client, path)
        new_visitor = queries(Client(HTTP_HOST="localhost"), path)
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        result[path] = {
            "returning": returning, "new_visitor": new_visitor,
            "inprocess_p50_ms": round(timings[99], 2), "inprocess_p99_ms": round(timings[197], 2),
        }
print("RESULT" + json.dumps(result))
"""


def _capture_once(context: Context, paths: list[str]) -> list[str]:
    """Like Context.capture, but one fetch: these pages sign media URLs per visitor and per second,
    so two answers are never byte-identical; the bare app serves one real answer as a constant."""
    ours = context.server("ours", "wsgi")
    captured = []
    for path in paths:
        status, content_type, body = fetch(ours.base_url + path)
        if status != 200:
            print(f"SKIPPED {path}: HTTP {status} (pages need collectstatic to have succeeded)")
            continue
        context.responses[path] = Captured(status, content_type, body)
        captured.append(path)
    if not captured:
        raise RuntimeError("no path answered 200")
    payload = {
        path: {"content_type": captured.content_type, "body": base64.b64encode(captured.body).decode()}
        for path, captured in context.responses.items()
    }
    Path(context.bare_env[BARE_RESPONSES_VARIABLE]).write_text(json.dumps(payload))
    context._stop_servers([key for key in context._servers if key[0] == "bare"])
    return captured


def profile_page(context: Context) -> dict[str, Any]:
    django_shell(SEED % {"sizes": SIZES}, env=context.ours_env)
    pages = [f"/c/bench.p{count}/" for count in SIZES]
    apis = [f"/api/v1/creators/bench.p{count}/posts" for count in SIZES]
    output = django_shell(COUNT_QUERIES % {"paths": pages + apis}, env=context.ours_env)
    queries = json.loads(output.split("RESULT", 1)[1])
    constant = all(
        queries[group[0]][kind] == queries[group[-1]][kind]
        for group in (pages, apis)
        for kind in ("returning", "new_visitor")
    )
    print()
    print(
        report.table(
            ["in-process, 1 client", "queries (returning)", "queries (new visitor)", "p50 ms", "p99 ms"],
            [
                [
                    path,
                    str(q["returning"]),
                    str(q["new_visitor"]),
                    f"{q['inprocess_p50_ms']:.1f}",
                    f"{q['inprocess_p99_ms']:.1f}",
                ]
                for path, q in queries.items()
            ],
        )
    )
    try:
        measured = _capture_once(context, pages + apis)
    except RuntimeError as exc:
        # e.g. collectstatic failed in _prepare: every page using {% static %} then answers 500.
        print(f"\nSkipping the wrk comparison: {str(exc).splitlines()[0][:200]}")
        return {"sizes": SIZES, "queries_constant": constant, "queries": queries, "wrk": None}
    first_measurement = len(context.background_cpus)
    rows, endpoints = [], {}
    for path in measured:
        ours = context.measure("ours", "wsgi", path)
        bare = context.measure("bare", "wsgi", path)
        share = ours.requests_per_second / bare.requests_per_second
        rows.append(
            [
                path,
                str(queries[path]["returning"]),
                report.rate(ours.requests_per_second),
                report.milliseconds(ours.percentile_ms(50)),
                report.milliseconds(ours.percentile_ms(99)),
                report.rate(bare.requests_per_second),
                report.milliseconds(bare.percentile_ms(50)),
                report.milliseconds(bare.percentile_ms(99)),
                report.ratio(share),
            ]
        )
        endpoints[path] = {
            "queries": queries[path],
            "ours": ours.summary(),
            "bare": bare.summary(),
            "ours_over_bare": round(share, 3),
        }
    print()
    print(
        report.table(
            [
                "gunicorn, c=" + str(context.config.connections),
                "queries",
                "ours req/s",
                "p50 ms",
                "p99 ms",
                "bare req/s",
                "p50 ms",
                "p99 ms",
                "ours/bare",
            ],
            rows,
        )
    )
    print(
        f"\nQueries per request are {'the same' if constant else 'NOT the same'} for "
        f"{SIZES[0]} and {SIZES[-1]} posts (goal: constant). Each anonymous wrk request is a new visitor:\n"
        "  anonymous media URLs share one viewer key, so no session row is written for them."
    )
    print(context.background_note(first_measurement))
    return {"sizes": SIZES, "queries_constant": constant, "queries": queries, "endpoints": endpoints}
