"""Post access rules, states, categories and limits."""

from __future__ import annotations

from django.db import models


class Access(models.TextChoices):
    PUBLIC = "public", "Everyone"
    FOLLOWERS = "followers", "Followers"
    SUBSCRIBERS = "subscribers", "Any subscriber"
    TIERS = "tiers", "Chosen tiers"
    PPV = "ppv", "Pay per view"


class PostState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Category(models.TextChoices):
    NONE = "", "No category"
    PHOTO = "photo", "Photo set"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    TEXT = "text", "Writing"
    BEHIND = "behind-the-scenes", "Behind the scenes"
    TUTORIAL = "tutorial", "Tutorial"
    ANNOUNCEMENT = "announcement", "Announcement"


class Action(models.TextChoices):
    """The one clear action a viewer without access is offered."""

    SIGN_IN = "sign_in", "Sign in"
    FOLLOW = "follow", "Follow"
    SUBSCRIBE = "subscribe", "Subscribe"
    UNLOCK = "unlock", "Unlock"


MAX_MEDIA_PER_POST = 20
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MAX_TEXT_LENGTH = 10_000
MAX_COMMENT_LENGTH = 2_000
MAX_REMOVAL_REASON = 1_000  # a moderator's reason for removing a post (its creator reads it)
QUEUE = "content"
TARGET_TYPE = "content.post"  # MediaUsage.target_type
