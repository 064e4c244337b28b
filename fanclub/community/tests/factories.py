"""A small community: a creator with public and locked image posts, and fans (real services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fanclub.content.constants import Access, Category
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media


@dataclass
class Scene:
    creator: Any
    fan: Any
    public_post: Any
    locked_post: Any
    public_media: list[Any]
    locked_media: list[Any]


def make_scene(make_user: Any, *, handle: str = "artist", fan_handle: str = "fan") -> Scene:
    creator = make_creator(make_user, handle)
    public_media = [ready_media(creator, png_bytes((10 * i, 80, 120))) for i in range(2)]
    locked_media = [ready_media(creator, png_bytes((200, 10 * i, 40))) for i in range(2)]
    public_post = make_post(
        creator,
        text="public set",
        media_ids=[m.pk for m in public_media],
        access=Access.PUBLIC,
        category=Category.PHOTO,
    )
    locked_post = make_post(
        creator,
        text="secret set",
        media_ids=[m.pk for m in locked_media],
        access=Access.PPV,
        price_minor=500,
        currency="USD",
        category=Category.PHOTO,
    )
    fan = make_user(handle=fan_handle)
    return Scene(creator, fan, public_post, locked_post, public_media, locked_media)
