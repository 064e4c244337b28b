"""Ranking recompute for a day's window over many votes: our job vs one SQL aggregation, same run.

Data, generated in the bench's private database with ``generate_series``: ``BENCH_RANKING_VOTES``
votes (default 10,000,000) cast during one UTC day by ``BENCH_RANKING_USERS`` fans (default 10,000)
on votes/users posts spread over the categories, 70 % up. Rows are copied from a template user and a
template post, so every NOT NULL column is filled as the application would.

Ours: ``rankings.ranking_window_compute`` for that day, exactly the periodic job's work for one
window: one aggregation (post votes, image votes, likes, comments, tips) into a temporary table,
then the snapshot of every category and overall, each with its top 100 for hot, top and
controversial, in one transaction.

Baseline: the single best hand-written query for the overall "top" list of the same day: one
``GROUP BY`` over the day's votes joined to live posts, ordered, ``LIMIT 100``; no snapshot written.
The two top lists must be identical (checked). Each side runs ``BENCH_RANKING_REPEAT`` times
(default 3), alternating; the best time of each is compared. Ratio = ours / baseline (lower is better).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.context import BASE_DIR, Context, private_database_env

_CODE = r"""
import json, time
from datetime import UTC, datetime, timedelta
from django.db import connection, transaction
from fanclub.accounts.models import User
from fanclub.community import rankings
from fanclub.community.constants import SNAPSHOT_SIZE, Sort, Window
from fanclub.community.models import RankingEntry, RankingSnapshot
from fanclub.content.constants import Category
from fanclub.content.models import Post

VOTES, USERS, REPEAT = VOTES_, USERS_, REPEAT_
DAY = datetime(2026, 11, 20, tzinfo=UTC)
NOW = DAY + timedelta(days=1, minutes=5)
categories = [c for c in Category.values if c]
posts_n = max(1, -(-VOTES // USERS))

def copy_rows(table, template_id, overrides, count):
    with connection.cursor() as cur:
        description = connection.introspection.get_table_description(cur, table)
    cols = [c.name for c in description if c.name != "id"]
    select = ", ".join(overrides.get(c, f"t.{c}") for c in cols)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table} t, "
                    f"generate_series(1, {count}) g WHERE t.id = %s RETURNING id", [template_id])
        ids = [row[0] for row in cur.fetchall()]
    return min(ids), max(ids)

started = time.perf_counter()
template_user = User.objects.filter(role="fan").order_by("id").first()
template_post = Post.objects.filter(state="published", deleted_at__isnull=True).order_by("id").first()
if template_user is None or template_post is None:  # a bare install without the demo data
    from fanclub.accounts import services as account_services
    from fanclub.content import services as content_services
    from fanclub.creators import services as creator_services
    password = "rank-bench-password-long-enough"
    template_user = account_services.user_create(
        email="rb.fan@example.com", handle="rb.fan", password=password)
    maker = account_services.user_create(email="rb.maker@example.com", handle="rb.maker", password=password)
    creator_services.creator_become(user=maker, display_name="Rank Bench")
    maker.refresh_from_db()
    template_post = content_services.post_create(creator=maker, text="bench", access="public", publish=True)
with transaction.atomic():
    u0, u1 = copy_rows("accounts_user", template_user.pk, {
        "email": "'rankbench' || g || '@example.com'", "handle": "'rankbench' || g"}, USERS)
    cats = "ARRAY[" + ",".join(f"'{c}'" for c in categories) + "]"
    p0, p1 = copy_rows("content_post", template_post.pk, {
        "access": "'public'", "state": "'published'", "deleted_at": "NULL", "expires_at": "NULL",
        "published_at": f"'{(DAY - timedelta(days=2)).isoformat()}'::timestamptz + g * interval '1 second'",
        "category": f"({cats})[1 + mod(g, {len(categories)})]",
        "price_minor": "NULL", "currency": "''"}, posts_n)
    assert u1 - u0 + 1 == USERS and p1 - p0 + 1 == posts_n
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO community_postvote (user_id, post_id, value, voted_at) "
            "SELECT %s + (i %% %s), %s + (i / %s), CASE WHEN random() < 0.7 THEN 1 ELSE -1 END, "
            "%s::timestamptz + (i %% 86400) * interval '1 second' FROM generate_series(0, %s - 1) i",
            [u0, USERS, p0, USERS, DAY, VOTES])
with connection.cursor() as cur:
    cur.execute("ANALYZE community_postvote")
    cur.execute("ANALYZE content_post")
    cur.execute("ANALYZE accounts_user")
generated = time.perf_counter() - started

# The best single query: aggregate the day's votes per post first (an index-only range scan of
# (voted_at, post_id) would need value too; a sequential scan of the day is what both sides do),
# then join the few thousand groups to their posts.
BASELINE = (
    "SELECT v.post_id, v.score FROM (SELECT post_id, sum(value)::float8 AS score FROM community_postvote "
    "WHERE voted_at >= %s AND voted_at < %s GROUP BY post_id) v "
    "JOIN content_post p ON p.id = v.post_id JOIN accounts_user u ON u.id = p.creator_id "
    "WHERE p.state = 'published' AND p.published_at <= %s "
    "AND p.deleted_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > %s) AND u.is_active "
    "ORDER BY v.score DESC, v.post_id DESC LIMIT %s")
# The first version measured (join, then group): kept to report both.
BASELINE_JOIN_FIRST = (
    "SELECT v.post_id, sum(v.value)::float8 AS score FROM community_postvote v "
    "JOIN content_post p ON p.id = v.post_id JOIN accounts_user u ON u.id = p.creator_id "
    "WHERE v.voted_at >= %s AND v.voted_at < %s AND p.state = 'published' AND p.published_at <= %s "
    "AND p.deleted_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > %s) AND u.is_active "
    "GROUP BY v.post_id ORDER BY score DESC, v.post_id DESC LIMIT %s")

def run_ours():
    t = time.perf_counter()
    result = rankings.ranking_window_compute(window=Window.DAY, at=DAY, now=NOW)
    return time.perf_counter() - t, result.entries

def run_baseline(sql=None):
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql or BASELINE, [DAY, DAY + timedelta(days=1), NOW, NOW, SNAPSHOT_SIZE])
        rows = cur.fetchall()
    return time.perf_counter() - t, rows

ours_times, base_times, join_first_times = [], [], []
for _ in range(REPEAT):
    seconds, entries = run_ours()
    ours_times.append(seconds)
    seconds, baseline_rows = run_baseline()
    base_times.append(seconds)
    seconds, join_first_rows = run_baseline(BASELINE_JOIN_FIRST)
    join_first_times.append(seconds)
assert join_first_rows == baseline_rows
snapshot = RankingSnapshot.objects.get(window=Window.DAY, category="", period_start=DAY)
entries_top = RankingEntry.objects.filter(snapshot=snapshot, sort=Sort.TOP).order_by("rank")
ours_top = list(entries_top.values_list("post_id", "score"))
same = ours_top == [(post_id, score) for post_id, score in baseline_rows]
print("RESULT " + json.dumps({
    "votes": VOTES, "users": USERS, "posts": posts_n, "generate_seconds": generated,
    "ours_seconds": ours_times, "baseline_seconds": base_times, "join_first_seconds": join_first_times,
    "entries_written": entries,
    "same_top_list": same, "top_len": len(ours_top),
}))
"""


def rankings_recompute(context: Context) -> dict[str, Any]:
    """The ``make bench`` entry: in the context's fresh install (with its demo data)."""
    return measure(context.ours_env)


def measure(env: dict[str, str]) -> dict[str, Any]:
    votes = int(os.environ.get("BENCH_RANKING_VOTES", "10000000"))
    users = int(os.environ.get("BENCH_RANKING_USERS", "10000"))
    repeat = int(os.environ.get("BENCH_RANKING_REPEAT", "3"))
    code = _CODE.replace("VOTES_", str(votes)).replace("USERS_", str(users)).replace("REPEAT_", str(repeat))
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench rankings: shell failed:\n{completed.stdout}{completed.stderr}")
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    if not data["same_top_list"]:
        raise RuntimeError("bench rankings: the job's top list differs from the baseline's")
    ours, base = min(data["ours_seconds"]), min(data["baseline_seconds"])
    ratio = ours / base
    print(
        f"Rankings, day window: {data['votes']:,} votes, {data['users']:,} fans, {data['posts']:,} posts "
        f"(generated in {data['generate_seconds']:.0f}s)\n"
        f"  ours (job: 9 snapshots x 3 sorts, {data['entries_written']} entries): best {ours * 1000:.0f} ms "
        f"of {[round(s * 1000) for s in data['ours_seconds']]}\n"
        f"  baseline (one GROUP BY, overall top 100): best {base * 1000:.0f} ms "
        f"of {[round(s * 1000) for s in data['baseline_seconds']]}\n"
        f"  (join-then-group variant of the baseline: best {min(data['join_first_seconds']) * 1000:.0f} ms)\n"
        f"  ratio ours/baseline: {ratio:.2f}x; same top list: {data['same_top_list']}"
    )
    return {**data, "ours_best_seconds": ours, "baseline_best_seconds": base, "ratio": ratio}


def main() -> None:
    """``python -m bench.rankings``: the same measurement in a private embedded PostgreSQL of its own
    (migrated, no demo data), for when the full bench context is not needed."""
    base = {**os.environ, "FANCLUB_MODE": "development", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    _, env = private_database_env(prefix="fanclub-bench-rankings-", base=base)
    print(json.dumps(measure(env), default=str))


if __name__ == "__main__":
    main()
