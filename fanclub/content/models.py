from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanclub.content.constants import Access, Category, PostState


class Post(models.Model):
    """A creator's post: text, up to 20 vault items, and one access rule.

    ``access`` decides who sees the full post (see policy.py, the only place that interprets it).
    ``tiers`` are the required tiers for ``access=tiers`` and the tiers that get a pay-per-view
    post free for ``access=ppv``. A post is live when ``state`` is published, ``published_at`` has
    passed, it is not soft-deleted and ``expires_at`` (if any) is in the future; the policy checks
    the dates itself, so scheduling and expiry never depend on a job having run on time.
    A post removed by a moderator is soft-deleted like any other (invisible everywhere, its owner
    included), with ``removed_by`` and ``removal_reason`` kept for the record.
    """

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    text = models.TextField(blank=True)
    access = models.CharField(max_length=12, choices=Access.choices, default=Access.SUBSCRIBERS)
    price_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    tiers = models.ManyToManyField("creators.Tier", blank=True, related_name="posts")
    state = models.CharField(max_length=10, choices=PostState.choices, default=PostState.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    is_pinned = models.BooleanField(default=False)
    category = models.CharField(max_length=24, choices=Category.choices, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    face_warning = models.BooleanField(default=False)
    likes_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removal_reason = models.TextField(max_length=1000, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(access__in=Access.values), name="content_post_access_valid"),
            models.CheckConstraint(condition=Q(state__in=PostState.values), name="content_post_state_valid"),
            models.CheckConstraint(
                condition=~Q(access=Access.PPV) | (Q(price_minor__gt=0) & ~Q(currency="")),
                name="content_post_ppv_has_price",
            ),
            models.CheckConstraint(
                condition=~Q(state=PostState.PUBLISHED) | Q(published_at__isnull=False),
                name="content_post_published_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["creator", "-is_pinned", "-published_at", "-id"],
                name="content_post_profile_idx",
                condition=Q(state="published", deleted_at__isnull=True),
            ),
            models.Index(fields=["publish_at"], name="content_post_due_idx", condition=Q(state="scheduled")),
            models.Index(fields=["creator", "-created_at", "-id"], name="content_post_studio_idx"),
            models.Index(fields=["category", "-published_at"], name="content_post_category_idx"),
            # Home feed (fanclub.feeds, docs/architecture.md "Home feed"): newest live posts across
            # the site, carrying the creator and expiry so the feed's id scan is index-only.
            models.Index(
                fields=["-published_at", "-id"],
                name="content_post_feed_idx",
                include=["creator", "expires_at"],
                condition=Q(state="published", deleted_at__isnull=True),
            ),
            # Home feed for small audiences: a few creators' newest posts, one range per creator.
            models.Index(
                fields=["creator", "-published_at", "-id"],
                name="content_post_creator_new_idx",
                include=["expires_at"],
                condition=Q(state="published", deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} by {self.creator_id}"


class PostMedia(models.Model):
    """A vault item used by a post, in order (the first one is the locked preview)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    media = models.ForeignKey("media.MediaItem", on_delete=models.CASCADE, related_name="post_attachments")
    position = models.PositiveSmallIntegerField()
    face_count = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="content_postmedia_position_unique"),
            models.UniqueConstraint(fields=["post", "media"], name="content_postmedia_media_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.media_id} in post {self.post_id}"


class PostUnlock(models.Model):
    """ "This fan unlocked this pay-per-view post" (billing writes it through post_unlock_grant)."""

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_unlocks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="unlocks")
    source = models.CharField(max_length=10, default="comp")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fan", "post"], name="content_unlock_unique")]

    def __str__(self) -> str:
        return f"{self.fan_id} unlocked {self.post_id}"


class Comment(models.Model):
    """A comment on a post; replies go one level deep (a reply's parent has no parent)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["post", "created_at", "id"], name="content_comment_post_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.post_id}"


class PostLike(models.Model):
    """A like; unique per user and post (the counter on Post moves with F())."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="content_like_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Bookmark(models.Model):
    """A post saved by a user for later."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="content_bookmark_unique")]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="content_bookmark_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.post_id}"
