"""The ranking job's work: aggregate a window's engagement in SQL, score it, write snapshots.

One aggregation per window (into a temporary table): votes on the post and on its images cast in
the window, likes, comments and succeeded tips made in the window, for posts that are live when
the job runs. Scores are computed by ``SCORE_SQL``, which must agree with ``scoring.py`` (a test
holds them together); the top ``SNAPSHOT_SIZE`` of each sort become the snapshot's entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from fanclub.community import cache
from fanclub.community.constants import ALL_TIME_START, HOT_EPOCH, SNAPSHOT_SIZE, TRENDING_SIZE, Sort, Window
from fanclub.community.models import RankingSnapshot
from fanclub.community.scoring import Weights
from fanclub.content.constants import Category

CATEGORIES: tuple[str, ...] = ("", *[value for value in Category.values if value])

_WINDOW_FILTER = "{column} >= %(start)s AND {column} < %(end)s"
# Constant SQL fragments only; every value is a query parameter.
AGGREGATE_SQL = f"""
CREATE TEMPORARY TABLE community_agg ON COMMIT DROP AS
SELECT p.id AS post_id, p.creator_id, p.category, p.published_at,
       sum(e.up)::int AS up, sum(e.down)::int AS down, sum(e.likes)::int AS likes,
       sum(e.comments)::int AS comments, sum(e.tips)::int AS tips
FROM (
    SELECT post_id, count(*) FILTER (WHERE value > 0) AS up, count(*) FILTER (WHERE value < 0) AS down,
           0 AS likes, 0 AS comments, 0 AS tips
      FROM community_postvote WHERE {_WINDOW_FILTER.format(column="voted_at")} GROUP BY post_id
    UNION ALL
    SELECT post_id, count(*) FILTER (WHERE value > 0), count(*) FILTER (WHERE value < 0), 0, 0, 0
      FROM community_imagevote WHERE {_WINDOW_FILTER.format(column="voted_at")} GROUP BY post_id
    UNION ALL
    SELECT post_id, 0, 0, count(*), 0, 0
      FROM content_postlike WHERE {_WINDOW_FILTER.format(column="created_at")} GROUP BY post_id
    UNION ALL
    SELECT post_id, 0, 0, 0, count(*), 0
      FROM content_comment WHERE {_WINDOW_FILTER.format(column="created_at")} AND deleted_at IS NULL
      GROUP BY post_id
    UNION ALL
    SELECT post_id, 0, 0, 0, 0, count(*)
      FROM billing_charge WHERE {_WINDOW_FILTER.format(column="created_at")}
       AND kind = 'tip' AND status = 'succeeded' AND post_id IS NOT NULL
      GROUP BY post_id
) e
JOIN content_post p ON p.id = e.post_id
JOIN accounts_user u ON u.id = p.creator_id
WHERE p.state = 'published' AND p.published_at <= %(now)s AND p.deleted_at IS NULL
  AND (p.expires_at IS NULL OR p.expires_at > %(now)s) AND u.is_active
GROUP BY p.id
"""  # noqa: S608

ENGAGEMENT_SQL = (
    "(%(w_vote)s * (up - down) + %(w_like)s * likes + %(w_comment)s * comments + %(w_tip)s * tips)::float8"
)
SCORE_SQL: dict[str, str] = {
    Sort.HOT: (
        f"sign({ENGAGEMENT_SQL}) * log(greatest(abs({ENGAGEMENT_SQL}), 1.0::float8))"
        " + (extract(epoch FROM published_at)::float8 - %(epoch)s) / %(decay)s"
    ),
    Sort.TOP: "(up - down)::float8",
    Sort.CONTROVERSIAL: (
        "CASE WHEN up <= 0 OR down <= 0 THEN 0::float8 ELSE power((up + down)::float8,"
        " CASE WHEN up > down THEN down::float8 / up ELSE up::float8 / down END) END"
    ),
}
# Sorts that leave out posts scoring nothing (a post without both up and down votes is not
# controversial at all).
POSITIVE_ONLY = {Sort.CONTROVERSIAL}


def score_params(weights: Weights) -> dict[str, Any]:
    return {
        "w_vote": weights.vote,
        "w_like": weights.like,
        "w_comment": weights.comment,
        "w_tip": weights.tip,
        "epoch": HOT_EPOCH.timestamp(),
        "decay": float(weights.decay_seconds),
    }


def period_bounds(*, window: str, at: datetime) -> tuple[datetime, datetime]:
    """The calendar period (UTC) of ``window`` containing ``at``: [start, end)."""
    day = at.astimezone(ALL_TIME_START.tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    if window == Window.DAY:
        return day, day + timedelta(days=1)
    if window == Window.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if window == Window.MONTH:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following
    if window == Window.ALL:
        return ALL_TIME_START, datetime(9999, 1, 1, tzinfo=ALL_TIME_START.tzinfo)
    raise ValueError(f"unknown window {window!r}")


def _aggregate(*, cursor: Any, start: datetime, end: datetime, now: datetime) -> None:
    cursor.execute("DROP TABLE IF EXISTS community_agg")
    cursor.execute(AGGREGATE_SQL, {"start": start, "end": end, "now": now})


def aggregate_rows(
    *, start: datetime, end: datetime, now: datetime, weights: Weights
) -> list[dict[str, Any]]:
    """The window's aggregated counts with each sort's SQL score (tests compare with scoring.py)."""
    columns = ", ".join(f"{sql} AS {sort}" for sort, sql in SCORE_SQL.items())
    with transaction.atomic(), connection.cursor() as cursor:
        _aggregate(cursor=cursor, start=start, end=end, now=now)
        cursor.execute(
            f"SELECT post_id, category, published_at, up, down, likes, comments, tips, {columns}"  # noqa: S608
            " FROM community_agg ORDER BY post_id",
            score_params(weights),
        )
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_INSERT_ENTRIES = """
INSERT INTO community_rankingentry (snapshot_id, sort, rank, post_id, creator_id, score, up_count,
    down_count, likes_count, comments_count, tips_count)
SELECT %(snapshot)s, %(sort)s, row_number() OVER (ORDER BY score DESC, post_id DESC), post_id, creator_id,
       score, up, down, likes, comments, tips
FROM (SELECT *, {score} AS score FROM community_agg WHERE (%(category)s = '' OR category = %(category)s)) s
WHERE {condition}
ORDER BY score DESC, post_id DESC
LIMIT %(size)s
"""


@dataclass(frozen=True)
class WindowResult:
    window: str
    period_start: datetime
    snapshots: int
    entries: int


def _write_window(
    *, cursor: Any, window: str, start: datetime, end: datetime, now: datetime, final: bool, weights: Weights
) -> WindowResult:
    _aggregate(cursor=cursor, start=start, end=end, now=now)
    params = score_params(weights)
    entries = 0
    for category in CATEGORIES:
        snapshot, _ = RankingSnapshot.objects.update_or_create(
            window=window,
            category=category,
            period_start=start,
            defaults={"period_end": end, "computed_at": now, "is_final": final},
        )
        snapshot.entries.all().delete()
        for sort, score in SCORE_SQL.items():
            condition = "score > 0" if sort in POSITIVE_ONLY else "TRUE"
            cursor.execute(
                _INSERT_ENTRIES.format(score=score, condition=condition),
                {
                    **params,
                    "snapshot": snapshot.pk,
                    "sort": sort,
                    "category": category,
                    "size": SNAPSHOT_SIZE,
                },
            )
            entries += cursor.rowcount
    return WindowResult(window=window, period_start=start, snapshots=len(CATEGORIES), entries=entries)


def ranking_window_compute(
    *, window: str, at: datetime, now: datetime, weights: Weights | None = None
) -> WindowResult:
    """(Re)write the snapshots of the period of ``window`` containing ``at``, one transaction.

    A period that has ended when the job runs is written with ``is_final`` and then left alone.
    """
    weights = weights or Weights.from_settings()
    start, end = period_bounds(window=window, at=at)
    with transaction.atomic(), connection.cursor() as cursor:
        result = _write_window(
            cursor=cursor, window=window, start=start, end=end, now=now, final=end <= now, weights=weights
        )
        transaction.on_commit(cache.generation_bump)
    return result


def rankings_refresh(*, now: datetime, weights: Weights | None = None) -> list[WindowResult]:
    """The periodic job's work: every window's open period, plus any ended period still unfinalized."""
    weights = weights or Weights.from_settings()
    results = []
    for window in Window.values:
        start, _ = period_bounds(window=window, at=now)
        if window != Window.ALL:
            previous_start, _ = period_bounds(window=window, at=start - timedelta(seconds=1))
            final = RankingSnapshot.objects.filter(
                window=window, category="", period_start=previous_start, is_final=True
            ).exists()
            if not final:
                results.append(
                    ranking_window_compute(window=window, at=previous_start, now=now, weights=weights)
                )
        results.append(ranking_window_compute(window=window, at=now, now=now, weights=weights))
    trending_refresh(now=now, weights=weights)
    return results


_INSERT_SCORES = """
INSERT INTO community_postscore (post_id, category, hot, computed_at)
SELECT post_id, category, hot, %(now)s FROM (
    SELECT post_id, category, {score} AS hot,
           row_number() OVER (PARTITION BY category ORDER BY {score} DESC, post_id DESC) AS position
    FROM community_agg
) s WHERE position <= %(size)s
"""


def trending_refresh(*, now: datetime, weights: Weights | None = None) -> int:
    """Rewrite the trending table: hot scores over the last ``RANKING_TRENDING_DAYS`` days."""
    weights = weights or Weights.from_settings()
    start = now - timedelta(days=settings.RANKING_TRENDING_DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        _aggregate(cursor=cursor, start=start, end=now, now=now)
        cursor.execute("DELETE FROM community_postscore")
        cursor.execute(
            _INSERT_SCORES.format(score=SCORE_SQL[Sort.HOT]),
            {**score_params(weights), "now": now, "size": TRENDING_SIZE},
        )
        written = cursor.rowcount
        transaction.on_commit(cache.generation_bump)
    return written
