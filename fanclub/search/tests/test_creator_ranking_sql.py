"""The ranked creator search runs hand-written SQL (``selectors.creators._creator_ranked_rows``); its ORM
version (``selectors.creators._creator_search_qs`` through ``_creator_ranked_rows_orm``) stays as the
specification. Both must give the same creators (ids, scores, order), pages and cursors for every
kind of viewer (anonymous, fan, blocked either way, the creator themself, a geo-blocked country) and
query (exact handle, name, bio, the trigram fallback, symbols, nothing), leave out inactive accounts
and non-creators, and load what the presenters read without another statement."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from fanclub.accounts.models import User
from fanclub.content.tests.factories import make_creator, png_bytes, ready_media
from fanclub.creators import services as creator_services
from fanclub.search import presenters, selectors
from fanclub.search.selectors import creators as creator_selectors
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db

QUERIES = [
    "lena",  # an exact handle (and names, handles and a bio with the word)
    "LENA",  # the exact handle, another case
    "@lena_art",  # an exact handle, with its @
    "rossi",  # a display-name word
    "watercolours",  # a bio word
    "harbour",  # many creators: pages across the ranking, equal scores
    "sol",  # equal names and scores: display name, then id
    "lenna",  # a typo: no full-text match, the trigram fallback
    "marrco",  # another typo
    "@@@",  # only symbols: no word, trigrams only
    "!!",  # only symbols, too short for trigrams: nothing, without a statement
    "qzxqvw",  # nothing close
]


def viewers_around(make_user: Any, lena: Any, *, bio: str = "") -> dict[str, tuple[Any, str]]:
    """An inactive creator account, a fan account whose handle matches "lena", a fan, and users
    blocked by and blocking ``lena`` (who geo-blocks GB); the viewers as (user, country)."""
    gone = make_creator(make_user, "lena.gone", display_name="Lena Gone", bio=bio)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_user(handle="lena.fan")  # a fan account: not a creator
    fan = make_user(handle="fan")
    blocked = make_user(handle="blocked.fan")
    social_services.block_create(blocker=lena, blocked=blocked)
    blocking = make_user(handle="blocking.fan")
    social_services.block_create(blocker=blocking, blocked=lena)
    return {
        "anonymous": (None, ""),
        "fan": (fan, ""),
        "fan in GB": (fan, "gb"),
        "anonymous in GB": (None, "GB"),
        "blocked by the creator": (blocked, ""),
        "blocking the creator": (blocking, ""),
        "the creator": (lena, ""),
        "the creator in GB": (lena, "GB"),
        "the inactive creator": (gone, ""),
    }


@pytest.fixture
def people(make_user):
    """Creators (one geo-blocking GB, with an avatar image), an inactive creator account, a fan
    account with a matching handle, and viewers as (user, country)."""
    lena = make_creator(
        make_user,
        "lena",
        display_name="Lena Rossi",
        bio="Film photography and harbour walks",
        archetype="artist",
        boundaries={"does": ["photos"], "doesNot": []},
    )
    media = ready_media(lena, png_bytes())
    creator_services.creator_profile_update(user=lena, avatar_media_id=media.pk, blocked_countries=["GB"])
    User.objects.filter(pk=lena.pk).update(avatar="avatars/lena.png")
    make_creator(make_user, "lena_art", display_name="Art by L.", bio="Watercolours from the harbour")
    make_creator(make_user, "zoe.paints", display_name="Zoë Müller", bio="Oil painting, lena fan, harbour")
    make_creator(make_user, "marco", display_name="Marco", bio="Cooking at the harbour")
    for index in range(4):
        make_creator(make_user, f"sol{index}", display_name="Sol", bio="harbour")
    return viewers_around(make_user, lena, bio="harbour")


def _walk(rows_for: Any, *, viewer: Any, country: str, text: str, limit: int) -> list[Any]:
    """Every page of the ranking: [(profiles, next cursor)]."""
    query = selectors.search_query_parse(raw=text)
    pages, cursor = [], None
    while True:
        rows, cursor = creator_selectors._creator_ranked_page(
            viewer=viewer, country=country, query=query, cursor=cursor, limit=limit, rows_for=rows_for
        )
        pages.append((rows, cursor))
        if cursor is None:
            return pages
        assert len(pages) < 50


def _loaded(profile: Any) -> tuple[Any, ...]:
    """What the callers read of a profile, its account and its avatar."""
    media = profile.avatar_media
    return (
        profile.display_name,
        profile.bio,
        profile.archetype,
        profile.boundaries,
        profile.links,
        profile.blocked_countries,
        profile.followers_count,
        profile.user.handle,
        profile.user.avatar.name,
        profile.avatar_media_id,
        (media.state, media.variants, media.deleted_at) if media else None,
    )


def test_the_ranking_sql_matches_its_orm_specification(people):
    sizes: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], list[str]] = {}
    for viewer_name, (viewer, country) in people.items():
        for text in QUERIES:
            for limit in (2, 50):
                context = (viewer_name, text, limit)
                got = _walk(
                    creator_selectors._creator_ranked_rows,
                    viewer=viewer,
                    country=country,
                    text=text,
                    limit=limit,
                )
                expected = _walk(
                    creator_selectors._creator_ranked_rows_orm,
                    viewer=viewer,
                    country=country,
                    text=text,
                    limit=limit,
                )
                assert len(got) == len(expected), context
                for (rows, cursor), (old_rows, old_cursor) in zip(got, expected, strict=True):
                    assert [row.pk for row in rows] == [row.pk for row in old_rows], context
                    for row, old in zip(rows, old_rows, strict=True):
                        assert row.score == pytest.approx(old.score, abs=1e-6), (context, row.pk)
                        assert _loaded(row) == _loaded(old), (context, row.pk)
                    assert cursor == old_cursor, context
                sizes[viewer_name, text] = sum(len(rows) for rows, _ in got)
                first[viewer_name, text] = [row.user.handle for row in got[0][0]]
    # Anchors, so that the comparison is not between two equally empty answers.
    assert first["anonymous", "lena"][:2] == ["lena", "lena_art"]  # the exact handle first
    assert first["fan", "LENA"][0] == "lena" and first["fan", "@lena_art"][0] == "lena_art"
    assert first["fan", "rossi"] == ["lena"] and first["fan", "watercolours"] == ["lena_art"]
    assert sizes["fan", "harbour"] == 8 and sizes["anonymous", "sol"] == 4
    assert first["fan", "lenna"][0] == "lena" and first["fan", "marrco"] == ["marco"]  # the fallback
    assert sizes["anonymous", "!!"] == 0 and sizes["fan", "qzxqvw"] == 0
    # Blocks either way, a geo-blocked country (the creator themself excepted).
    for viewer_name in ("blocked by the creator", "blocking the creator", "fan in GB", "anonymous in GB"):
        assert "lena" not in first[viewer_name, "lena"], viewer_name
        assert sizes[viewer_name, "harbour"] == 7, viewer_name
    assert first["the creator in GB", "lena"][0] == "lena"
    # Never an inactive creator account or a fan account, whoever asks.
    assert not any("lena.gone" in handles or "lena.fan" in handles for handles in first.values())


def test_a_page_costs_the_statements_it_did_and_the_presenters_none(people, django_assert_num_queries):
    request = RequestFactory().get("/")
    for viewer_name in ("anonymous", "fan", "the creator"):
        viewer, country = people[viewer_name]
        request.user = viewer or AnonymousUser()
        for text, statements in (("lena", 1), ("harbour", 1), ("lenna", 2), ("!!", 0)):
            query = selectors.search_query_parse(raw=text)
            with django_assert_num_queries(statements):
                page = selectors.creator_search(viewer=viewer, country=country, query=query, limit=5)
                hits = [presenters.creator_hit(request, profile) for profile in page.items]
            with django_assert_num_queries(statements):
                rows, cursor = creator_selectors._creator_ranked_page(
                    viewer=viewer,
                    country=country,
                    query=query,
                    cursor=None,
                    limit=5,
                    rows_for=creator_selectors._creator_ranked_rows_orm,
                )
            expected = [presenters.creator_hit(request, profile) for profile in rows]
            assert page.next_cursor == cursor

            def without_expiry(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
                # A signed avatar URL carries its expiry time: the path is the same.
                return [{**hit, "avatar_url": (hit["avatar_url"] or "").split("?")[0]} for hit in found]

            assert without_expiry(hits) == without_expiry(expected), (viewer_name, text)
    # The avatar image reached the presenter (the creator's own search for "lena", limit 5).
    viewer, _ = people["the creator"]
    request.user = viewer
    page = selectors.creator_search(viewer=viewer, query=selectors.search_query_parse(raw="lena"), limit=5)
    assert (presenters.creator_hit(request, page.items[0])["avatar_url"] or "").startswith("/media/")
