"""Content API: posts (draft, schedule, publish, pin, edit, soft delete), comments, likes, bookmarks.

Every read goes through the access policy; locked posts come back with a blurred preview, the price
or required tiers and one action, never with a text or a full media URL.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status

from fanclub.content import policy, presenters, selectors, services
from fanclub.content.models import Comment, Post
from fanclub.content.schemas import (
    CommentIn,
    CommentOut,
    CommentPageOut,
    PostIn,
    PostOut,
    PostPageOut,
    PostUpdateIn,
    ToggleOut,
)
from fanclub.core.errors import NotFound, PermissionDenied
from fanclub.core.pagination import DEFAULT_LIMIT
from fanclub.core.schemas import ApiSchema, ErrorOut, api_router
from fanclub.creators import geo
from fanclub.creators import selectors as creator_selectors
from fanclub.creators.api import PUBLIC_AUTH
from fanclub.media.schemas import MediaOut

router = api_router(tags=["content"])
E = ErrorOut
ERRORS: dict[int, Any] = {400: E, 401: E, 403: E, 404: E, 409: E, 422: E, 429: E, 451: E}


class ListParams(ApiSchema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _cards(request: HttpRequest, posts: list[Post]) -> list[dict[str, Any]]:
    """Cards of a list's posts: the card statement brings each creator's offered tiers along."""
    return [presenters.post_card(request, post, offered=post.offered_tier_list) for post in posts]  # type: ignore[attr-defined]


def _card(request: HttpRequest, post_id: int) -> dict[str, Any]:
    post = selectors.post_get_for_viewer(
        viewer=request.user, post_id=post_id, country=geo.country_for_request(request)
    )
    offered = selectors.creator_tiers(creator_ids={post.creator_id})[post.creator_id]
    return presenters.post_card(request, post, offered=offered)


def comment_out(comment: Comment, *, with_replies: bool = True) -> dict[str, Any]:
    deleted = comment.deleted_at is not None
    return {
        "id": comment.pk,
        "author_handle": None if deleted else comment.author.handle,
        "text": None if deleted else comment.text,
        "created_at": comment.created_at,
        "is_deleted": deleted,
        "parent_id": comment.parent_id,
        "replies": [comment_out(reply, with_replies=False) for reply in comment.replies.all()]
        if with_replies
        else [],
    }


# --- Posts ----------------------------------------------------------------------------------------
@router.get("/creators/{handle}/posts", auth=PUBLIC_AUTH, response={200: PostPageOut, **ERRORS})
def list_creator_posts(request: HttpRequest, handle: str, params: Query[ListParams]) -> dict[str, Any]:
    """A creator's posts as the viewer sees them; locked ones carry a preview and an action."""
    country = geo.country_for_request(request)
    profile = creator_selectors.creator_profile_get_public(
        handle=handle, viewer=request.user, country=country
    )
    page = selectors.post_list_for_creator(
        viewer=request.user, creator_id=profile.pk, country=country, cursor=params.cursor, limit=params.limit
    )
    return {"items": _cards(request, page.items), "next_cursor": page.next_cursor}


@router.get("/posts/{post_id}", auth=PUBLIC_AUTH, response={200: PostOut, **ERRORS})
def get_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    return _card(request, post_id)


@router.get("/me/posts", response={200: PostPageOut, **ERRORS})
def list_my_posts(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """The creator's own posts, drafts and scheduled ones included."""
    page = selectors.post_list_for_studio(creator=request.user, cursor=params.cursor, limit=params.limit)
    return {"items": _cards(request, page.items), "next_cursor": page.next_cursor}


@router.post("/posts", response={201: PostOut, **ERRORS})
def create_post(request: HttpRequest, payload: PostIn) -> Status:
    """Create a draft (default), a scheduled post (``publishAt``) or publish now (``publish``)."""
    post = services.post_create(creator=request.user, **payload.model_dump(by_alias=False))
    return Status(201, _card(request, post.pk))  # type: ignore[arg-type]


@router.patch("/posts/{post_id}", response={200: PostOut, **ERRORS})
def update_post(request: HttpRequest, post_id: int, payload: PostUpdateIn) -> dict[str, Any]:
    services.post_update(
        user=request.user, post_id=post_id, **payload.model_dump(exclude_unset=True, by_alias=False)
    )
    return _card(request, post_id)


@router.post("/posts/{post_id}/publish", response={200: PostOut, **ERRORS})
def publish_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    services.post_publish(user=request.user, post_id=post_id)
    return _card(request, post_id)


@router.post("/posts/{post_id}/pin", response={200: PostOut, **ERRORS})
def pin_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    services.post_pin(user=request.user, post_id=post_id, pinned=True)
    return _card(request, post_id)


@router.delete("/posts/{post_id}/pin", response={200: PostOut, **ERRORS})
def unpin_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    services.post_pin(user=request.user, post_id=post_id, pinned=False)
    return _card(request, post_id)


@router.delete("/posts/{post_id}", response={204: None, **ERRORS})
def delete_post(request: HttpRequest, post_id: int) -> Status:
    services.post_delete(user=request.user, post_id=post_id)
    return Status(204, None)


@router.post("/posts/{post_id}/media/{media_id}/blur-faces", response={201: MediaOut, **ERRORS})
def blur_post_faces(request: HttpRequest, post_id: int, media_id: uuid.UUID) -> Status:
    """Masked mode: replace one image of the post with a face-blurred copy (processed as an upload)."""
    from fanclub.media.api import media_out
    from fanclub.media.selectors import media_get_for_owner

    media = services.post_media_blur_faces(user=request.user, post_id=post_id, media_id=media_id)
    return Status(201, media_out(media_get_for_owner(owner=request.user, media_id=media.pk), request))  # type: ignore[arg-type]


# --- Comments -------------------------------------------------------------------------------------
@router.get("/posts/{post_id}/comments", auth=PUBLIC_AUTH, response={200: CommentPageOut, **ERRORS})
def list_comments(request: HttpRequest, post_id: int, params: Query[ListParams]) -> dict[str, Any]:
    """Comments of a post the viewer may see in full (a locked post's comments stay locked)."""
    post = selectors.post_get_for_viewer(
        viewer=request.user, post_id=post_id, country=geo.country_for_request(request)
    )
    if not post.has_access:  # type: ignore[attr-defined]
        raise PermissionDenied("Unlock this post to read its comments.", code="post_locked")
    page = selectors.comment_list_for_post(
        post=post, viewer=request.user, cursor=params.cursor, limit=params.limit
    )
    return {"items": [comment_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/posts/{post_id}/comments", response={201: CommentOut, **ERRORS})
def create_comment(request: HttpRequest, post_id: int, payload: CommentIn) -> Status:
    comment = services.comment_create(
        user=request.user,
        post_id=post_id,
        text=payload.text,
        parent_id=payload.parent_id,
        country=geo.country_for_request(request),
    )
    return Status(201, comment_out(comment, with_replies=False))  # type: ignore[arg-type]


@router.delete("/comments/{comment_id}", response={204: None, **ERRORS})
def delete_comment(request: HttpRequest, comment_id: int) -> Status:
    services.comment_delete(user=request.user, comment_id=comment_id)
    return Status(204, None)


# --- Likes and bookmarks --------------------------------------------------------------------------
def _likes(post_id: int) -> int:
    return Post.objects.filter(pk=post_id).values_list("likes_count", flat=True).first() or 0


@router.post("/posts/{post_id}/like", response={200: ToggleOut, **ERRORS})
def like_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    services.post_like(user=request.user, post_id=post_id, country=geo.country_for_request(request))
    return {"active": True, "count": _likes(post_id)}


@router.delete("/posts/{post_id}/like", response={200: ToggleOut, **ERRORS})
def unlike_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    if not policy.post_qs_visible_to(user=request.user).filter(pk=post_id).exists():
        raise NotFound("No such post.")
    services.post_unlike(user=request.user, post_id=post_id)
    return {"active": False, "count": _likes(post_id)}


@router.post("/posts/{post_id}/bookmark", response={200: ToggleOut, **ERRORS})
def bookmark_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    services.bookmark_add(user=request.user, post_id=post_id, country=geo.country_for_request(request))
    return {"active": True}


@router.delete("/posts/{post_id}/bookmark", response={200: ToggleOut, **ERRORS})
def unbookmark_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    if not policy.post_qs_visible_to(user=request.user).filter(pk=post_id).exists():
        raise NotFound("No such post.")
    services.bookmark_remove(user=request.user, post_id=post_id)
    return {"active": False}


@router.get("/me/bookmarks", response={200: PostPageOut, **ERRORS})
def list_my_bookmarks(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = selectors.bookmark_list_for_user(
        user=request.user, country=geo.country_for_request(request), cursor=params.cursor, limit=params.limit
    )
    return {"items": _cards(request, page.items), "next_cursor": page.next_cursor}
