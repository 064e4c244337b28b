from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ninja.schema import DjangoGetter
from pydantic import Field, ValidationInfo, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from fanclub.core.schemas import ApiSchema


class PresentedOut(ApiSchema):
    """An output schema filled from the plain dicts of ``presenters.post_card``.

    Django Ninja wraps every input of every nested schema in a ``DjangoGetter`` (attribute access
    with ORM conveniences: managers listed, callables called); for a page of 50 cards that is
    thousands of Python-level lookups and was the largest single cost of the posts API. A dict is
    validated by pydantic directly: the same fields, aliases and result.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if type(values) is dict:
            return handler(values)
        return handler(DjangoGetter(values, cls, info.context))


class VariantOut(PresentedOut):
    name: str
    url: str
    content_type: str = Field(alias="contentType")
    width: int | None = None
    height: int | None = None
    expires_at: int = Field(alias="expiresAt")


class PostMediaOut(PresentedOut):
    id: uuid.UUID
    kind: str
    state: str
    width: int | None
    height: int | None
    duration_seconds: float | None
    face_count: int | None
    variants: list[VariantOut]


class TierRefOut(PresentedOut):
    id: int
    name: str


class ActionOut(PresentedOut):
    kind: str
    requires_sign_in: bool
    price_minor: int | None
    currency: str | None
    tiers: list[TierRefOut]


class PostOut(PresentedOut):
    id: int
    creator_handle: str
    creator_name: str
    text: str | None
    access: str
    price_minor: int | None
    currency: str | None
    required_tiers: list[TierRefOut]
    state: str
    publish_at: datetime | None
    published_at: datetime | None
    expires_at: datetime | None
    is_pinned: bool
    category: str | None
    tags: list[str]
    media_count: int
    has_access: bool
    is_owner: bool
    media: list[PostMediaOut]
    preview: PostMediaOut | None
    action: ActionOut | None
    likes_count: int
    comments_count: int
    viewer_liked: bool
    viewer_bookmarked: bool
    face_warning: bool
    created_at: datetime
    edited_at: datetime | None


class PostPageOut(PresentedOut):
    items: list[PostOut]
    next_cursor: str | None


class PostIn(ApiSchema):
    text: str = Field("", max_length=10_000)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    access: str = "subscribers"
    price_minor: int | None = Field(None, gt=0)
    currency: str = ""
    tier_ids: list[int] = Field(default_factory=list)
    category: str = ""
    tags: list[str] = Field(default_factory=list, max_length=50)
    publish: bool = False
    publish_at: datetime | None = None
    expires_at: datetime | None = None


class PostUpdateIn(ApiSchema):
    text: str | None = Field(None, max_length=10_000)
    media_ids: list[uuid.UUID] | None = Field(None, max_length=20)
    access: str | None = None
    price_minor: int | None = Field(None, gt=0)
    currency: str | None = None
    tier_ids: list[int] | None = None
    category: str | None = None
    tags: list[str] | None = Field(None, max_length=50)
    publish_at: datetime | None = None
    expires_at: datetime | None = None


class CommentIn(ApiSchema):
    text: str = Field(min_length=1, max_length=2000)
    parent_id: int | None = None


class CommentOut(ApiSchema):
    id: int
    author_handle: str | None
    text: str | None
    created_at: datetime
    is_deleted: bool
    parent_id: int | None
    replies: list[Any] = []


class CommentPageOut(ApiSchema):
    items: list[CommentOut]
    next_cursor: str | None


class ToggleOut(ApiSchema):
    active: bool
    count: int | None = None
