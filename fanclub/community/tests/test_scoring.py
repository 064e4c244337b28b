"""The published formulas, with fixed clocks and hand-computed values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from fanclub.community.constants import Window
from fanclub.community.rankings import period_bounds
from fanclub.community.scoring import Counts, Weights, controversial_score, engagement, hot_score, top_score

W = Weights(vote=1, like=1, comment=2, tip=5, decay_seconds=45_000)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_engagement_weights_each_signal():
    assert engagement(Counts(up=10, down=3, likes=4, comments=2, tips=1), W) == 7 + 4 + 4 + 5
    assert engagement(Counts(), W) == 0
    heavy_tips = Weights(vote=1, like=1, comment=2, tip=50, decay_seconds=45_000)
    assert engagement(Counts(tips=2), heavy_tips) == 100


def test_hot_is_log_of_engagement_plus_recency():
    epoch_offset = (T0 - datetime(2024, 1, 1, tzinfo=UTC)).total_seconds() / 45_000
    assert hot_score(Counts(up=100), published_at=T0, weights=W) == pytest.approx(2 + epoch_offset)
    assert hot_score(Counts(up=1), published_at=T0, weights=W) == pytest.approx(epoch_offset)
    assert hot_score(Counts(), published_at=T0, weights=W) == pytest.approx(epoch_offset)
    assert hot_score(Counts(down=10), published_at=T0, weights=W) == pytest.approx(-1 + epoch_offset)


def test_hot_ten_times_the_engagement_equals_one_decay_period_newer():
    older = hot_score(Counts(up=1000), published_at=T0, weights=W)
    newer = hot_score(Counts(up=100), published_at=T0 + timedelta(seconds=45_000), weights=W)
    assert older == pytest.approx(newer)
    assert hot_score(Counts(up=100), published_at=T0 + timedelta(hours=1), weights=W) > hot_score(
        Counts(up=100), published_at=T0, weights=W
    )


def test_top_is_net_votes():
    assert top_score(Counts(up=7, down=9, likes=100)) == -2.0


def test_controversial_is_reddits():
    assert controversial_score(Counts(up=10, down=0)) == 0.0
    assert controversial_score(Counts(up=0, down=4)) == 0.0
    assert controversial_score(Counts(up=50, down=50)) == 100.0
    assert controversial_score(Counts(up=10, down=5)) == pytest.approx(15**0.5)
    assert controversial_score(Counts(up=5, down=10)) == pytest.approx(15**0.5)
    # balanced beats lopsided at equal volume
    assert controversial_score(Counts(up=30, down=30)) > controversial_score(Counts(up=50, down=10))
    assert math.isfinite(controversial_score(Counts(up=10**6, down=10**6 - 1)))


@pytest.mark.parametrize(
    ("window", "at", "start", "end"),
    [
        (
            Window.DAY,
            datetime(2026, 11, 25, 23, 59, tzinfo=UTC),
            datetime(2026, 11, 25, tzinfo=UTC),
            datetime(2026, 11, 26, tzinfo=UTC),
        ),
        (
            Window.WEEK,
            datetime(2026, 11, 25, 8, tzinfo=UTC),
            datetime(2026, 11, 23, tzinfo=UTC),
            datetime(2026, 11, 30, tzinfo=UTC),
        ),
        (
            Window.WEEK,
            datetime(2026, 11, 23, 0, tzinfo=UTC),
            datetime(2026, 11, 23, tzinfo=UTC),
            datetime(2026, 11, 30, tzinfo=UTC),
        ),
        (
            Window.MONTH,
            datetime(2026, 12, 31, 23, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            Window.MONTH,
            datetime(2026, 2, 10, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 3, 1, tzinfo=UTC),
        ),
    ],
)
def test_period_bounds_are_utc_calendar_periods(window, at, start, end):
    assert period_bounds(window=window, at=at) == (start, end)
