from __future__ import annotations

from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.test import Client

from fanclub.accounts.models import User
from fanclub.community import badges, rankings
from fanclub.community.models import BadgeAward, PostVote
from fanclub.community.scoring import Weights
from fanclub.community.tasks import badges_award_task, rankings_refresh_task
from fanclub.community.tests.factories import make_scene
from fanclub.content.constants import Access, Category
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.creators import services as creator_services


def test_badges_job_awards_weekly_top10_verified_and_anniversaries_once(make_user):
    scene = make_scene(make_user)
    rival = make_creator(make_user, "rival")
    rival_post = make_post(rival, text="rival", access=Access.PUBLIC, category=Category.PHOTO)
    Post.objects.update(published_at=datetime(2026, 11, 1, tzinfo=UTC))
    from fanclub.community import services

    voters = [make_user(handle=f"v{i}") for i in range(3)]
    for voter in voters:
        services.post_vote_set(user=voter, post_id=scene.public_post.pk, value=1)
    services.post_vote_set(user=voters[0], post_id=rival_post.pk, value=-1)  # net negative: no badge
    PostVote.objects.update(voted_at=datetime(2026, 11, 18, tzinfo=UTC))
    now = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    rankings.rankings_refresh(now=now, weights=Weights())
    # identity on file + verified email: the verified badge
    creator_services.legal_identity_set(
        user=scene.creator, legal_name="Ada Artist", date_of_birth=datetime(1990, 1, 2).date(), country="FR"
    )
    unverified = make_creator(make_user, "unverified")  # identity on file, email not verified
    creator_services.legal_identity_set(
        user=unverified, legal_name="Una Verified", date_of_birth=datetime(1991, 1, 2).date(), country="FR"
    )
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    verified = EmailAddress.objects.filter(user__in=[scene.creator, rival], verified=True)
    assert verified.count() == 2  # the rival has no identity on file
    User.objects.filter(pk=rival.pk).update(date_joined=now - timedelta(days=800))
    first = badges.badges_award(now=now)
    assert first == {"top10_week": 1, "verified": 1, "anniversary": 2}
    held = {
        (award.user.handle, award.badge.kind, award.badge.category, award.period, award.rank)
        for award in BadgeAward.objects.select_related("user", "badge")
    }
    assert held == {
        ("artist", "top10_week", "photo", "2026-W47", 1),
        ("artist", "verified", "", "", None),
        ("rival", "anniversary", "", "1", None),
        ("rival", "anniversary", "", "2", None),
    }
    assert badges.badges_award(now=now) == {"top10_week": 0, "verified": 0, "anniversary": 0}  # idempotent
    api = Client().get("/api/v1/creators/artist/badges").json()
    assert {b["name"] for b in api} == {"Top 10 · Photo set", "Verified creator"}
    profile = Client().get("/c/artist/").content.decode()
    assert "Top 10 · Photo set" in profile and "Verified creator" in profile


def test_http_journey_swipe_vote_and_the_job_puts_the_post_on_top(
    transactional_db, make_user, run_jobs, settings, tmp_path
):
    """A fan swipes the deck and votes over HTTP; the real worker runs the ranking job; the voted
    post is first in the rankings and trending, over HTTP."""
    settings.MEDIA_ROOT = tmp_path
    scene = make_scene(make_user)
    quiet = make_post(scene.creator, text="quiet post", access=Access.PUBLIC, category=Category.PHOTO)
    fan = Client()
    fan.force_login(scene.fan)
    deck = fan.get("/api/v1/deck").json()["items"]
    assert len(deck) == 3
    for card in deck:
        action = "like" if card["postId"] == scene.public_post.pk else "pass"
        response = fan.post(
            f"/api/v1/deck/{card['mediaId']}/swipe",
            {"action": action, "postId": card["postId"]},
            content_type="application/json",
        )
        assert response.status_code == 200
    assert fan.get("/api/v1/deck").json()["items"] == []
    vote = fan.post(
        f"/api/v1/posts/{scene.public_post.pk}/vote", {"value": 1}, content_type="application/json"
    )
    assert vote.status_code == 200 and vote.json()["upCount"] == 1
    assert (
        fan.post(f"/api/v1/posts/{quiet.pk}/vote", {"value": -1}, content_type="application/json").status_code
        == 200
    )

    rankings_refresh_task.defer(timestamp=0)
    badges_award_task.defer(timestamp=0)
    run_jobs(queues=["community"])

    top = fan.get("/api/v1/rankings?window=day&sort=top").json()
    assert [item["id"] for item in top["items"]][:2] == [scene.public_post.pk, quiet.pk]
    assert top["items"][0]["upCount"] == 1 and top["items"][0]["viewerVote"] == 1
    hot = fan.get("/api/v1/rankings?window=week&sort=hot&category=photo").json()
    assert hot["items"][0]["id"] == scene.public_post.pk
    trending = fan.get("/api/v1/explore/trending").json()["items"]
    assert trending[0]["id"] == scene.public_post.pk
    page = fan.get("/rankings/?window=day&sort=top").content.decode()
    assert page.index(f'id="post-{scene.public_post.pk}"') < page.index(f'id="post-{quiet.pk}"')
