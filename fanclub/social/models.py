from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class Follow(models.Model):
    """A free follow of a creator (separate from a paid membership). Unique per pair."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "creator"], name="social_follow_unique"),
            models.CheckConstraint(condition=~Q(follower=F("creator")), name="social_follow_not_self"),
        ]
        indexes = [models.Index(fields=["creator", "-created_at"], name="social_follow_creator_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.creator_id}"


class Block(models.Model):
    """``blocker`` blocks ``blocked``: hides both ways (profiles, posts, comments, messages, search).

    Read it with :func:`fanclub.social.selectors.block_between_q` or ``is_blocked_either_way``; a
    block is symmetric in effect, so every check looks at both directions.
    """

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="social_block_unique"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="social_block_not_self"),
        ]
        # The unique constraint indexes (blocker, blocked); this one answers "who blocked me".
        indexes = [models.Index(fields=["blocked", "blocker"], name="social_block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """``muter`` mutes ``muted``: one-way and silent (their posts leave the muter's feeds and their
    notifications stop; nothing is hidden from the muted user, who is not told)."""

    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_made")
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="social_mute_unique"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="social_mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"


class FanList(models.Model):
    """A creator's custom, named list of fans (e.g. "Big tippers"), private to the creator; later
    the target of mass messages (``selectors.fan_list_member_ids``). Names are unique per creator,
    ignoring case."""

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fan_lists")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), "creator", name="social_fanlist_name_unique"),
        ]
        indexes = [models.Index(fields=["creator", "-created_at", "-id"], name="social_fanlist_creator_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.creator_id})"


class FanListMember(models.Model):
    """A fan on a creator's list, with the creator's private note about them. Only a fan who
    follows or subscribes to the creator can be added (checked by the service)."""

    fan_list = models.ForeignKey(FanList, on_delete=models.CASCADE, related_name="members")
    fan = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fan_list_entries"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    added_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fan_list", "fan"], name="social_fanlistmember_unique")
        ]
        indexes = [
            models.Index(fields=["fan_list", "-added_at", "-id"], name="social_fanlistmember_list_idx")
        ]

    def __str__(self) -> str:
        return f"{self.fan_id} on list {self.fan_list_id}"
