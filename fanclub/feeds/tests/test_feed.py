"""The home feed: who appears, in which order, rendered by the access policy, paginated, cached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fanclub.content import services as content_services
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.creators import services as creator_services
from fanclub.feeds import selectors
from fanclub.social import services as social_services
from fanclub.social.models import Block, Follow, Mute

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _feed(user, **params):
    response = _client(user).get("/api/v1/feed", params)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(user, **params) -> list[int]:
    return [item["id"] for item in _feed(user, **params)["items"]]


def _cached_ids(user, cursor: str = "") -> list[int] | None:
    """The ids of ``user``'s cached page (the first page, or the page after ``cursor``)."""
    entry = cache.get(selectors.cache_key(user_id=user.pk))
    page = entry["pages"].get(cursor) if entry else None
    return page["ids"] if page else None


def _backdate(post, minutes: int) -> None:
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(minutes=minutes))


@pytest.fixture
def world(make_user):
    lena = make_creator(make_user, "lena")
    mark = make_creator(make_user, "mark")
    stranger = make_creator(make_user, "stranger")
    fan = make_user(handle="fan")
    social_services.follow_create(follower=fan, creator=lena)
    tier = creator_services.tier_create(user=mark, name="Gold", price_minor=500)
    creator_services.membership_grant(creator=mark, fan=fan, tier_id=tier.pk)
    return {"lena": lena, "mark": mark, "stranger": stranger, "fan": fan, "tier": tier}


def test_followed_and_subscribed_creators_newest_first_others_left_out(world):
    lena, mark, stranger, fan = world["lena"], world["mark"], world["stranger"], world["fan"]
    old = make_post(lena, text="old", access="public")
    _backdate(old, 30)
    mid = make_post(mark, text="mid", access="subscribers")
    _backdate(mid, 20)
    new = make_post(lena, text="new", access="followers")
    make_post(stranger, text="not followed", access="public")
    make_post(fan.__class__.objects.get(pk=lena.pk), text="draft", publish=False)

    assert _ids(fan) == [new.pk, mid.pk, old.pk]


def test_items_are_rendered_by_the_access_policy_locked_and_unlocked(world):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    locked = make_post(lena, text="for subscribers", access="subscribers")
    ppv = make_post(mark, text="pay me", access="ppv", price_minor=700, currency="USD")
    free_for_follower = make_post(lena, text="followers only", access="followers")
    included = make_post(mark, text="members", access="subscribers")

    items = {item["id"]: item for item in _feed(fan)["items"]}
    assert items[locked.pk]["hasAccess"] is False
    assert items[locked.pk]["text"] is None
    assert items[locked.pk]["action"]["kind"] == "subscribe"
    assert items[ppv.pk]["hasAccess"] is False
    assert items[ppv.pk]["text"] is None
    assert (items[ppv.pk]["action"]["kind"], items[ppv.pk]["action"]["priceMinor"]) == ("unlock", 700)
    assert items[free_for_follower.pk]["hasAccess"] is True
    assert items[free_for_follower.pk]["text"] == "followers only"
    assert items[included.pk]["hasAccess"] is True

    content_services.post_unlock_grant(fan=fan, post=ppv, source="comp")
    items = {item["id"]: item for item in _feed(fan)["items"]}
    assert items[ppv.pk]["hasAccess"] is True
    assert items[ppv.pk]["text"] == "pay me"


@pytest.mark.parametrize("direction", ["creator_blocks_fan", "fan_blocks_creator"])
def test_a_block_either_way_removes_the_creators_posts(world, direction):
    mark, fan = world["mark"], world["fan"]
    post = make_post(mark, text="members", access="subscribers")
    other = make_post(world["lena"], text="still here", access="public")
    assert set(_ids(fan)) == {post.pk, other.pk}
    if direction == "creator_blocks_fan":
        social_services.block_create(blocker=mark, blocked=fan)
    else:
        social_services.block_create(blocker=fan, blocked=mark)
    # The paid membership survives the block (billing's business) but its posts are hidden.
    assert _ids(fan) == [other.pk]


def test_mute_hides_from_the_feed_only_and_unmute_restores(world):
    lena, fan = world["lena"], world["fan"]
    post = make_post(lena, text="hi", access="public")
    social_services.mute_create(muter=fan, muted=lena)
    assert post.pk not in _ids(fan)
    assert _client(fan).get(f"/api/v1/posts/{post.pk}").status_code == 200  # still visible elsewhere
    social_services.mute_delete(muter=fan, muted=lena)
    assert post.pk in _ids(fan)


def test_geo_blocked_creator_is_left_out_for_that_country(world):
    lena, fan = world["lena"], world["fan"]
    post = make_post(lena, text="hi", access="public")
    creator_services.creator_profile_update(user=lena, blocked_countries=["DE"])
    assert [p.pk for p in selectors.feed_list_for_user(user=fan, country="DE").items] == []
    assert [p.pk for p in selectors.feed_list_for_user(user=fan, country="FR").items] == [post.pk]


def test_scheduled_expired_and_deleted_posts_are_not_in_the_feed(world):
    lena, fan = world["lena"], world["fan"]
    live = make_post(lena, text="live", access="public")
    make_post(lena, text="later", publish=False, publish_at=timezone.now() + timedelta(hours=1))
    expired = make_post(lena, text="gone soon", access="public")
    Post.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    deleted = make_post(lena, text="deleted", access="public")
    content_services.post_delete(user=lena, post_id=deleted.pk)
    assert _ids(fan) == [live.pk]


def test_unfollow_and_ended_membership_remove_the_creator(world):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    make_post(lena, text="a", access="public")
    make_post(mark, text="b", access="public")
    assert len(_ids(fan)) == 2
    social_services.follow_delete(follower=fan, creator=lena)
    creator_services.membership_end(creator=mark, fan=fan)
    assert _ids(fan) == []


def test_cursor_pages_are_complete_ordered_and_disjoint(world):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    posts = [make_post(lena if n % 2 else mark, text=f"p{n}", access="public") for n in range(25)]
    same_time = timezone.now() - timedelta(minutes=1)
    Post.objects.filter(pk__in=[p.pk for p in posts[:6]]).update(published_at=same_time)  # ties on time
    expected = list(Post.objects.order_by("-published_at", "-id").values_list("id", flat=True))

    seen, cursor, pages = [], None, 0
    while True:
        page = _feed(fan, limit=10, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert (seen, pages) == (expected, 3)


def test_bad_cursor_and_limit_are_clear_errors(world):
    client = _client(world["fan"])
    make_post(world["lena"], text="x", access="public")
    response = client.get("/api/v1/feed", {"cursor": "garbage"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert client.get("/api/v1/feed", {"limit": 0}).status_code == 422
    assert client.get("/api/v1/feed", {"limit": 101}).status_code == 422
    assert _client().get("/api/v1/feed").status_code == 401


@pytest.mark.parametrize("count", [3, 30])
def test_feed_api_query_count_is_constant(world, django_assert_num_queries, count):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    tier = world["tier"]
    for n in range(count):
        rule = ("public", "subscribers", "tiers", "ppv")[n % 4]
        extra = {"tier_ids": [tier.pk]} if rule in ("tiers", "ppv") and n % 2 == 0 else {}
        if rule == "ppv":
            extra.update(price_minor=300, currency="USD")
        if rule in ("tiers", "ppv") and not extra.get("tier_ids"):
            rule = "public"
            extra = {}
        make_post(mark if n % 2 == 0 else lena, text=f"p{n}", access=rule, **extra)
    client = _client(fan)
    # the device session's start and its throttled "last seen" write happen here
    client.get("/api/v1/feed")
    client.get("/api/v1/feed")
    cache.delete(selectors.cache_key(user_id=fan.pk))
    # session, user, device session; then one prepared statement: the audience, the page's ids and
    # their cards (policy, media, tiers, offered tiers)
    with django_assert_num_queries(4):
        page = client.get("/api/v1/feed", {"limit": 50}).json()
    assert len(page["items"]) == count
    # cached first page: the cards of the cached ids, in the statement that checks the entry holds
    client.get("/api/v1/feed")
    with django_assert_num_queries(4):
        first = client.get("/api/v1/feed", {"limit": 2}).json()
    with django_assert_num_queries(4):
        assert client.get("/api/v1/feed", {"limit": 2}).status_code == 200
    # a deeper page: one statement from the cursor
    with django_assert_num_queries(4):
        assert client.get("/api/v1/feed", {"limit": 2, "cursor": first["nextCursor"]}).status_code == 200


def test_feed_page_renders_cards_and_infinite_scroll(world):
    lena, fan = world["lena"], world["fan"]
    for n in range(22):
        make_post(lena, text=f"hello {n}", access="public")
    client = _client(fan)
    page = client.get("/feed/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="post-card') == 20
    assert "hello 21" in body and 'hx-trigger="revealed"' in body
    cursor = _feed(fan)["nextCursor"]
    more = client.get("/feed/", {"cursor": cursor}, headers={"HX-Request": "true"})
    assert more.status_code == 200
    assert more.content.decode().count('class="post-card') == 2
    assert "<html" not in more.content.decode()
    assert client.get("/feed/", {"cursor": "garbage"}).status_code == 200  # starts over
    assert _client().get("/feed/").status_code == 302


# --- Cache ------------------------------------------------------------------------------------------
def test_first_page_ids_are_cached_and_new_posts_show_at_once(world):
    lena, fan = world["lena"], world["fan"]
    first = make_post(lena, text="1", access="public")
    assert _ids(fan) == [first.pk]
    assert _cached_ids(fan) == [first.pk]
    second = make_post(lena, text="2", access="public")  # no hook: the read-time check sees it
    assert _ids(fan) == [second.pk, first.pk]


def test_cached_page_never_shows_a_locked_post_unlocked(world):
    mark, fan, tier = world["mark"], world["fan"], world["tier"]
    post = make_post(mark, text="members", access="subscribers")
    Follow.objects.create(follower=fan, creator=mark)  # keeps mark in the audience after the end
    assert _feed(fan)["items"][0]["hasAccess"] is True
    assert _cached_ids(fan) == [post.pk]
    creator_services.membership_end(creator=mark, fan=fan)
    item = _feed(fan)["items"][0]
    assert (item["id"], item["hasAccess"], item["text"]) == (post.pk, False, None)
    creator_services.membership_grant(creator=mark, fan=fan, tier_id=tier.pk)
    assert _feed(fan)["items"][0]["hasAccess"] is True


def test_cached_page_never_shows_a_blocked_creators_post_even_without_invalidation(world):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    post = make_post(lena, text="hi", access="public")
    other = make_post(mark, text="members", access="subscribers")
    assert set(_ids(fan)) == {post.pk, other.pk}
    # Written behind the services' back: no explicit invalidation ran, the cache entry is still there.
    Block.objects.create(blocker=lena, blocked=fan)
    assert cache.get(selectors.cache_key(user_id=fan.pk)) is not None
    assert _ids(fan) == [other.pk]


@pytest.mark.parametrize(
    "change",
    ["unfollow", "follow", "mute", "membership lapses"],
)
def test_cached_page_follows_audience_changes_made_behind_the_services_back(world, make_user, change):
    # No explicit invalidation runs: the entry's digest no longer matches, so the page is recomputed.
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    other = make_creator(make_user, "other")
    old = make_post(lena, text="lena's", access="public")
    members = make_post(mark, text="mark's", access="public")
    later = make_post(other, text="other's", access="public")
    for n, post in enumerate((later, members, old)):
        _backdate(post, 10 + n)  # all published before the entry is computed
    assert _ids(fan) == [members.pk, old.pk]
    assert _cached_ids(fan) == [members.pk, old.pk]
    if change == "unfollow":
        Follow.objects.filter(follower=fan, creator=lena).delete()
        expected = [members.pk]
    elif change == "follow":
        Follow.objects.create(follower=fan, creator=other)
        expected = [later.pk, members.pk, old.pk]
    elif change == "mute":
        Mute.objects.create(muter=fan, muted=mark)
        expected = [old.pk]
    else:
        fan.memberships.update(current_period_end=timezone.now() - timedelta(seconds=1))
        expected = [old.pk]
    assert cache.get(selectors.cache_key(user_id=fan.pk)) is not None
    assert _ids(fan) == expected


def test_follow_block_and_mute_drop_the_cached_entry(world, django_capture_on_commit_callbacks):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    make_post(lena, text="hi", access="public")
    make_post(mark, text="members", access="subscribers")  # an empty page is not cached
    key = selectors.cache_key(user_id=fan.pk)
    for action in (
        lambda: social_services.mute_create(muter=fan, muted=lena),
        lambda: social_services.block_create(blocker=fan, blocked=lena),
        lambda: social_services.block_delete(blocker=fan, blocked=lena),
        lambda: social_services.follow_create(follower=fan, creator=lena),
    ):
        _ids(fan)
        assert cache.get(key) is not None
        with django_capture_on_commit_callbacks(execute=True):
            action()
        assert cache.get(key) is None


def test_cache_with_redis(world, settings, redis_url):
    # Django's setting_changed handler rebuilds the cache handlers: ``cache`` is Redis from here on.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    lena, fan = world["lena"], world["fan"]
    key = selectors.cache_key(user_id=fan.pk)
    cache.delete(key)
    try:
        post = make_post(lena, text="hi", access="public")
        assert _ids(fan) == [post.pk]
        assert type(cache._connections["default"]).__name__ == "RedisCache"
        assert _cached_ids(fan) == [post.pk]
        Block.objects.create(blocker=fan, blocked=lena)
        assert _ids(fan) == []
    finally:
        cache.delete(key)


def _served_from_cache(user, **params) -> tuple[list[int], bool]:
    """The page's ids, and whether they came from the cache (the statement checking an entry ran)."""
    with CaptureQueriesContext(connection) as queries:
        ids = _ids(user, **params)
    feed_statements = [query["sql"] for query in queries.captured_queries if "content_post" in query["sql"]]
    return ids, "AS holds" in feed_statements[-1]  # a miss runs the page's own statement after it


@pytest.fixture
def three_pages(world):
    """Seven public posts of lena, one minute apart: pages of 3 are [6 5 4] [3 2 1] [0]."""
    posts = [make_post(world["lena"], text=f"p{n}", access="public") for n in range(7)]
    for n, post in enumerate(posts):
        _backdate(post, 100 - n)
    first = _feed(world["fan"], limit=3)
    second = _feed(world["fan"], limit=3, cursor=first["nextCursor"])
    return posts, first["nextCursor"], second["nextCursor"]


def test_pages_after_a_cursor_are_cached_too(world, three_pages):
    fan = world["fan"]
    posts, cursor, _ = three_pages
    assert _cached_ids(fan, cursor) == [posts[3].pk, posts[2].pk, posts[1].pk]
    assert _served_from_cache(fan, limit=3, cursor=cursor) == ([posts[3].pk, posts[2].pk, posts[1].pk], True)
    # A newer post cannot change a page after a cursor: the page still holds; the first page does not.
    newest = make_post(world["lena"], text="new", access="public")
    assert _served_from_cache(fan, limit=3, cursor=cursor) == ([posts[3].pk, posts[2].pk, posts[1].pk], True)
    assert _served_from_cache(fan, limit=3) == ([newest.pk, posts[6].pk, posts[5].pk], False)
    # Another page size is another page.
    assert _served_from_cache(fan, limit=2, cursor=cursor)[1] is False


def test_a_cached_page_after_a_cursor_is_recomputed_when_a_post_leaves_it(world, three_pages):
    fan = world["fan"]
    posts, cursor, last = three_pages
    content_services.post_delete(user=world["lena"], post_id=posts[2].pk)
    # Complete again: the next older post moves up; its cursor is the new page's own.
    assert _served_from_cache(fan, limit=3, cursor=cursor) == ([posts[3].pk, posts[1].pk, posts[0].pk], False)
    assert _cached_ids(fan, cursor) == [posts[3].pk, posts[1].pk, posts[0].pk]
    assert _feed(fan, limit=3, cursor=cursor)["nextCursor"] is None
    assert [item["id"] for item in _feed(fan, limit=3, cursor=last)["items"]] == [posts[0].pk]


def test_a_cached_page_after_a_cursor_never_shows_a_locked_post_unlocked(world):
    mark, fan, tier = world["mark"], world["fan"], world["tier"]
    Follow.objects.create(follower=fan, creator=mark)  # keeps mark in the audience after the end
    posts = [make_post(mark, text=f"m{n}", access="subscribers") for n in range(3)]
    for n, post in enumerate(posts):
        _backdate(post, 10 - n)
    cursor = _feed(fan, limit=1)["nextCursor"]
    assert [item["hasAccess"] for item in _feed(fan, limit=1, cursor=cursor)["items"]] == [True]
    creator_services.membership_end(creator=mark, fan=fan)
    item = _feed(fan, limit=1, cursor=cursor)["items"][0]
    assert (item["id"], item["hasAccess"], item["text"]) == (posts[1].pk, False, None)
    creator_services.membership_grant(creator=mark, fan=fan, tier_id=tier.pk)
    assert _feed(fan, limit=1, cursor=cursor)["items"][0]["hasAccess"] is True


@pytest.mark.parametrize("change", ["block", "unfollow", "mute"])
def test_a_cached_page_after_a_cursor_follows_the_audience_behind_the_services_back(
    world, three_pages, change
):
    lena, mark, fan = world["lena"], world["mark"], world["fan"]
    posts, cursor, _ = three_pages
    older = make_post(mark, text="mark's", access="public")
    _backdate(older, 200)  # older than every lena post: on the last page
    assert _cached_ids(fan, cursor) == [posts[3].pk, posts[2].pk, posts[1].pk]
    if change == "block":
        Block.objects.create(blocker=lena, blocked=fan)
    elif change == "unfollow":
        Follow.objects.filter(follower=fan, creator=lena).delete()
    else:
        Mute.objects.create(muter=fan, muted=lena)
    assert _cached_ids(fan, cursor) is not None  # no invalidation ran
    assert _served_from_cache(fan, limit=3, cursor=cursor) == ([older.pk], False)


def test_a_user_keeps_at_most_max_cached_pages_after_cursors(world, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_CACHED_PAGES", 2)
    posts = [make_post(world["lena"], text=f"p{n}", access="public") for n in range(5)]
    for n, post in enumerate(posts):
        _backdate(post, 100 - n)
    fan, cursor, cursors = world["fan"], None, []
    while True:
        page = _feed(fan, limit=1, **({"cursor": cursor} if cursor else {}))
        cursor = page["nextCursor"]
        if not cursor:
            break
        cursors.append(cursor)
    assert len(cursors) == 4
    pages = cache.get(selectors.cache_key(user_id=fan.pk))["pages"]
    assert list(pages) == ["", cursors[2], cursors[3]]  # the first page, then the two newest computed


def test_a_cached_page_is_not_used_after_the_ttl(world, three_pages, settings):
    fan = world["fan"]
    posts, cursor, _ = three_pages
    key = selectors.cache_key(user_id=fan.pk)
    entry = cache.get(key)
    entry["pages"][cursor]["computed_at"] -= settings.FEEDS_CACHE_SECONDS
    cache.set(key, entry)  # as if the entry's TTL had been renewed by a page added since
    assert _served_from_cache(fan, limit=3, cursor=cursor) == ([posts[3].pk, posts[2].pk, posts[1].pk], False)
    assert _served_from_cache(fan, limit=3, cursor=cursor)[1] is True


@pytest.mark.parametrize("country", ["", "DE"])
@pytest.mark.parametrize("large_audience", [0, 1_000], ids=["walk", "per-creator"])
def test_the_request_statement_picks_the_same_pages_as_the_orm_specification(
    world, make_user, monkeypatch, settings, country, large_audience
):
    # Both ways of finding a page's ids: the audience here (7 creators) is above 0 and below 1,000.
    monkeypatch.setattr(selectors, "LARGE_AUDIENCE", large_audience)
    settings.FEEDS_CACHE_SECONDS = 0
    lena, mark, stranger, fan = world["lena"], world["mark"], world["stranger"], world["fan"]
    muted, blocked, blocking, german = (make_creator(make_user, name) for name in ("mu", "bl", "bk", "de"))
    for creator in (muted, blocked, blocking, german, stranger):
        social_services.follow_create(follower=fan, creator=creator)
    social_services.mute_create(muter=fan, muted=muted)
    social_services.block_create(blocker=fan, blocked=blocked)
    social_services.block_create(blocker=blocking, blocked=fan)
    creator_services.creator_profile_update(user=german, blocked_countries=["DE"])
    stranger.__class__.objects.filter(pk=stranger.pk).update(is_active=False)
    for n, creator in enumerate([lena, mark, stranger, muted, blocked, blocking, german] * 4):
        post = make_post(creator, text=f"p{n}", access="public")
        _backdate(post, n)
    expired = make_post(lena, text="expired", access="public", expires_at=timezone.now() + timedelta(hours=1))
    Post.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    make_post(
        lena, text="later", access="public", publish=False, publish_at=timezone.now() + timedelta(days=1)
    )

    cursor = None
    for _ in range(4):
        expected = selectors.feed_page_ids(
            creator_ids=selectors.feed_creator_ids(user=fan, country=country), cursor=cursor, limit=3
        )
        page = selectors.feed_list_for_user(user=fan, country=country, cursor=cursor, limit=3)
        assert ([post.pk for post in page.items], page.next_cursor) == expected
        assert page.items
        cursor = page.next_cursor
