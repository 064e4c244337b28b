"""Votes and swipes: one per user and target, changeable and removable, counters exact.

Each write runs in one transaction: the tally row exists first (INSERT ... ON CONFLICT DO NOTHING),
the user's vote row is locked (or inserted; a concurrent insert of the same pair loses on the
unique constraint and re-reads the winner's row under lock), and the tally moves by the difference
with ``F()``. No check-then-act: two requests racing for the same vote serialize on the vote row,
and different users' votes only meet in the single-row ``UPDATE`` of the tally.

Every vote and swipe appends an :class:`~fanclub.community.models.EngagementEvent`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.utils import timezone

from fanclub.community.constants import EventKind, SwipeAction
from fanclub.community.models import (
    EngagementEvent,
    ImageVote,
    ImageVoteTally,
    PostVote,
    PostVoteTally,
    Swipe,
)
from fanclub.content import policy
from fanclub.content.models import Post, PostMedia
from fanclub.core.errors import ApiError, Conflict, NotFound, PermissionDenied
from fanclub.media.constants import MediaKind, MediaState

# A vote's row can be inserted and deleted by a racing request between our reads (``_vote_write``).
# Each new attempt follows a change another request committed, so a few are plenty; after them, 409.
VOTE_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class VoteState:
    """A target's counts after a write, and the user's vote on it (0: none)."""

    post_id: int
    media_id: uuid.UUID | None
    value: int
    up_count: int
    down_count: int

    @property
    def score(self) -> int:
        return self.up_count - self.down_count


def _check_value(value: int) -> None:
    if value not in (1, -1):
        raise ApiError("A vote is 1 (up) or -1 (down).", code="invalid_vote", status=422)


def _post_for_voting(*, user: Any, post_id: int, country: str) -> Post:
    """The post, if ``user`` may see it in full (404 when they may not know it exists)."""
    post = policy.post_qs_visible_to(user=user, country=country).filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post.")
    if post.creator_id == user.pk:
        raise PermissionDenied("You cannot vote on your own post.", code="own_post")
    if not getattr(post, "has_access", False):
        raise PermissionDenied("Unlock or subscribe to vote on this post.", code="locked")
    return post


def _attachment_for_voting(*, user: Any, post_id: int, media_id: uuid.UUID, country: str) -> PostMedia:
    post = _post_for_voting(user=user, post_id=post_id, country=country)
    attachment = (
        PostMedia.objects.filter(post_id=post.pk, media_id=media_id, media__kind=MediaKind.IMAGE)
        .select_related("media")
        .first()
    )
    if attachment is None:
        raise NotFound("No such image in this post.")
    return attachment


def _tally_move(tally: type[Any], *, key: int, old: int, new: int) -> None:
    up = (new == 1) - (old == 1)
    down = (new == -1) - (old == -1)
    if up or down:
        tally.objects.filter(pk=key).update(up_count=F("up_count") + up, down_count=F("down_count") + down)


def _vote_write(
    vote_model: type[Any],
    tally: type[Any],
    *,
    key_field: str,
    key: int,
    user_id: int,
    value: int,
    extra: dict[str, Any],
) -> int:
    """Set (value +-1) or remove (0) one vote; returns the previous value. Inside a transaction.

    The row, once locked, is ours until commit. Until then a racing request (the same user in
    another tab) may insert it after we saw none, then delete it again before we look: each attempt
    starts over from the row as it is, and one always wins within ``VOTE_WRITE_ATTEMPTS``."""
    tally.objects.bulk_create([tally(pk=key)], ignore_conflicts=True)
    lookup = {"user_id": user_id, key_field: key}
    for _ in range(VOTE_WRITE_ATTEMPTS):
        row: Any = vote_model.objects.select_for_update().filter(**lookup).first()
        if row is None and value:
            try:
                with transaction.atomic():
                    vote_model.objects.create(**lookup, **extra, value=value)
            except IntegrityError:
                continue  # a racing request inserted it first: lock it and start again
            _tally_move(tally, key=key, old=0, new=value)
            return 0
        old = row.value if row is not None else 0
        if row is not None:
            if value == 0:
                row.delete()
            elif value != old:
                vote_model.objects.filter(pk=row.pk).update(value=value, voted_at=timezone.now())
        _tally_move(tally, key=key, old=old, new=value)
        return old
    raise Conflict("The vote changed while it was being saved. Try again.", code="vote_conflict")


def _post_state(*, post_id: int, value: int) -> VoteState:
    tally = PostVoteTally.objects.get(pk=post_id)
    return VoteState(
        post_id=post_id, media_id=None, value=value, up_count=tally.up_count, down_count=tally.down_count
    )


def post_vote_set(*, user: Any, post_id: int, value: int, country: str = "") -> VoteState:
    """Vote a post up (1) or down (-1), or change the vote. Needs full access to the post."""
    _check_value(value)
    post = _post_for_voting(user=user, post_id=post_id, country=country)
    with transaction.atomic():
        _vote_write(
            PostVote, PostVoteTally, key_field="post_id", key=post.pk, user_id=user.pk, value=value, extra={}
        )
        EngagementEvent.objects.create(
            user_id=user.pk, kind=EventKind.POST_VOTE, post_id=post.pk, value=value
        )
        return _post_state(post_id=post.pk, value=value)


def post_vote_delete(*, user: Any, post_id: int, country: str = "") -> VoteState:
    """Remove the user's vote on a post (nothing to remove is not an error)."""
    post = _post_for_voting(user=user, post_id=post_id, country=country)
    with transaction.atomic():
        old = _vote_write(
            PostVote, PostVoteTally, key_field="post_id", key=post.pk, user_id=user.pk, value=0, extra={}
        )
        if old:
            EngagementEvent.objects.create(
                user_id=user.pk, kind=EventKind.POST_UNVOTE, post_id=post.pk, value=0
            )
        return _post_state(post_id=post.pk, value=0)


def _image_state(*, attachment: PostMedia, value: int) -> VoteState:
    tally = ImageVoteTally.objects.get(pk=attachment.pk)
    return VoteState(
        post_id=attachment.post_id,
        media_id=attachment.media_id,
        value=value,
        up_count=tally.up_count,
        down_count=tally.down_count,
    )


def _image_vote(*, user: Any, attachment: PostMedia, value: int) -> int:
    """Inside a transaction: set or remove the vote, log it; returns the previous value."""
    old = _vote_write(
        ImageVote,
        ImageVoteTally,
        key_field="attachment_id",
        key=attachment.pk,
        user_id=user.pk,
        value=value,
        extra={"post_id": attachment.post_id},
    )
    if value or old:
        EngagementEvent.objects.create(
            user_id=user.pk,
            kind=EventKind.IMAGE_VOTE if value else EventKind.IMAGE_UNVOTE,
            post_id=attachment.post_id,
            media_id=attachment.media_id,
            value=value,
        )
    return old


def image_vote_set(
    *, user: Any, post_id: int, media_id: uuid.UUID, value: int, country: str = ""
) -> VoteState:
    """Vote one image of a post up or down (full access to the post needed)."""
    _check_value(value)
    attachment = _attachment_for_voting(user=user, post_id=post_id, media_id=media_id, country=country)
    with transaction.atomic():
        _image_vote(user=user, attachment=attachment, value=value)
        return _image_state(attachment=attachment, value=value)


def image_vote_delete(*, user: Any, post_id: int, media_id: uuid.UUID, country: str = "") -> VoteState:
    attachment = _attachment_for_voting(user=user, post_id=post_id, media_id=media_id, country=country)
    with transaction.atomic():
        _image_vote(user=user, attachment=attachment, value=0)
        return _image_state(attachment=attachment, value=0)


@dataclass(frozen=True)
class SwipeResult:
    media_id: uuid.UUID
    post_id: int
    action: str
    upvoted: bool  # a like on an image the fan may see in full is also an upvote


def swipe_create(
    *, user: Any, media_id: uuid.UUID, action: str, post_id: int | None = None, country: str = ""
) -> SwipeResult:
    """Like or pass one card of the deck, once per image.

    The card must be one the deck could offer this fan: an image of a post they may know exists,
    in full if they have access, else only the post's first item (its blurred preview). A like on
    a post they may see in full is also an upvote of the image; on a locked preview it is only
    recorded (votes need full access). 404 for anything else, 409 when already swiped.
    """
    if action not in SwipeAction.values:
        raise ApiError("The action is like or pass.", code="invalid_action", status=422)
    visible = policy.post_qs_visible_to(user=user, country=country).exclude(creator_id=user.pk)
    if post_id is not None:
        visible = visible.filter(pk=post_id)
    first_positions = dict(
        PostMedia.objects.filter(post__in=visible.filter(attachments__media_id=media_id).values("pk"))
        .values("post_id")
        .annotate(first=Min("position"))
        .values_list("post_id", "first")
    )
    rows = visible.filter(pk__in=list(first_positions)).values_list("pk", "has_access")  # type: ignore[misc]
    access: dict[int, bool] = dict(rows)
    candidates = (
        PostMedia.objects.filter(
            post_id__in=list(access),
            media_id=media_id,
            media__kind=MediaKind.IMAGE,
            media__state=MediaState.READY,
            media__deleted_at__isnull=True,
        )
        .select_related("media")
        .order_by("post_id")
    )
    attachment = next(
        (
            item
            for item in candidates
            if access[item.post_id] or item.position == first_positions[item.post_id]
        ),
        None,
    )
    if attachment is None:
        raise NotFound("No such card.")
    full = bool(access[attachment.post_id])
    with transaction.atomic():
        try:
            with transaction.atomic():
                Swipe.objects.create(user_id=user.pk, media_id=media_id, attachment=attachment, action=action)
        except IntegrityError as exc:
            raise Conflict("You have already swiped this image.", code="already_swiped") from exc
        like = action == SwipeAction.LIKE
        EngagementEvent.objects.create(
            user_id=user.pk,
            kind=EventKind.SWIPE_LIKE if like else EventKind.SWIPE_PASS,
            post_id=attachment.post_id,
            media_id=media_id,
            value=1 if like else 0,
        )
        upvoted = like and full
        if upvoted:
            _image_vote(user=user, attachment=attachment, value=1)
    return SwipeResult(media_id=media_id, post_id=attachment.post_id, action=action, upvoted=upvoted)
