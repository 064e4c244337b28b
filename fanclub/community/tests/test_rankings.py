from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from fanclub.billing.models import Charge
from fanclub.community import rankings, selectors, services
from fanclub.community.constants import Sort, Window
from fanclub.community.models import PostScore, PostVote, RankingEntry, RankingSnapshot
from fanclub.community.scoring import Counts, Weights, controversial_score, hot_score, top_score
from fanclub.community.tests.factories import make_scene
from fanclub.content import services as content_services
from fanclub.content.constants import Access, Category
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_post

W = Weights(vote=1.5, like=1, comment=2, tip=7, decay_seconds=45_000)


def _tip(fan, post, *, status="succeeded"):
    return Charge.objects.create(
        fan=fan,
        creator_id=post.creator_id,
        kind="tip",
        funding="wallet",
        status=status,
        amount_minor=500,
        currency="USD",
        post=post,
    )


def _engage(make_user, scene, text_posts):
    """Votes, likes, comments and tips spread over three posts."""
    fans = [make_user(handle=f"f{i}") for i in range(6)]
    a, b, c = scene.public_post, *text_posts
    for fan in fans[:5]:
        services.post_vote_set(user=fan, post_id=a.pk, value=1)
    services.post_vote_set(user=fans[5], post_id=a.pk, value=-1)
    for i, fan in enumerate(fans):
        services.post_vote_set(user=fan, post_id=b.pk, value=1 if i % 2 else -1)
    services.image_vote_set(user=fans[0], post_id=a.pk, media_id=scene.public_media[1].pk, value=1)
    content_services.post_like(user=fans[0], post_id=c.pk)
    content_services.post_like(user=fans[1], post_id=c.pk)
    content_services.comment_create(user=fans[2], post_id=c.pk, text="lovely")
    _tip(fans[3], c)
    _tip(fans[4], c, status="refunded")  # not counted
    return fans


def test_sql_scores_agree_with_the_python_formulas(make_user):
    scene = make_scene(make_user)
    b = make_post(scene.creator, text="b", access=Access.PUBLIC, category=Category.TEXT)
    c = make_post(scene.creator, text="c", access=Access.PUBLIC, category=Category.TEXT)
    _engage(make_user, scene, [b, c])
    now = timezone.now()
    rows = rankings.aggregate_rows(
        start=now - timedelta(days=1), end=now + timedelta(seconds=1), now=now, weights=W
    )
    assert {row["post_id"] for row in rows} == {scene.public_post.pk, b.pk, c.pk}
    by_post = {row["post_id"]: row for row in rows}
    assert (by_post[scene.public_post.pk]["up"], by_post[scene.public_post.pk]["down"]) == (
        6,
        1,
    )  # 5 + image vote
    assert (by_post[b.pk]["up"], by_post[b.pk]["down"]) == (3, 3)
    assert (by_post[c.pk]["likes"], by_post[c.pk]["comments"], by_post[c.pk]["tips"]) == (2, 1, 1)
    for row in rows:
        counts = Counts(
            up=row["up"], down=row["down"], likes=row["likes"], comments=row["comments"], tips=row["tips"]
        )
        assert row["hot"] == pytest.approx(
            hot_score(counts, published_at=row["published_at"], weights=W), rel=1e-12
        )
        assert row["top"] == top_score(counts)
        assert row["controversial"] == pytest.approx(controversial_score(counts), rel=1e-12)


def test_window_excludes_engagement_outside_it_and_dead_posts(make_user):
    scene = make_scene(make_user)
    services.post_vote_set(user=scene.fan, post_id=scene.public_post.pk, value=1)
    PostVote.objects.update(voted_at=datetime(2026, 1, 5, 12, tzinfo=UTC))
    now = timezone.now()
    day = rankings.aggregate_rows(
        start=now - timedelta(days=1), end=now + timedelta(days=1), now=now, weights=W
    )
    assert day == []
    january = rankings.aggregate_rows(
        start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 6, tzinfo=UTC), now=now, weights=W
    )
    assert [row["post_id"] for row in january] == [scene.public_post.pk]
    content_services.post_delete(user=scene.creator, post_id=scene.public_post.pk)
    assert (
        rankings.aggregate_rows(
            start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 6, tzinfo=UTC), now=now, weights=W
        )
        == []
    )


def test_snapshots_per_window_and_category_with_history(make_user):
    scene = make_scene(make_user)
    text_post = make_post(scene.creator, text="words", access=Access.PUBLIC, category=Category.TEXT)
    other = make_user(handle="other")
    services.post_vote_set(user=scene.fan, post_id=scene.public_post.pk, value=1)
    services.post_vote_set(user=other, post_id=scene.public_post.pk, value=1)
    services.post_vote_set(user=scene.fan, post_id=text_post.pk, value=1)
    # Last week's votes, fixed in time: Monday 2026-11-16 .. 2026-11-23.
    PostVote.objects.filter(post=text_post).update(voted_at=datetime(2026, 11, 18, 9, tzinfo=UTC))
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    Post.objects.update(published_at=datetime(2026, 11, 1, tzinfo=UTC))  # live at the fixed clock
    PostVote.objects.filter(post=scene.public_post).update(voted_at=datetime(2026, 11, 25, 10, tzinfo=UTC))
    results = rankings.rankings_refresh(now=now, weights=W)
    assert [(r.window, r.period_start.date().isoformat()) for r in results] == [
        ("day", "2026-11-24"),
        ("day", "2026-11-25"),
        ("week", "2026-11-16"),
        ("week", "2026-11-23"),
        ("month", "2026-10-01"),
        ("month", "2026-11-01"),
        ("all", "2000-01-01"),
    ]
    this_week = RankingSnapshot.objects.get(
        window=Window.WEEK, category="", period_start=datetime(2026, 11, 23, tzinfo=UTC)
    )
    last_week = RankingSnapshot.objects.get(
        window=Window.WEEK, category="", period_start=datetime(2026, 11, 16, tzinfo=UTC)
    )
    assert (this_week.is_final, last_week.is_final) == (False, True)

    def top(snap):
        return list(snap.entries.filter(sort=Sort.TOP).order_by("rank").values_list("post_id", "score"))

    assert top(this_week) == [(scene.public_post.pk, 2.0)]
    assert top(last_week) == [(text_post.pk, 1.0)]
    photo_week = RankingSnapshot.objects.get(
        window=Window.WEEK, category=Category.PHOTO, period_start=this_week.period_start
    )
    text_week = RankingSnapshot.objects.get(
        window=Window.WEEK, category=Category.TEXT, period_start=this_week.period_start
    )
    assert top(photo_week) == [(scene.public_post.pk, 2.0)] and top(text_week) == []
    # A vote after the week ended does not change last week's final snapshot: the next run leaves it.
    PostVote.objects.filter(post=text_post).update(voted_at=datetime(2026, 11, 25, 11, tzinfo=UTC))
    rankings.rankings_refresh(now=now + timedelta(minutes=10), weights=W)
    last_week.refresh_from_db()
    assert top(last_week) == [(text_post.pk, 1.0)]
    assert top(RankingSnapshot.objects.get(pk=this_week.pk)) == [
        (scene.public_post.pk, 2.0),
        (text_post.pk, 1.0),
    ]
    # Controversial keeps only posts with both kinds of votes.
    assert not RankingEntry.objects.filter(sort=Sort.CONTROVERSIAL).exists()
    # History through the selector: any date inside last week.
    snapshot, page = selectors.ranking_page(
        user=scene.fan, window=Window.WEEK, sort=Sort.TOP, period=datetime(2026, 11, 20, tzinfo=UTC)
    )
    assert snapshot["is_final"] is True and [p.pk for p in page.posts] == [text_post.pk]


def test_trending_table_orders_by_hot(make_user):
    scene = make_scene(make_user)
    newer = make_post(scene.creator, text="new", access=Access.PUBLIC)
    services.post_vote_set(user=scene.fan, post_id=scene.public_post.pk, value=1)
    services.post_vote_set(user=scene.fan, post_id=newer.pk, value=1)
    rankings.trending_refresh(now=timezone.now() + timedelta(seconds=1), weights=W)
    ordered = list(PostScore.objects.order_by("-hot").values_list("post_id", flat=True))
    assert ordered == [newer.pk, scene.public_post.pk]  # same engagement: the newer post is hotter
