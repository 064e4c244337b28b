"""Votes and swipes (with exact counters in tally tables), the append-only engagement log,
ranking snapshots, the trending score table and badges.

Counters never live on another app's model: ``PostVoteTally`` and ``ImageVoteTally`` rows move with
``F()`` updates in the transaction that writes the vote, under the vote row's lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanclub.community.constants import BadgeKind, EventKind, Sort, SwipeAction, Window


class PostVote(models.Model):
    """One user's up (+1) or down (-1) vote on a post; changed in place, deleted when removed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField()
    voted_at = models.DateTimeField(default=timezone.now)  # last cast or changed

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="community_postvote_unique"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="community_postvote_value"),
        ]
        indexes = [models.Index(fields=["voted_at", "post"], name="community_postvote_time_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} votes {self.value:+d} on post {self.post_id}"


class PostVoteTally(models.Model):
    """Exact up/down counts of a post's votes (all time)."""

    post = models.OneToOneField("content.Post", primary_key=True, on_delete=models.CASCADE, related_name="+")
    up_count = models.IntegerField(default=0)
    down_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(up_count__gte=0, down_count__gte=0), name="community_posttally_non_negative"
            )
        ]

    def __str__(self) -> str:
        return f"post {self.post_id}: +{self.up_count} -{self.down_count}"


class ImageVote(models.Model):
    """One user's vote on one image of a post (a ``content.PostMedia`` attachment)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attachment = models.ForeignKey("content.PostMedia", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")  # the attachment's
    value = models.SmallIntegerField()
    voted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "attachment"], name="community_imagevote_unique"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="community_imagevote_value"),
        ]
        indexes = [models.Index(fields=["voted_at", "post"], name="community_imagevote_time_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} votes {self.value:+d} on attachment {self.attachment_id}"


class ImageVoteTally(models.Model):
    """Exact up/down counts of an image's votes."""

    attachment = models.OneToOneField(
        "content.PostMedia", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    up_count = models.IntegerField(default=0)
    down_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(up_count__gte=0, down_count__gte=0), name="community_imagetally_non_negative"
            )
        ]

    def __str__(self) -> str:
        return f"attachment {self.attachment_id}: +{self.up_count} -{self.down_count}"


class Swipe(models.Model):
    """A fan's like or pass on an image of the deck: at most one per fan and vault item, so an
    image reused in two posts is not offered twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="+")
    attachment = models.ForeignKey("content.PostMedia", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=SwipeAction.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "media"], name="community_swipe_unique"),
            models.CheckConstraint(condition=Q(action__in=SwipeAction.values), name="community_swipe_action"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.media_id}"


class EngagementEvent(models.Model):
    """Append-only log of votes and swipes for later learning (a trigger refuses UPDATE).

    ``value`` is the vote (+1/-1; 0 for a removal) or 1/0 for a swipe like/pass.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.SmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="community_event_kind"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="community_event_time_idx"),
            models.Index(fields=["user", "created_at"], name="community_event_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.user_id} on {self.post_id}"


class RankingSnapshot(models.Model):
    """A ranking of one window (calendar day, ISO week, month, or all time, UTC) and category.

    One row per (window, category, period_start): the job rewrites the open period's snapshot and
    writes a closed period's one last time with ``is_final`` set, after which it is history.
    ``category`` is ``""`` for the overall ranking.
    """

    window = models.CharField(max_length=8, choices=Window.choices)
    category = models.CharField(max_length=24, blank=True, default="")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    computed_at = models.DateTimeField()
    is_final = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["window", "category", "period_start"], name="community_snapshot_unique"
            ),
            models.CheckConstraint(condition=Q(window__in=Window.values), name="community_snapshot_window"),
        ]
        indexes = [
            models.Index(fields=["window", "category", "-period_start"], name="community_snapshot_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.window}/{self.category or 'all'} from {self.period_start:%Y-%m-%d}"


class RankingEntry(models.Model):
    """One ranked post of a snapshot, for one sort, with the counts its score came from."""

    snapshot = models.ForeignKey(RankingSnapshot, on_delete=models.CASCADE, related_name="entries")
    sort = models.CharField(max_length=16, choices=Sort.choices)
    rank = models.PositiveIntegerField()
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    up_count = models.IntegerField()
    down_count = models.IntegerField()
    likes_count = models.IntegerField()
    comments_count = models.IntegerField()
    tips_count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "sort", "rank"], name="community_entry_rank_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.sort} post {self.post_id}"


class PostScore(models.Model):
    """Trending: the hot score of recently engaged posts (rolling window), rewritten by the job."""

    post = models.OneToOneField("content.Post", primary_key=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=24, blank=True, default="")
    hot = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["-hot"], name="community_score_hot_idx"),
            models.Index(fields=["category", "-hot"], name="community_score_cat_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} hot {self.hot:.3f}"


class Badge(models.Model):
    """A badge that can be awarded: e.g. ``top10_week`` for the category ``photo``."""

    kind = models.CharField(max_length=16, choices=BadgeKind.choices)
    category = models.CharField(max_length=24, blank=True, default="")
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "category"], name="community_badge_unique"),
            models.CheckConstraint(condition=Q(kind__in=BadgeKind.values), name="community_badge_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class BadgeAward(models.Model):
    """A badge held by a user for a period (``"2026-W47"``, ``"1"`` year, ``""`` once only)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_awards")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="awards")
    period = models.CharField(max_length=16, blank=True, default="")
    rank = models.PositiveIntegerField(null=True, blank=True)
    awarded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "badge", "period"], name="community_award_unique"),
        ]
        indexes = [models.Index(fields=["user", "-awarded_at"], name="community_award_user_idx")]

    def __str__(self) -> str:
        return f"{self.badge} for {self.user_id} ({self.period})"
