from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
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
