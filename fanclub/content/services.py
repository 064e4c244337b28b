"""Writes of the content app: posts (draft, schedule, publish, pin, edit, soft delete), unlocks,
comments, likes, bookmarks, and the masked-mode face scan and blur.

Every write that concerns what a viewer may do asks the policy first (``policy.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fanclub.accounts import permissions as account_permissions
from fanclub.content import policy
from fanclub.content.constants import (
    MAX_COMMENT_LENGTH,
    MAX_MEDIA_PER_POST,
    MAX_REMOVAL_REASON,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
    TARGET_TYPE,
    Access,
    Category,
    PostState,
)
from fanclub.content.models import Bookmark, Comment, Post, PostLike, PostMedia, PostUnlock
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.creators.constants import CURRENCIES, MAX_PRICE_MINOR
from fanclub.creators.models import CreatorProfile, Tier
from fanclub.creators.permissions import is_creator
from fanclub.media import services as media_services
from fanclub.media.models import MediaItem
from fanclub.notifications import hooks as notification_hooks
from fanclub.search import services as search_services
from fanclub.social import selectors as social_selectors

_TAG_CHARS = re.compile(r"[^a-z0-9_-]+")


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(message, code="validation_error", status=422, details=[{"loc": [field], "msg": message}])


def normalize_tags(tags: list[str]) -> list[str]:
    """Lower-case, no '#', spaces to '-', only [a-z0-9_-], unique, in order; at most 10."""
    cleaned: list[str] = []
    for raw in tags:
        tag = _TAG_CHARS.sub("", raw.strip().lstrip("#").lower().replace(" ", "-"))[:MAX_TAG_LENGTH].strip(
            "-"
        )
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise _invalid(f"At most {MAX_TAGS} tags.", "tags")
    return cleaned


def _check_rule(
    *, creator: Any, access: str, price_minor: int | None, currency: str, tier_ids: list[int]
) -> list[Tier]:
    if access not in Access.values:
        raise _invalid("Unknown access rule.", "access")
    tiers = list(Tier.objects.filter(pk__in=set(tier_ids), creator_id=creator.pk, is_archived=False))
    if len(tiers) != len(set(tier_ids)):
        raise _invalid("Choose among your own tiers.", "tierIds")
    if access == Access.TIERS and not tiers:
        raise _invalid("Choose at least one tier.", "tierIds")
    if access not in (Access.TIERS, Access.PPV) and tiers:
        raise _invalid("Tiers only apply to tier-only and pay-per-view posts.", "tierIds")
    if access == Access.PPV:
        if not price_minor or not 1 <= price_minor <= MAX_PRICE_MINOR:
            raise _invalid("A pay-per-view post needs a positive price.", "priceMinor")
        if currency not in CURRENCIES:
            raise _invalid(f"Supported currencies: {', '.join(CURRENCIES)}.", "currency")
    elif price_minor:
        raise _invalid("Only pay-per-view posts have a price.", "priceMinor")
    return tiers


def _check_media(*, creator: Any, media_ids: list[Any]) -> list[MediaItem]:
    ids = [str(media_id) for media_id in media_ids]
    if len(ids) > MAX_MEDIA_PER_POST:
        raise _invalid(f"At most {MAX_MEDIA_PER_POST} media items per post.", "mediaIds")
    if len(set(ids)) != len(ids):
        raise _invalid("A media item can appear only once in a post.", "mediaIds")
    items = {str(m.pk): m for m in MediaItem.objects.filter(pk__in=ids, deleted_at__isnull=True)}
    if len(items) != len(ids) or any(m.owner_id != creator.pk for m in items.values()):
        raise _invalid("Choose among your own vault items.", "mediaIds")
    return [items[media_id] for media_id in ids]


def _set_media(post: Post, items: list[MediaItem], *, creator: Any) -> None:
    """Replace the post's media (in order) and keep the vault's usage records in step."""
    old = set(PostMedia.objects.filter(post=post).values_list("media_id", flat=True))
    PostMedia.objects.filter(post=post).delete()
    PostMedia.objects.bulk_create(
        [PostMedia(post=post, media=item, position=index) for index, item in enumerate(items)]
    )
    new = {item.pk for item in items}
    label = (post.text.strip().splitlines() or [f"Post {post.pk}"])[0][:200]
    for media_id in old - new:
        media_services.media_usage_detach(media_id=media_id, target_type=TARGET_TYPE, target_id=str(post.pk))
    for item in items:
        media_services.media_usage_attach(
            user=creator, media_id=item.pk, target_type=TARGET_TYPE, target_id=str(post.pk), label=label
        )
    if new - old and _masked(creator):
        from fanclub.content import tasks

        tasks.post_faces_scan_task.configure(lock=f"faces:{post.pk}").defer(post_id=post.pk)


def _masked(creator: Any) -> bool:
    return CreatorProfile.objects.filter(pk=creator.pk, masked_mode=True).exists()


def _schedule_fields(
    *, publish: bool, publish_at: datetime | None, expires_at: datetime | None
) -> dict[str, Any]:
    now = timezone.now()
    if publish_at is not None and publish_at <= now:
        publish, publish_at = True, None
    start = now if publish else publish_at
    if expires_at is not None and expires_at <= (start or now):
        raise _invalid("The expiry must come after publication.", "expiresAt")
    if publish:
        return {"state": PostState.PUBLISHED, "published_at": now, "publish_at": None}
    if publish_at is not None:
        return {"state": PostState.SCHEDULED, "publish_at": publish_at, "published_at": None}
    return {"state": PostState.DRAFT, "publish_at": None, "published_at": None}


def post_create(
    *,
    creator: Any,
    text: str = "",
    media_ids: list[Any] | None = None,
    access: str = Access.SUBSCRIBERS,
    price_minor: int | None = None,
    currency: str = "",
    tier_ids: list[int] | None = None,
    category: str = "",
    tags: list[str] | None = None,
    publish: bool = False,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Post:
    """Create a draft, a scheduled post (``publish_at`` in the future) or publish now (``publish``)."""
    if not is_creator(creator) or not CreatorProfile.objects.filter(pk=creator.pk).exists():
        raise PermissionDenied("Only creators can post.", code="not_a_creator")
    if len(text) > MAX_TEXT_LENGTH:
        raise _invalid(f"At most {MAX_TEXT_LENGTH} characters.", "text")
    if category not in Category.values:
        raise _invalid("Unknown category.", "category")
    tiers = _check_rule(
        creator=creator, access=access, price_minor=price_minor, currency=currency, tier_ids=tier_ids or []
    )
    items = _check_media(creator=creator, media_ids=media_ids or [])
    if not text.strip() and not items:
        raise _invalid("A post needs text or media.", "text")
    schedule = _schedule_fields(publish=publish, publish_at=publish_at, expires_at=expires_at)
    with transaction.atomic():
        post = Post.objects.create(
            creator_id=creator.pk,
            text=text.strip(),
            access=access,
            price_minor=price_minor if access == Access.PPV else None,
            currency=currency if access == Access.PPV else "",
            category=category,
            tags=normalize_tags(tags or []),
            expires_at=expires_at,
            **schedule,
        )
        post.tiers.set(tiers)
        _set_media(post, items, creator=creator)
        if post.state == PostState.PUBLISHED:
            notification_hooks.post_published(post_id=post.pk)
            search_services.search_words_add(post_ids=[post.pk])  # the typo correction's words
    return post


def _lock_own_post(*, user: Any, post_id: int) -> Post:
    post = Post.objects.select_for_update().filter(pk=post_id, deleted_at__isnull=True).first()
    if post is None or post.creator_id != user.pk:
        raise NotFound("No such post.")
    return post


def post_update(*, user: Any, post_id: int, **fields: Any) -> Post:
    """Edit a post. Fields absent from ``fields`` stay as they are. Publishing and scheduling go
    through ``publish``/``publish_at`` exactly as at creation (a published post stays published)."""
    with transaction.atomic():
        post = _lock_own_post(user=user, post_id=post_id)
        if "text" in fields:
            if len(fields["text"]) > MAX_TEXT_LENGTH:
                raise _invalid(f"At most {MAX_TEXT_LENGTH} characters.", "text")
            post.text = fields["text"].strip()
        if "category" in fields:
            if fields["category"] not in Category.values:
                raise _invalid("Unknown category.", "category")
            post.category = fields["category"]
        if "tags" in fields:
            post.tags = normalize_tags(fields["tags"] or [])
        if {"access", "price_minor", "currency", "tier_ids"} & set(fields):
            access = fields.get("access", post.access)
            price = fields.get("price_minor", post.price_minor if access == Access.PPV else None)
            currency = fields.get("currency", post.currency)
            tier_ids = fields.get("tier_ids")
            if tier_ids is None:
                tier_ids = (
                    list(post.tiers.values_list("pk", flat=True))
                    if access in (Access.TIERS, Access.PPV)
                    else []
                )
            tiers = _check_rule(
                creator=user, access=access, price_minor=price, currency=currency, tier_ids=tier_ids
            )
            post.access = access
            post.price_minor = price if access == Access.PPV else None
            post.currency = currency if access == Access.PPV else ""
            post.tiers.set(tiers)
        if "expires_at" in fields:
            post.expires_at = fields["expires_at"]
        if post.state != PostState.PUBLISHED and ("publish" in fields or "publish_at" in fields):
            for name, value in _schedule_fields(
                publish=bool(fields.get("publish")),
                publish_at=fields.get("publish_at"),
                expires_at=post.expires_at,
            ).items():
                setattr(post, name, value)
            if post.state == PostState.PUBLISHED:
                notification_hooks.post_published(post_id=post.pk)
        if post.expires_at is not None and post.expires_at <= (
            post.published_at or post.publish_at or timezone.now()
        ):
            raise _invalid("The expiry must come after publication.", "expiresAt")
        if "media_ids" in fields:
            _set_media(post, _check_media(creator=user, media_ids=fields["media_ids"] or []), creator=user)
        if not post.text and not PostMedia.objects.filter(post=post).exists():
            raise _invalid("A post needs text or media.", "text")
        if post.state == PostState.PUBLISHED:
            post.edited_at = timezone.now()
        post.save()
        if post.state == PostState.PUBLISHED:  # new words (old ones go at the hourly rebuild)
            search_services.search_words_add(post_ids=[post.pk])
    return post


def post_publish(*, user: Any, post_id: int) -> Post:
    """Publish a draft or scheduled post now (idempotent for a published post)."""
    return post_update(user=user, post_id=post_id, publish=True)


def post_pin(*, user: Any, post_id: int, pinned: bool) -> Post:
    with transaction.atomic():
        post = _lock_own_post(user=user, post_id=post_id)
        post.is_pinned = pinned
        post.pinned_at = timezone.now() if pinned else None
        post.save(update_fields=["is_pinned", "pinned_at", "updated_at"])
    return post


def post_delete(*, user: Any, post_id: int) -> None:
    """Soft delete: the post disappears everywhere at once (the policy ignores deleted posts);
    its media stay in the vault, no longer listed as used by it."""
    with transaction.atomic():
        post = _lock_own_post(user=user, post_id=post_id)
        _soft_delete(post=post)


def _soft_delete(*, post: Post, update_fields: tuple[str, ...] = ()) -> None:
    """Mark a locked post deleted and free its media (shared by its owner's delete and moderators')."""
    post.deleted_at = timezone.now()
    post.is_pinned = False
    post.save(update_fields=["deleted_at", "is_pinned", "updated_at", *update_fields])
    for media_id in PostMedia.objects.filter(post=post).values_list("media_id", flat=True):
        media_services.media_usage_detach(media_id=media_id, target_type=TARGET_TYPE, target_id=str(post.pk))


def post_remove_by_moderator(*, moderator: Any, post_id: Any, reason: str) -> Post:
    """A moderator removes a post: soft-deleted exactly as by its owner (invisible everywhere, the
    owner included: ``policy.live_q`` and ``VISIBLE_SQL`` drop deleted posts), with who and why
    kept on the row, and its creator notified with the reason (no actor: never which moderator).

    403 for anyone but a moderator, 422 without a reason (1 to 1000 characters), 404 for no such
    post. Idempotent: a post already deleted (by its owner or an earlier removal) is returned as
    it is and nobody is notified again. Locks the post row.
    """
    if not account_permissions.is_moderator(moderator):
        raise PermissionDenied("Only moderators can do this.", code="not_moderator")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REMOVAL_REASON:
        raise _invalid(
            f"Give a reason of 1 to {MAX_REMOVAL_REASON} characters: the creator is told.", "reason"
        )
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        raise NotFound("No such post.") from None
    with transaction.atomic():
        post = Post.objects.select_for_update().filter(pk=post_id).first()
        if post is None:
            raise NotFound("No such post.")
        if post.deleted_at is not None:
            return post
        post.removed_by = moderator
        post.removal_reason = reason
        _soft_delete(post=post, update_fields=("removed_by", "removal_reason"))
        notification_hooks.post_removed(
            post_id=post.pk, creator_id=post.creator_id, text=post.text, reason=reason
        )
    return post


def posts_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled post whose time has come (idempotent: a single UPDATE on due rows).

    ``published_at`` is the scheduled time, not the moment the job ran, so a late job does not
    reorder the creator's posts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = Post.objects.filter(state=PostState.SCHEDULED, publish_at__lte=now, deleted_at__isnull=True)
        post_ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
        Post.objects.filter(pk__in=post_ids).update(
            state=PostState.PUBLISHED, published_at=F("publish_at"), publish_at=None, updated_at=now
        )
        for post_id in post_ids:  # notifications: one fan-out job per post that went live
            notification_hooks.post_published(post_id=post_id)
        search_services.search_words_add(post_ids=post_ids, now=now)
    return len(post_ids)


# --- Entitlements ---------------------------------------------------------------------------------
def post_unlock_grant(*, fan: Any, post: Post, source: str = "billing") -> PostUnlock:
    """Record that ``fan`` unlocked a pay-per-view post (idempotent; billing calls this)."""
    if post.access != Access.PPV:
        raise Conflict("Only pay-per-view posts can be unlocked.", code="not_ppv")
    unlock, _ = PostUnlock.objects.get_or_create(fan_id=fan.pk, post=post, defaults={"source": source})
    return unlock


def post_unlock_revoke(*, fan_id: int, post_id: int) -> bool:
    """Take back a pay-per-view unlock (billing: a full refund or a chargeback). True if one existed."""
    deleted, _ = PostUnlock.objects.filter(fan_id=fan_id, post_id=post_id).delete()
    return deleted > 0


# --- Comments, likes, bookmarks -------------------------------------------------------------------
def _viewable_post(*, user: Any, post_id: int, country: str, full: bool = True) -> Post:
    queryset = policy.post_qs_visible_to(user=user, country=country).filter(pk=post_id)
    post = queryset.first()
    if post is None:
        raise NotFound("No such post.")
    if full and not post.has_access:  # type: ignore[attr-defined]
        raise PermissionDenied("Unlock this post first.", code="post_locked")
    return post


def comment_create(
    *, user: Any, post_id: int, text: str, parent_id: int | None = None, country: str = ""
) -> Comment:
    """Comment on a post the user may see in full; replies go one level deep."""
    text = text.strip()
    if not text or len(text) > MAX_COMMENT_LENGTH:
        raise _invalid(f"A comment needs 1 to {MAX_COMMENT_LENGTH} characters.", "text")
    post = _viewable_post(user=user, post_id=post_id, country=country)
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(pk=parent_id, post_id=post.pk, deleted_at__isnull=True).first()
        blocked = parent is not None and social_selectors.is_blocked_either_way(
            user_id=user.pk, other_id=parent.author_id
        )
        if parent is None or blocked:
            raise NotFound("No such comment.")
        if parent.parent_id is not None:
            parent = Comment.objects.get(pk=parent.parent_id)  # replies to a reply join its thread
    with transaction.atomic():
        comment = Comment.objects.create(post_id=post.pk, author_id=user.pk, parent=parent, text=text)
        Post.objects.filter(pk=post.pk).update(comments_count=F("comments_count") + 1)
        notification_hooks.comment_created(comment=comment, post=post)
    return comment


def comment_delete(*, user: Any, comment_id: int) -> None:
    """Soft delete by its author or by the post's creator (moderators remove posts with
    ``post_remove_by_moderator``; comment moderation is not built yet)."""
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update()
            .select_related("post")
            .filter(pk=comment_id, deleted_at__isnull=True)
            .first()
        )
        if comment is None or comment.post.deleted_at is not None:
            raise NotFound("No such comment.")
        if user.pk not in (comment.author_id, comment.post.creator_id):
            raise PermissionDenied("You may not delete this comment.")
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["deleted_at"])
        Post.objects.filter(pk=comment.post_id, comments_count__gt=0).update(
            comments_count=F("comments_count") - 1
        )


def post_like(*, user: Any, post_id: int, country: str = "") -> bool:
    post = _viewable_post(user=user, post_id=post_id, country=country)
    try:
        with transaction.atomic():
            PostLike.objects.create(user_id=user.pk, post_id=post.pk)
            Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") + 1)
            notification_hooks.post_liked(post_id=post.pk)
    except IntegrityError:
        return False
    return True


def post_unlike(*, user: Any, post_id: int) -> bool:
    with transaction.atomic():
        deleted, _ = PostLike.objects.filter(user_id=user.pk, post_id=post_id).delete()
        if deleted:
            Post.objects.filter(pk=post_id, likes_count__gt=0).update(likes_count=F("likes_count") - 1)
    return deleted > 0


def bookmark_add(*, user: Any, post_id: int, country: str = "") -> bool:
    """Save a post (even a locked one: fans bookmark what they mean to unlock)."""
    post = _viewable_post(user=user, post_id=post_id, country=country, full=False)
    try:
        with transaction.atomic():
            Bookmark.objects.create(user_id=user.pk, post_id=post.pk)
    except IntegrityError:
        return False
    return True


def bookmark_remove(*, user: Any, post_id: int) -> bool:
    deleted, _ = Bookmark.objects.filter(user_id=user.pk, post_id=post_id).delete()
    return deleted > 0


# --- Masked mode ----------------------------------------------------------------------------------
def _image_bytes(media: MediaItem) -> bytes | None:
    from fanclub.media import storage
    from fanclub.media.constants import MediaKind, MediaState, Variant

    if media.kind != MediaKind.IMAGE or media.state != MediaState.READY:
        return None
    entry = media.variant(Variant.ORIGINAL)
    if entry is None:
        return None
    prefix = storage.media_prefix(owner_id=media.owner_id, media_id=media.pk)
    return storage.get_storage().read_bytes(f"{prefix}/{entry['file']}")


def post_faces_scan(*, post_id: int) -> int | None:
    """Count faces on the post's images (masked mode) and flag the post; None if an image is not
    processed yet (the job retries). Idempotent."""
    from fanclub.creators import faces
    from fanclub.media.constants import MediaKind, MediaState

    attachments = list(
        PostMedia.objects.select_related("media").filter(post_id=post_id, face_count__isnull=True)
    )
    pending = False
    for attachment in attachments:
        media = attachment.media
        if media.kind != MediaKind.IMAGE or media.state == MediaState.FAILED or media.deleted_at:
            PostMedia.objects.filter(pk=attachment.pk).update(face_count=0)
            continue
        data = _image_bytes(media)
        if data is None:
            pending = True
            continue
        PostMedia.objects.filter(pk=attachment.pk).update(face_count=len(faces.detect_faces(data)))
    flagged = PostMedia.objects.filter(post_id=post_id, face_count__gt=0).exists()
    Post.objects.filter(pk=post_id).update(face_warning=flagged)
    return None if pending else PostMedia.objects.filter(post_id=post_id, face_count__gt=0).count()


def post_media_blur_faces(*, user: Any, post_id: int, media_id: Any) -> MediaItem:
    """Make a face-blurred copy of one of the post's images through the media pipeline (a new
    vault item, validated and processed like any upload) and use it in the post instead."""
    from fanclub.creators import faces

    post = Post.objects.filter(pk=post_id, creator_id=user.pk, deleted_at__isnull=True).first()
    if post is None:
        raise NotFound("No such post.")
    attachment = PostMedia.objects.select_related("media").filter(post=post, media_id=media_id).first()
    if attachment is None:
        raise NotFound("No such media item in this post.")
    data = _image_bytes(attachment.media)
    if data is None:
        raise Conflict("The image is not processed yet.", code="media_not_ready")
    blurred = faces.blur_faces(data)
    name = attachment.media.original_filename.rsplit(".", 1)[0] + "-blurred.png"
    new_media = media_services.media_create_from_bytes(owner=user, filename=name, data=blurred)
    with transaction.atomic():
        post = _lock_own_post(user=user, post_id=post_id)
        PostMedia.objects.filter(pk=attachment.pk).update(media=new_media, face_count=0)
        media_services.media_usage_detach(
            media_id=attachment.media_id, target_type=TARGET_TYPE, target_id=str(post.pk)
        )
        media_services.media_usage_attach(
            user=user, media_id=new_media.pk, target_type=TARGET_TYPE, target_id=str(post.pk)
        )
        flagged = PostMedia.objects.filter(post=post, face_count__gt=0).exists()
        Post.objects.filter(pk=post.pk).update(face_warning=flagged)
    return new_media
