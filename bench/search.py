# ruff: noqa: E501  (the scripts run in `manage.py shell` are kept one statement per line)
"""Search over generated data: our selectors vs the bare SQL they issue, side by side, same run.

Seeds BENCH_SEARCH_CREATORS creators (default 10,000) and BENCH_SEARCH_POSTS posts (default
100,000) with pseudo-words from a fixed vocabulary (Zipf-like: a few words are in many posts, most
in few), 1-3 tags from 300, mixed access rules; then, for a set of queries (exact handle, prefix,
typo, rare and common words, a tag, a tag typo, suggestions), times in one process, interleaved:

* ``ours``: the selector as the API calls it (``creator_search``, ``post_search`` with its
  prefetches, ``search_suggest``), Python objects included;
* ``bare``: the same SQL statements the selector issued (captured once), run through a plain
  cursor: the database's share of the work.

p50/p99 over BENCH_SEARCH_ITERATIONS (default 100) runs each, for an anonymous visitor and for a
signed-in fan (whose access rules add EXISTS subqueries). Entry ``search`` in bench/__main__.py.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from bench import report
from bench.context import Context, django_shell, private_database_env

SEED = r"""
import random, time
from datetime import timedelta
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from fanclub.accounts.models import User
from fanclub.content.models import Post
from fanclub.creators.models import CreatorProfile

CREATORS, POSTS = %(creators)d, %(posts)d
if not User.objects.filter(handle="bs.fan").exists():
    started = time.monotonic()
    rng = random.Random(6)
    syllables = ["ka", "lo", "mi", "ra", "ne", "so", "ti", "va", "lu", "pe", "zo", "an", "el", "or", "us",
                 "ba", "de", "fi", "go", "hu", "ja", "ke", "ly", "mo", "nu", "qi", "ro", "sa", "te", "vi"]
    def word(parts):
        return "".join(rng.choice(syllables) for _ in range(parts))
    vocabulary = list(dict.fromkeys(word(rng.choice((2, 3, 3, 4))) for _ in range(6000)))[:5000]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf
    tags = list(dict.fromkeys(word(2) + "-" + word(2) for _ in range(400)))[:300]
    password = make_password(None)
    now = timezone.now()
    with transaction.atomic():
        fan = User(email="bs.fan@bench.example", handle="bs.fan", role="fan", password=password)
        fan.save()
        users = [
            User(email=f"bs{i}@bench.example", handle=f"{word(2)}{word(2)}.{i}", role="creator", password=password,
                 display_name="")
            for i in range(CREATORS)
        ]
        User.objects.bulk_create(users, batch_size=2000)
        CreatorProfile.objects.bulk_create(
            [CreatorProfile(user=user, display_name=f"{word(2).title()} {word(3).title()}",
                            bio=" ".join(rng.choices(vocabulary, weights, k=20))) for user in users],
            batch_size=2000,
        )
        rules = ["public", "subscribers", "followers", "ppv"]
        batch = []
        for i in range(POSTS):
            rule = rules[i %% 4]
            batch.append(Post(
                creator_id=users[rng.randrange(CREATORS)].pk,
                text=" ".join(rng.choices(vocabulary, weights, k=rng.randint(8, 40))),
                access=rule, price_minor=500 if rule == "ppv" else None, currency="USD" if rule == "ppv" else "",
                state="published", published_at=now - timedelta(minutes=i),
                tags=rng.sample(tags, rng.randint(1, 3)),
            ))
            if len(batch) == 5000:
                Post.objects.bulk_create(batch)
                batch = []
        Post.objects.bulk_create(batch)
    seeded = time.monotonic()
    # bulk_create bypasses the content services, so the correction's word table is built as after a
    # bulk import: one rebuild (timed: it is the hourly job's cost at this size).
    from fanclub.search import services as search_services
    words = search_services.search_words_rebuild().words
    rebuilt = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user, creators_creatorprofile, content_post, search_word")
    print(f"seeded {CREATORS} creators and {POSTS} posts in {seeded - started:.0f}s; "
          f"word table rebuilt in {rebuilt - seeded:.1f}s ({words} words)")
"""

MEASURE = r"""
import json, random, time
from django.contrib.auth.models import AnonymousUser
import psycopg
from django.db import connection
from fanclub.accounts.models import User
from fanclub.content.models import Post
from fanclub.creators.models import CreatorProfile
from fanclub.search import selectors

ITERATIONS = %(iterations)d
EXPLAIN = %(explain)r
fan = User.objects.get(handle="bs.fan")
profile = CreatorProfile.objects.select_related("user").order_by("pk")[CreatorProfile.objects.count() // 2]
name_word = profile.display_name.split()[1].lower()
post = Post.objects.order_by("pk")[Post.objects.count() // 3]
tag = post.tags[0]
words = post.text.split()
# The most frequent word of the posts (from a sample), and the sample post's longest (rare) word.
with connection.cursor() as cursor:
    cursor.execute("SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('fanclub_search'::regconfig, text) "
                   "FROM content_post TABLESAMPLE SYSTEM (5)$$) ORDER BY ndoc DESC LIMIT 1")
    common = cursor.fetchone()[0]
rare = sorted(words, key=len)[-1]
typo_name = name_word[:2] + name_word[1] + name_word[2:]  # one letter doubled
typo_tag = tag.split("-")[0][:2] + tag.split("-")[0][1:] + "-" + tag.split("-")[1]
# A word of a public post's text with one letter doubled: found only by the spelling correction.
public_post = Post.objects.filter(access="public").order_by("pk")[Post.objects.filter(access="public").count() // 3]
text_word = sorted(public_post.text.split(), key=len)[-1]
typo_text = text_word[:2] + text_word[1] + text_word[2:]

def parse(text):
    return selectors.search_query_parse(raw=text)

CASES = [
    ("creators: exact handle", lambda viewer, q: list(selectors.creator_search(viewer=viewer, query=q).items), profile.user.handle),
    ("creators: name prefix", lambda viewer, q: list(selectors.creator_search(viewer=viewer, query=q).items), name_word[:4]),
    ("creators: typo (trigram)", lambda viewer, q: list(selectors.creator_search(viewer=viewer, query=q).items), typo_name),
    ("posts: rare word", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), rare),
    ("posts: common word", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), common),
    ("posts: tag", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), tag),
    ("posts: tag typo (trigram)", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), typo_tag),
    ("posts: text typo (correction)", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), typo_text),
    ("posts: no close word", lambda viewer, q: list(selectors.post_search(viewer=viewer, query=q).items), "qzxqvw"),
    ("suggest: 3 letters", lambda viewer, q: selectors.search_suggest(viewer=viewer, query=q), name_word[:3]),
    ("suggest: text typo (correction)", lambda viewer, q: selectors.search_suggest(viewer=viewer, query=q), typo_text),
    ("tag page", lambda viewer, q: list(selectors.post_list_for_tag(viewer=viewer, tag=tag).items), tag),
]

class Recorder:
    # Each statement with how it was sent: prepared on the server ($n placeholders, a psycopg
    # RawCursor: core.sql.fetch_prepared) or bound on the client (Django's cursor).
    def __init__(self):
        self.statements = []
    def __call__(self, execute, sql, params, many, context):
        prepared = isinstance(context["cursor"].cursor, psycopg.RawCursor)
        self.statements.append((sql, params, prepared))
        return execute(sql, params, many, context)

def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

results = []
for viewer_label, viewer in (("anonymous", AnonymousUser()), ("fan", fan)):
    for label, run, text in CASES:
        query = parse(text)
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            found = run(viewer, query)
        statements = recorder.statements
        if EXPLAIN and viewer_label == "anonymous":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[-1 if "suggest" in label else 0][0], statements[-1 if "suggest" in label else 0][1])
                print("PLAN", label, "\n" + "\n".join(row[0] for row in cursor.fetchall()))
        count = len(found) if isinstance(found, list) else len(found.creators) + len(found.tags) + (found.correction is not None)
        def bare():
            with connection.cursor() as cursor:
                for sql, params, prepared in statements:
                    if prepared:  # as ours sends it: prepared once per connection
                        with psycopg.RawCursor(connection.connection) as raw:
                            raw.execute(sql, params, prepare=True)
                            raw.fetchall()
                        continue
                    cursor.execute(sql, params)
                    cursor.fetchall()
        for _ in range(3):  # warm caches and plans alike
            run(viewer, query)
            bare()
        ours_times, bare_times = [], []
        for _ in range(ITERATIONS):
            started = time.perf_counter()
            run(viewer, query)
            ours_times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            bare()
            bare_times.append((time.perf_counter() - started) * 1000)
        results.append({
            "viewer": viewer_label, "case": label, "query": text, "results": count,
            "queries": len(statements),
            "ours_p50_ms": round(percentile(ours_times, 0.5), 2), "ours_p99_ms": round(percentile(ours_times, 0.99), 2),
            "bare_p50_ms": round(percentile(bare_times, 0.5), 2), "bare_p99_ms": round(percentile(bare_times, 0.99), 2),
        })
print("RESULT" + json.dumps(results))
"""


@dataclass
class _Standalone:
    """``python -m bench.search``: a private database of its own (development settings, migrated),
    without the HTTP servers the other entries need."""

    ours_env: dict[str, str]


def search(context: Context | _Standalone) -> dict[str, Any]:
    creators = int(os.environ.get("BENCH_SEARCH_CREATORS", "10000"))
    posts = int(os.environ.get("BENCH_SEARCH_POSTS", "100000"))
    iterations = int(os.environ.get("BENCH_SEARCH_ITERATIONS", "100"))
    print(django_shell(SEED % {"creators": creators, "posts": posts}, env=context.ours_env).strip())
    output = django_shell(
        MEASURE % {"iterations": iterations, "explain": os.environ.get("BENCH_SEARCH_EXPLAIN") == "1"},
        env=context.ours_env,
    )
    plans, _, result = output.partition("RESULT")
    if "PLAN" in plans:
        print(plans[plans.index("PLAN") :])
    rows = json.loads(result)
    print()
    print(
        report.table(
            [
                f"{posts:,} posts / {creators:,} creators",
                "viewer",
                "query",
                "hits",
                "SQL",
                "ours p50",
                "p99",
                "bare SQL p50",
                "p99",
                "ours/bare p50",
            ],
            [
                [
                    row["case"],
                    row["viewer"],
                    row["query"],
                    str(row["results"]),
                    str(row["queries"]),
                    report.milliseconds(row["ours_p50_ms"]),
                    report.milliseconds(row["ours_p99_ms"]),
                    report.milliseconds(row["bare_p50_ms"]),
                    report.milliseconds(row["bare_p99_ms"]),
                    report.ratio(row["ours_p50_ms"] / row["bare_p50_ms"]) if row["bare_p50_ms"] else "-",
                ]
                for row in rows
            ],
        )
    )
    print(
        "\nours = the selector as the API calls it (ORM, prefetches, Python objects); bare = the same SQL\n"
        "statements through a plain cursor, interleaved in the same process. One client, in-process."
    )
    return {"creators": creators, "posts": posts, "iterations": iterations, "rows": rows}


def main() -> int:
    _, env = private_database_env(prefix="fanclub-search-bench-", base={**os.environ, "LOG_LEVEL": "WARNING"})
    result = search(_Standalone(ours_env=env))
    print("JSON" + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
