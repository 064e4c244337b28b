"""Votes, swipes, engagement kinds, ranking windows and sorts, badges."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models

QUEUE = "community"
SNAPSHOT_SIZE = 100  # entries kept per snapshot and sort
TRENDING_SIZE = 200  # posts kept in the trending score table
NEW_CREATOR_DAYS = 30
DECK_DEFAULT_LIMIT = 10
DECK_MAX_LIMIT = 50
# Reddit-style hot scores count seconds from a fixed epoch; any fixed instant works, a recent one
# keeps the numbers small. Changing it shifts every score by the same amount (the order is kept).
HOT_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ALL_TIME_START = datetime(2000, 1, 1, tzinfo=UTC)


class VoteValue(models.IntegerChoices):
    UP = 1, "Up"
    DOWN = -1, "Down"


class SwipeAction(models.TextChoices):
    LIKE = "like", "Like"
    PASS = "pass", "Pass"


class EventKind(models.TextChoices):
    POST_VOTE = "post_vote", "Post vote"
    POST_UNVOTE = "post_unvote", "Post vote removed"
    IMAGE_VOTE = "image_vote", "Image vote"
    IMAGE_UNVOTE = "image_unvote", "Image vote removed"
    SWIPE_LIKE = "swipe_like", "Swipe like"
    SWIPE_PASS = "swipe_pass", "Swipe pass"


class Window(models.TextChoices):
    DAY = "day", "Today"
    WEEK = "week", "This week"
    MONTH = "month", "This month"
    ALL = "all", "All time"


class Sort(models.TextChoices):
    HOT = "hot", "Hot"
    TOP = "top", "Top"
    CONTROVERSIAL = "controversial", "Controversial"


class BadgeKind(models.TextChoices):
    TOP10_WEEK = "top10_week", "Top 10 of the week"
    VERIFIED = "verified", "Verified creator"
    ANNIVERSARY = "anniversary", "Anniversary"
