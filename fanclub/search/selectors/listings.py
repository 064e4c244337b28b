"""Tag and category listings: live posts carrying a tag or in a category that the viewer may know
exist, newest first (keyset cursor), as cards."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fanclub.content import policy
from fanclub.content import selectors as content_selectors
from fanclub.content.constants import Category
from fanclub.content.models import Post
from fanclub.core.errors import NotFound
from fanclub.core.pagination import Page

_TAG = re.compile(r"^[a-z0-9_-]{1,40}$")
LISTING_ORDER = ("-published_at", "-id")


def tag_normalize(*, tag: str) -> str:
    """A tag as posts store it (lower case, [a-z0-9_-], at most 40), or 404."""
    cleaned = tag.strip().lstrip("#").lower()
    if not _TAG.match(cleaned):
        raise NotFound("No such tag.")
    return cleaned


def category_check(*, category: str) -> str:
    if not category or category not in Category.values:
        raise NotFound("No such category.")
    return category


# Like the content app's lists (``content.selectors.list_sql``): the page's ids in one statement
# through the policy's SQL twin, live posts only, keyset on LISTING_ORDER with the cursor
# as an index bound, then the cards in one more. Cursors are ``paginate``'s over LISTING_ORDER, so
# one handed out by the ORM version of these lists still works (``tests/test_lists_sql.py``).
_LISTING_KEYS: dict[str, type] = {"p.published_at": datetime, "p.id": int}
# A tag: for a common tag, the newest live posts tested for it one by one (``content_post_feed_idx``,
# from the cursor: 0.1 ms a page on 6,000 posts); for a rare one, its posts from the GIN index
# ``search_post_tags``, then a sort. PostgreSQL picks per tag, so this statement is not prepared:
# the generic plan (the GIN index and a sort whatever the tag) took 10 ms for a tag on half the
# posts. Planning costs ~0.3 ms.
_TAG_LIST = content_selectors.list_sql(
    source=content_selectors.POSTS_FROM_SQL,
    where=f"p.tags @> ARRAY[%(tag)s]::varchar(40)[] AND {policy.LIVE_SQL}",
    order=_LISTING_KEYS,
    prepared=False,
)
# A category (a handful of values, each a large share of the posts): the same plan for all, prepared.
# First page: ``content_post_category_idx`` (category, -published_at) then an incremental sort on
# the id; after a cursor, ``content_post_feed_idx`` from the cursor, testing the category.
_CATEGORY_LIST = content_selectors.list_sql(
    source=content_selectors.POSTS_FROM_SQL,
    where=f"p.category = %(category)s AND {policy.LIVE_SQL}",
    order=_LISTING_KEYS,
)


def post_list_for_tag(
    *, viewer: Any, country: str = "", tag: str, cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Live posts carrying ``tag`` that ``viewer`` may know exist, newest first (keyset cursor), as
    cards (``content.selectors.posts_from_card_rows``). Two statements."""
    return content_selectors.list_page(
        _TAG_LIST, viewer=viewer, params={"tag": tag}, country=country, cursor=cursor, limit=limit
    )


def post_list_for_category(
    *, viewer: Any, country: str = "", category: str, cursor: str | None = None, limit: int = 20
) -> Page[Post]:
    """Live posts in ``category`` that ``viewer`` may know exist, newest first (keyset cursor), as
    cards. Two statements."""
    return content_selectors.list_page(
        _CATEGORY_LIST,
        viewer=viewer,
        params={"category": category},
        country=country,
        cursor=cursor,
        limit=limit,
    )
