"""The ranking formulas, as pure functions (docs/rankings.md publishes them).

The ranking job computes the same numbers in SQL (``rankings.SCORE_SQL``); a test holds the two to
agreement. Weights come from settings (``RANKING_WEIGHT_*``, read once in config/options.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from fanclub.community.constants import HOT_EPOCH


@dataclass(frozen=True)
class Weights:
    vote: float = 1.0
    like: float = 1.0
    comment: float = 2.0
    tip: float = 5.0
    decay_seconds: float = 45_000.0

    @classmethod
    def from_settings(cls) -> Weights:
        return cls(
            vote=settings.RANKING_WEIGHT_VOTE,
            like=settings.RANKING_WEIGHT_LIKE,
            comment=settings.RANKING_WEIGHT_COMMENT,
            tip=settings.RANKING_WEIGHT_TIP,
            decay_seconds=settings.RANKING_HOT_DECAY_SECONDS,
        )


@dataclass(frozen=True)
class Counts:
    """Engagement of one post inside a window."""

    up: int = 0
    down: int = 0
    likes: int = 0
    comments: int = 0
    tips: int = 0


def engagement(counts: Counts, weights: Weights) -> float:
    """s = w_vote * (up - down) + w_like * likes + w_comment * comments + w_tip * tips."""
    return (
        weights.vote * (counts.up - counts.down)
        + weights.like * counts.likes
        + weights.comment * counts.comments
        + weights.tip * counts.tips
    )


def hot_score(counts: Counts, *, published_at: datetime, weights: Weights) -> float:
    """Reddit's hot: sign(s) * log10(max(|s|, 1)) + (published_at - epoch) / decay_seconds.

    Ten times the engagement is worth ``decay_seconds`` of recency (12.5 h by default): a newer
    post needs less engagement to rank as high, and an old post's score never changes with time,
    so scores are comparable across runs.
    """
    s = engagement(counts, weights)
    sign = (s > 0) - (s < 0)
    order = math.log10(max(abs(s), 1.0))
    return sign * order + (published_at - HOT_EPOCH).total_seconds() / weights.decay_seconds


def top_score(counts: Counts) -> float:
    """Net votes."""
    return float(counts.up - counts.down)


def controversial_score(counts: Counts) -> float:
    """Reddit's controversial: (up + down) ** (min/max of up and down); 0 without both kinds."""
    if counts.up <= 0 or counts.down <= 0:
        return 0.0
    magnitude = counts.up + counts.down
    balance = counts.down / counts.up if counts.up > counts.down else counts.up / counts.down
    return float(magnitude**balance)
