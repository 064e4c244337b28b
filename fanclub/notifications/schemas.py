"""API schemas of the notifications app."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fanclub.core.schemas import ApiSchema


class ActorOut(ApiSchema):
    handle: str
    display_name: str


class NotificationOut(ApiSchema):
    id: int
    kind: str
    text: str
    url: str
    actor: ActorOut | None
    data: dict[str, Any]
    created_at: str
    read_at: str | None


class NotificationPageOut(ApiSchema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class UnreadCountOut(ApiSchema):
    unread_count: int


class ReadAllOut(ApiSchema):
    marked: int
    unread_count: int


class ChannelsIO(ApiSchema):
    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None


class PreferencesOut(ApiSchema):
    kinds: dict[str, ChannelsIO]
    digest: bool
    labels: dict[str, str]
    in_app_required: list[str]


class PreferencesIn(ApiSchema):
    kinds: dict[str, ChannelsIO] = Field(default_factory=dict)
    digest: bool | None = None


class PushKeysIn(ApiSchema):
    p256dh: str = Field(min_length=20, max_length=128)
    auth: str = Field(min_length=8, max_length=64)


class PushSubscriptionIn(ApiSchema):
    endpoint: str = Field(min_length=10, max_length=2000)
    keys: PushKeysIn


class PushSubscriptionDeleteIn(ApiSchema):
    endpoint: str = Field(min_length=10, max_length=2000)


class PushSubscriptionOut(ApiSchema):
    endpoint: str
    vapid_public_key: str


class VapidKeyOut(ApiSchema):
    vapid_public_key: str
