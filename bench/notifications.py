"""New-post notification fan-out to a big audience: our job vs one INSERT ... SELECT, same run.

Data, generated in the bench's private database: one creator and ``BENCH_FANOUT_FOLLOWERS`` fans
(default 100,000) who follow them, copied from a template user with ``generate_series``; 1 % of the
fans have a web push subscription (so push jobs are deferred), 0.5 % muted the creator, 0.5 % block
them and 0.5 % switched new-post notifications off in-app.

Ours: ``fanout.new_post_fanout`` for a published post, exactly the job's work: the audience read
once, then per batch of 5,000 one ``INSERT ... SELECT FROM unnest(ids)`` leaving out mutes, blocks
and in-app opt-outs (ON CONFLICT DO NOTHING for retries), the batch's unread counts, push job
deferral and the live socket events through the channel layer after each batch commits (here the
PostgreSQL channel layer: no Redis, as `fanclub up`; 1 % of the fans have an open socket, a row in
the layer's group table, and only they are sent an event). Measured twice: with the live events
and without them (``live_events=False``), to show what the socket events cost.

Baseline: the single best statement for the same rows: one ``INSERT ... SELECT`` from the follow
table with the same three NOT EXISTS filters, in one transaction, no batches, no events, no jobs.
Both must create the same number of rows (checked). Rows are deleted between runs; each side runs
``BENCH_FANOUT_REPEAT`` times (default 3), alternating; best of each. Ratio = ours / baseline
notifications per second (higher is better).
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
from django.db import connection, transaction
from fanclub.accounts.models import User
from fanclub.notifications import fanout
from fanclub.notifications.models import Notification

FOLLOWERS, REPEAT = FOLLOWERS_, REPEAT_

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

from fanclub.accounts import services as account_services
from fanclub.content import services as content_services
from fanclub.creators import services as creator_services
password = "fanout-bench-password-long-enough"
started = time.perf_counter()
template = User.objects.filter(handle="fb.template").first() or account_services.user_create(
    email="fb.template@example.com", handle="fb.template", password=password)
creator = User.objects.filter(handle="fb.creator").first()
if creator is None:
    creator = account_services.user_create(
        email="fb.creator@example.com", handle="fb.creator", password=password)
    creator_services.creator_become(user=creator, display_name="Fanout Bench")
    creator.refresh_from_db()
with transaction.atomic():
    u0, u1 = copy_rows("accounts_user", template.pk, {
        "email": "'fanoutbench' || g || '@example.com'", "handle": "'fanoutbench' || g"}, FOLLOWERS)
    with connection.cursor() as cur:
        cur.execute("INSERT INTO social_follow (follower_id, creator_id, created_at) "
                    "SELECT id, %s, now() FROM generate_series(%s, %s) id", [creator.pk, u0, u1])
        cur.execute("INSERT INTO social_mute (muter_id, muted_id, created_at) SELECT id, %s, now() "
                    "FROM generate_series(%s, %s) id WHERE id %% 200 = 1", [creator.pk, u0, u1])
        cur.execute("INSERT INTO social_block (blocker_id, blocked_id, created_at) SELECT id, %s, now() "
                    "FROM generate_series(%s, %s) id WHERE id %% 200 = 2", [creator.pk, u0, u1])
        cur.execute("INSERT INTO notifications_notificationpreference (user_id, kind, in_app, email, push) "
                    "SELECT id, 'new_post', false, false, true FROM generate_series(%s, %s) id "
                    "WHERE id %% 200 = 3", [u0, u1])
        cur.execute("INSERT INTO notifications_pushsubscription "
                    "(user_id, endpoint, p256dh, auth, user_agent, created_at) "
                    "SELECT id, 'https://push.invalid/' || id, 'k', 'a', '', now() "
                    "FROM generate_series(%s, %s) id WHERE id %% 100 = 5", [u0, u1])
        # 1 % of the fans online: a socket (a channel in their user group) on the PostgreSQL layer.
        cur.execute("INSERT INTO channels_postgres_groupchannel (group_key, channel, expire) "
                    "SELECT 'asgi:group:user.' || id, 'bench.online!' || id, now() + interval '1 day' "
                    "FROM generate_series(%s, %s) id WHERE id %% 100 = 7", [u0, u1])
    ours_post = content_services.post_create(creator=creator, text="fan-out bench", access="public")
    base_post = content_services.post_create(creator=creator, text="baseline", access="public")
    with connection.cursor() as cur:  # published without the publishing hook: the bench runs the job itself
        cur.execute("UPDATE content_post SET state = 'published', published_at = now() WHERE id IN (%s, %s)",
                    [ours_post.pk, base_post.pk])
with connection.cursor() as cur:
    for table in ("accounts_user", "social_follow", "social_mute", "social_block",
                  "notifications_notificationpreference", "notifications_pushsubscription"):
        cur.execute(f"ANALYZE {table}")
generated = time.perf_counter() - started
from django.urls import reverse
reverse("landing")  # the URLconf import, paid once by a worker process: not part of the measurement

BASELINE = '''
INSERT INTO notifications_notification (recipient_id, kind, actor_id, data, dedupe_key, created_at)
SELECT f.follower_id, 'new_post', %(c)s, %(data)s::jsonb, %(key)s, now() FROM social_follow f
 WHERE f.creator_id = %(c)s
   AND NOT EXISTS (SELECT 1 FROM social_mute m WHERE m.muter_id = f.follower_id AND m.muted_id = %(c)s)
   AND NOT EXISTS (SELECT 1 FROM social_block b WHERE (b.blocker_id = f.follower_id AND b.blocked_id = %(c)s)
                                                 OR (b.blocker_id = %(c)s AND b.blocked_id = f.follower_id))
   AND NOT EXISTS (SELECT 1 FROM notifications_notificationpreference p
                    WHERE p.user_id = f.follower_id AND p.kind = 'new_post' AND NOT p.in_app)
ON CONFLICT (recipient_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING
'''

def reset():
    with connection.cursor() as cur:
        cur.execute("DELETE FROM notifications_notification WHERE actor_id = %s", [creator.pk])
        cur.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'notifications'")
        cur.execute("DELETE FROM channels_postgres_message")
        cur.execute("VACUUM ANALYZE notifications_notification")

def run_ours(live):
    reset()
    t = time.perf_counter()
    created = fanout.new_post_fanout(post_id=ours_post.pk, live_events=live)
    seconds = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(sum(jsonb_array_length(args->'recipient_ids')), 0) "
                    "FROM procrastinate_jobs WHERE task_name LIKE '%%notification_deliver_task'")
        jobs, push_recipients = cur.fetchone()
        cur.execute("SELECT count(*) FROM channels_postgres_message")
        events = cur.fetchone()[0]
    return seconds, created, jobs, push_recipients, events

def run_baseline():
    reset()
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        data = json.dumps({"post_id": base_post.pk, "excerpt": "baseline"})
        cur.execute(BASELINE, {"c": creator.pk, "data": data, "key": f"new_post:{base_post.pk}"})
        created = cur.rowcount
    return time.perf_counter() - t, created

ours_live, ours_quiet, base = [], [], []
for _ in range(REPEAT):
    ours_live.append(run_ours(True))
    ours_quiet.append(run_ours(False))
    base.append(run_baseline())
reset()
print("RESULT " + json.dumps({
    "followers": FOLLOWERS, "generate_seconds": generated,
    "ours_live_seconds": [r[0] for r in ours_live], "ours_quiet_seconds": [r[0] for r in ours_quiet],
    "baseline_seconds": [r[0] for r in base],
    "created_ours": ours_live[0][1], "created_baseline": base[0][1],
    "push_jobs": ours_live[0][2], "push_recipients": ours_live[0][3],
    "live_events_sent": ours_live[0][4], "live_events_without": ours_quiet[0][4],
    "repeatable": len({r[1] for r in ours_live + ours_quiet}) == 1 and len({r[1] for r in base}) == 1,
}))
"""


def notify_fanout(context: Context) -> dict[str, Any]:
    """The ``make bench`` entry: in the context's fresh install."""
    return measure(context.ours_env)


def measure(env: dict[str, str]) -> dict[str, Any]:
    followers = int(os.environ.get("BENCH_FANOUT_FOLLOWERS", "100000"))
    repeat = int(os.environ.get("BENCH_FANOUT_REPEAT", "3"))
    code = _CODE.replace("FOLLOWERS_", str(followers)).replace("REPEAT_", str(repeat))
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench notify_fanout: shell failed:\n{completed.stdout}{completed.stderr}")
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    if data["created_ours"] != data["created_baseline"] or not data["repeatable"]:
        raise RuntimeError(f"bench notify_fanout: ours and the baseline created different rows: {data}")
    rows = data["created_ours"]
    live, quiet, base = (
        min(data["ours_live_seconds"]),
        min(data["ours_quiet_seconds"]),
        min(data["baseline_seconds"]),
    )
    rates = {"ours_live": rows / live, "ours_quiet": rows / quiet, "baseline": rows / base}
    print(
        f"Fan-out of one new post to {data['followers']:,} followers ({rows:,} notified after mutes, "
        f"blocks and opt-outs; generated in {data['generate_seconds']:.0f}s)\n"
        f"  ours, job with live socket events: best {live:.2f}s = {rates['ours_live']:,.0f} per s\n"
        f"  ours, job without live events:     best {quiet:.2f}s = {rates['ours_quiet']:,.0f} per s\n"
        f"  baseline, one INSERT ... SELECT:   best {base:.2f}s = {rates['baseline']:,.0f} per s\n"
        f"  ratio ours/baseline: {rates['ours_live'] / rates['baseline']:.2f}x with events, "
        f"{rates['ours_quiet'] / rates['baseline']:.2f}x without; push jobs deferred: {data['push_jobs']} "
        f"for {data['push_recipients']} recipients; live events sent: {data['live_events_sent']} "
        f"(to the {data['live_events_sent']} recipients online)"
    )
    return {
        **data,
        "notifications_per_second": rates,
        "ratio_live": rates["ours_live"] / rates["baseline"],
        "ratio_quiet": rates["ours_quiet"] / rates["baseline"],
    }


def main() -> None:
    """``python -m bench.notifications``: the same measurement in a private embedded PostgreSQL of its
    own (migrated, no demo data), for when the full bench context is not needed."""
    base = {**os.environ, "FANCLUB_MODE": "development", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    base.pop("REDIS_URL", None)
    _, env = private_database_env(prefix="fanclub-bench-fanout-", base=base)
    print(json.dumps(measure(env), default=str))


if __name__ == "__main__":
    main()
