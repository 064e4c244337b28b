"""Fan-out of "new post" notices to a creator's whole audience, in a job, in set-based batches.

The publishing transaction only defers ``new_post_fanout_task`` (one row in the job queue). The job:

1. reads the audience once: followers plus active subscribers (one index scan each), as ids;
2. for each batch of ``FANOUT_BATCH_SIZE`` ids, one ``INSERT ... SELECT FROM unnest(ids)`` that
   leaves out whoever muted or blocks (either way) the creator or switched new posts off in-app, and
   skips rows that exist already (``ON CONFLICT DO NOTHING`` on the dedupe index), ``RETURNING``
   only the recipients newly notified;
3. per batch, in the same transaction: one query for their unread counts, a live socket event for
   each (sent on commit through the channel layer), and at most one push and one email job for the
   recipients of the batch whose preferences want them.

A retried job re-runs the same statements: recipients notified before the crash conflict and are
not returned again, so nobody gets the notice, the event or the push twice.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from fanclub.content import policy
from fanclub.core.consumers import user_group
from fanclub.notifications import constants as k
from fanclub.notifications import presenters, services

EXCERPT_CHARS = 80

# The audience the post went live to: people who followed or subscribed before it was published
# (a fan who follows afterwards, before the job runs, is not told about an older post as "new").
AUDIENCE_SQL = """
SELECT follower_id FROM social_follow WHERE creator_id = %(creator)s AND created_at <= %(published)s
UNION
SELECT fan_id FROM creators_membership
 WHERE creator_id = %(creator)s AND status = 'active' AND created_at <= %(published)s
   AND (current_period_end IS NULL OR current_period_end > %(now)s)
"""

# A recipient's notice carries the post's text only when the access policy lets them read it (the
# policy's own test, with each recipient as the viewer): a locked post's card hides its text, and so
# does its notice, in the list, on the socket, in the push and in the email.
_RECIPIENT_HAS_ACCESS_SQL = policy.has_access_sql(viewer="r.id")
INSERT_SQL = f"""
INSERT INTO notifications_notification (recipient_id, kind, actor_id, data, dedupe_key, created_at)
SELECT r.id, %(kind)s, %(creator)s,
       CASE WHEN {_RECIPIENT_HAS_ACCESS_SQL} THEN %(data)s::jsonb ELSE %(locked_data)s::jsonb END,
       %(key)s, %(now)s
  FROM unnest(%(ids)s::bigint[]) AS r(id)
  JOIN content_post p ON p.id = %(post)s
 WHERE r.id <> %(creator)s
   AND NOT EXISTS (SELECT 1 FROM social_mute m WHERE m.muter_id = r.id AND m.muted_id = %(creator)s)
   AND NOT EXISTS (SELECT 1 FROM social_block b
                    WHERE (b.blocker_id = r.id AND b.blocked_id = %(creator)s)
                       OR (b.blocker_id = %(creator)s AND b.blocked_id = r.id))
   AND NOT EXISTS (SELECT 1 FROM notifications_notificationpreference p
                    WHERE p.user_id = r.id AND p.kind = %(kind)s AND NOT p.in_app)
ON CONFLICT (recipient_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING
RETURNING id, recipient_id, data = %(data)s::jsonb
"""  # noqa: S608 (constants only; values are bound parameters)


def new_post_fanout_defer(*, post_id: int) -> None:
    """Call inside the transaction that makes a post live: one job, whatever the audience size."""
    from procrastinate.exceptions import AlreadyEnqueued

    from fanclub.notifications import tasks

    # A savepoint: a refused queueing lock must not abort the publishing transaction.
    with contextlib.suppress(AlreadyEnqueued), transaction.atomic():
        tasks.new_post_fanout_task.configure(queueing_lock=f"fanout:{post_id}").defer(post_id=post_id)


def post_payload(post: Any, *, readable: bool = True) -> dict[str, Any]:
    """A notice's data: with an excerpt of the text for a recipient who may read it."""
    if not readable:
        return {"post_id": post.pk}
    text = (post.text or "").strip().replace("\n", " ")
    excerpt = text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
    return {"post_id": post.pk, "excerpt": excerpt}


def audience_ids(*, creator_id: int, published_at: datetime | None = None) -> list[int]:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(AUDIENCE_SQL, {"creator": creator_id, "now": now, "published": published_at or now})
        return sorted(row[0] for row in cursor.fetchall())


def insert_batch(
    *, creator_id: int, post_id: int, data: dict[str, Any], locked_data: dict[str, Any], ids: list[int]
) -> list[tuple[int, int, bool]]:
    """One set-based INSERT for a batch: (notification id, recipient id, readable) of the rows it
    created, ``readable`` when the recipient got ``data`` (may read the post), not ``locked_data``."""
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            {
                "kind": k.NEW_POST,
                "creator": creator_id,
                "post": post_id,
                "data": json.dumps(data),
                "locked_data": json.dumps(locked_data),
                "key": services.dedupe_key_for(kind=k.NEW_POST, data=data),
                "now": timezone.now(),
                "ids": ids,
            },
        )
        return [(int(a), int(b), bool(readable)) for a, b, readable in cursor.fetchall()]


def new_post_fanout(*, post_id: int, batch_size: int = k.FANOUT_BATCH_SIZE, live_events: bool = True) -> int:
    """Notify the audience of a live post; returns how many notices this run created."""
    from fanclub.content.constants import PostState
    from fanclub.content.models import Post

    post = (
        Post.objects.select_related("creator")
        .filter(pk=post_id, state=PostState.PUBLISHED, deleted_at__isnull=True)
        .first()
    )
    if post is None or not post.creator.is_active:
        return 0  # deleted, unpublished or its creator banned before the job ran: tell nobody
    creator = post.creator
    payloads = {readable: post_payload(post, readable=readable) for readable in (True, False)}
    actor = {"handle": creator.handle, "displayName": creator.display_name or creator.handle}
    texts = {
        readable: presenters.notification_text(kind=k.NEW_POST, actor_name=actor["displayName"], data=data)
        for readable, data in payloads.items()
    }
    url = presenters.notification_url(kind=k.NEW_POST, actor_handle=creator.handle, data=payloads[True])
    ids = audience_ids(creator_id=creator.pk, published_at=post.published_at)
    created = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            rows = insert_batch(
                creator_id=creator.pk,
                post_id=post.pk,
                data=payloads[True],
                locked_data=payloads[False],
                ids=ids[start : start + batch_size],
            )
            if not rows:
                continue
            created += len(rows)
            recipients = [recipient for _, recipient, _ in rows]
            services.unread_cache_forget_on_commit(user_ids=recipients)
            if live_events:
                counts = unread_counts(user_ids=recipients)
                now = timezone.now().isoformat()
                events = [
                    (
                        recipient,
                        {
                            "type": "notification",
                            "notification": {
                                "id": notification_id,
                                "kind": k.NEW_POST,
                                "text": texts[readable],
                                "url": url,
                                "actor": actor,
                                "data": payloads[readable],
                                "createdAt": now,
                                "readAt": None,
                            },
                            "unreadCount": counts.get(recipient, 1),
                        },
                    )
                    for notification_id, recipient, readable in rows
                ]
                transaction.on_commit(partial(events_send, events=events))
            for readable, data in payloads.items():
                group = [recipient for _, recipient, can_read in rows if can_read is readable]
                if group:
                    _defer_deliveries(creator_id=creator.pk, data=data, recipients=group)
    return created


def online_user_ids(*, layer: Any, user_ids: list[int]) -> set[int] | None:
    """Of ``user_ids``, those with at least one open socket, when the layer can tell in one query.

    The PostgreSQL layer (no Redis) keeps group membership in a table of this database: a fan-out
    then sends only to recipients who are online. Its group_send costs three queries (and logs a
    warning) even for an empty group, which made 100,000 offline recipients take minutes. None
    means "unknown" (Redis: a send to an empty group is one cheap round trip)."""
    from channels_postgres.core import PostgresChannelLayer

    if not isinstance(layer, PostgresChannelLayer):
        return None
    keys = {f"{layer.prefix}:group:{user_group(user_id)}": user_id for user_id in user_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT group_key FROM channels_postgres_groupchannel WHERE group_key = ANY(%s)",
            [list(keys)],
        )
        return {keys[key] for (key,) in cursor.fetchall()}


def events_send(*, events: list[tuple[int, dict[str, Any]]]) -> None:
    """Send a batch's socket events through the channel layer: recipients with an open socket only
    (when the layer can tell), in one event loop hop for the whole batch."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    online = online_user_ids(layer=layer, user_ids=[user_id for user_id, _ in events])
    if online is not None:
        events = [(user_id, payload) for user_id, payload in events if user_id in online]
    if not events:
        return

    async def send_all() -> None:
        # One after another: channels_postgres keeps one process-wide connection pool whose locks
        # bind to the event loop that first waits on them, and every async_to_sync call runs a new
        # loop; concurrent sends made the pool's lock wait, then fail in the next batch's loop.
        for user_id, payload in events:
            await layer.group_send(user_group(user_id), {"type": "user.event", "payload": payload})

    async_to_sync(send_all)()


DELIVERY_SQL = """
SELECT r.id,
       coalesce(p.push, %(push_default)s)
         AND EXISTS (SELECT 1 FROM notifications_pushsubscription s WHERE s.user_id = r.id),
       coalesce(p.email, %(email_default)s)
  FROM unnest(%(ids)s::bigint[]) AS r(id)
  LEFT JOIN notifications_notificationpreference p ON p.user_id = r.id AND p.kind = %(kind)s
 WHERE coalesce(p.push, %(push_default)s) OR coalesce(p.email, %(email_default)s)
"""

UNREAD_SQL = """
SELECT recipient_id, count(*) FROM notifications_notification
 WHERE recipient_id = ANY(%s::bigint[]) AND read_at IS NULL GROUP BY recipient_id
"""


def unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts of a batch in one query (an array parameter: no 5,000-placeholder IN list)."""
    with connection.cursor() as cursor:
        cursor.execute(UNREAD_SQL, [user_ids])
        return {int(user_id): int(count) for user_id, count in cursor.fetchall()}


def _defer_deliveries(*, creator_id: int, data: dict[str, Any], recipients: list[int]) -> None:
    """At most one push job and one email job per batch, for those whose preferences want them
    (push only for recipients with a registered device); one query for the whole batch."""
    defaults = k.DEFAULTS[k.NEW_POST]
    with connection.cursor() as cursor:
        cursor.execute(
            DELIVERY_SQL,
            {
                "ids": recipients,
                "kind": k.NEW_POST,
                "push_default": defaults["push"],
                "email_default": defaults["email"],
            },
        )
        rows = cursor.fetchall()
    push = sorted(int(user_id) for user_id, wants_push, _ in rows if wants_push)
    email = sorted(int(user_id) for user_id, _, wants_email in rows if wants_email)
    services.deliveries_defer(
        channel="push", kind=k.NEW_POST, actor_id=creator_id, data=data, recipient_ids=push
    )
    services.deliveries_defer(
        channel="email", kind=k.NEW_POST, actor_id=creator_id, data=data, recipient_ids=email
    )
