"""Suggestions run hand-written SQL (``selectors.suggest._creator_suggestions``, ``_tag_suggestions``); their
ORM versions (``_creator_suggest_qs`` through ``_creator_suggestions_orm``, ``_tag_suggestions_orm``)
stay as the specifications. Both must give the same creators (ids, scores, order, loaded fields) and
tags (names, counts, order) for every kind of viewer (anonymous, fan, blocked either way, the creator
themself, a geo-blocked country, an inactive account) and query (handle, name and tag prefixes,
accents, LIKE's ``%`` and ``_``, three letters without the trigram arms, a typo with them, nothing),
leave out inactive accounts, non-creators and posts nobody may see, and cost one statement each,
the presenters none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from fanclub.accounts.models import User
from fanclub.content import services as content_services
from fanclub.content.models import Post
from fanclub.content.tests.factories import make_creator, make_post, png_bytes, ready_media
from fanclub.creators import services as creator_services
from fanclub.creators.presenters import avatar_url
from fanclub.search import selectors
from fanclub.search.selectors import suggest as suggest_selectors
from fanclub.search.tests.test_creator_ranking_sql import _loaded, viewers_around

pytestmark = pytest.mark.django_db

QUERIES = [
    "l",  # one letter: a prefix of many handles and names
    "len",  # three letters: prefixes only (no trigram arms)
    "lena",  # four: an exact handle, the trigram arms join
    "@lena",  # the same, typed with its @
    "lena_",  # ``_`` is a character, not LIKE's wildcard: @lena_art, never @lenaxo
    "lena ro",  # a name prefix with a space
    "zoë",  # a name prefix with its accent
    "zoe",  # the same name without the accent
    "müll",  # a name's second word with an accent (trigram arms only)
    "100%",  # ``%`` is a character: "100% Real"
    "1%0",  # ... so this finds nothing by prefix
    "\\",  # a backslash (LIKE's escape character) alone
    "sol",  # equal names and scores, more than SUGGEST_CREATORS: display name, then id
    "lenna",  # a five-letter typo: the trigram arms
    "marrco",  # another typo
    "qzxqvw",  # nothing close
]


@pytest.fixture
def people(make_user):
    """Creators (one geo-blocking GB, with an avatar image), an inactive creator account, a fan
    account with a matching handle, and viewers as (user, country)."""
    lena = make_creator(make_user, "lena", display_name="Lena Rossi", bio="Film photography")
    media = ready_media(lena, png_bytes())
    creator_services.creator_profile_update(user=lena, avatar_media_id=media.pk, blocked_countries=["GB"])
    User.objects.filter(pk=lena.pk).update(avatar="avatars/lena.png")
    make_creator(make_user, "lena_art", display_name="Art by L.", bio="Watercolours")
    make_creator(make_user, "lenaxo", display_name="Lenax", bio="")
    make_creator(make_user, "zoe.paints", display_name="Zoë Müller", bio="Oil painting")
    make_creator(make_user, "real100", display_name="100% Real", bio="")
    make_creator(make_user, "marco", display_name="Marco", bio="Cooking")
    for index in range(7):
        make_creator(make_user, f"sol{index}", display_name="Sol", bio="")
    return viewers_around(make_user, lena)


def test_the_suggestions_sql_matches_its_orm_specification(people):
    found: dict[tuple[str, str], list[str]] = {}
    starting: dict[tuple[str, str], list[str]] = {}  # those with the prefix bonus
    for viewer_name, (viewer, country) in people.items():
        for text in QUERIES:
            context = (viewer_name, text)
            query = selectors.search_query_parse(raw=text)
            got = suggest_selectors._creator_suggestions(viewer=viewer, country=country, query=query)
            expected = suggest_selectors._creator_suggestions_orm(viewer=viewer, country=country, query=query)
            assert [row.pk for row in got] == [row.pk for row in expected], context
            for row, old in zip(got, expected, strict=True):
                assert row.score == pytest.approx(old.score, abs=1e-6), (context, row.pk)
                assert _loaded(row) == _loaded(old), (context, row.pk)
            found[viewer_name, text] = [row.user.handle for row in got]
            starting[viewer_name, text] = [row.user.handle for row in got if row.score >= 2.0]
    # Anchors, so that the comparison is not between two equally empty answers.
    assert found["anonymous", "len"] == ["lena", "lena_art", "lenaxo"]  # prefixes, then name, id
    assert found["fan", "lena"][:3] == ["lena", "lena_art", "lenaxo"]
    assert found["fan", "@lena"] == found["fan", "lena"]
    assert starting["fan", "lena_"] == ["lena_art"] and starting["fan", "lena ro"] == ["lena"]
    assert found["fan", "zoë"] == found["fan", "zoe"] == ["zoe.paints"]
    assert found["fan", "müll"] == ["zoe.paints"]  # a word of the name: the trigram arm
    assert starting["fan", "100%"] == ["real100"] and found["fan", "1%0"] == []
    assert found["fan", "sol"] == [f"sol{index}" for index in range(5)]  # ties: the older profile
    assert found["fan", "lenna"][0] == "lena" and found["fan", "marrco"] == ["marco"]  # typos
    assert found["anonymous", "\\"] == [] and found["fan", "qzxqvw"] == []
    # Blocks either way, a geo-blocked country (the creator themself excepted).
    for viewer_name in ("blocked by the creator", "blocking the creator", "fan in GB", "anonymous in GB"):
        assert "lena" not in found[viewer_name, "lena"], viewer_name
        assert "lena_art" in found[viewer_name, "lena"], viewer_name
    assert found["the creator in GB", "lena"][0] == "lena"
    # Never an inactive creator account or a fan account, whoever asks.
    assert not any("lena.gone" in handles or "lena.fan" in handles for handles in found.values())


def _shown(request: Any, creators: list[Any]) -> list[tuple[str, str, str]]:
    """What a suggestion shows; a signed avatar URL carries its expiry time: the path is the same."""
    return [
        (row.user.handle, row.display_name, (avatar_url(request, row) or "").split("?")[0])
        for row in creators
    ]


def test_suggested_creators_cost_one_statement_and_the_presenters_none(people, django_assert_num_queries):
    request = RequestFactory().get("/")
    for viewer_name in ("anonymous", "fan", "the creator"):
        viewer, country = people[viewer_name]
        for text in ("len", "lena", "lenna", "qzxqvw"):
            query = selectors.search_query_parse(raw=text)
            with django_assert_num_queries(1):
                creators = suggest_selectors._creator_suggestions(viewer=viewer, country=country, query=query)
                shown = _shown(request, creators)
            expected = suggest_selectors._creator_suggestions_orm(viewer=viewer, country=country, query=query)
            assert shown == _shown(request, expected), (viewer_name, text)
    viewer, _ = people["the creator"]
    creators = suggest_selectors._creator_suggestions(
        viewer=viewer, country="", query=selectors.search_query_parse(raw="len")
    )
    assert (avatar_url(request, creators[0]) or "").startswith("/media/")  # the avatar image reached it


TAG_QUERIES = [
    "l",
    "len",
    "#lens",
    "lense",
    "lens review",
    "café",
    "cafe",
    "50%",
    "5%0",
    "a_b",
    "ab",
    "sunsett",
    "qzx",
]


@pytest.fixture
def tagged(people, make_user):
    """Posts whose tags the suggestions read: public and locked (labels are public), a draft, a
    scheduled, an expired and a deleted post, and posts of the blocked, geo-blocked and inactive."""
    lena = User.objects.get(handle="lena")
    marco = User.objects.get(handle="marco")
    gone = User.objects.get(handle="lena.gone")
    make_post(marco, text="a", tags=["lenses", "lens-review", "café"], access="public")
    make_post(marco, text="b", tags=["lenses", "a_b", "axb"], access="subscribers")
    make_post(marco, text="c", tags=["lens-secret"], publish=False)  # a draft
    make_post(
        marco, text="d", tags=["lens-soon"], publish=False, publish_at=timezone.now() + timedelta(days=1)
    )
    make_post(marco, text="e", tags=["lens-gone"], expires_at=timezone.now() + timedelta(seconds=1))
    Post.objects.filter(tags__contains=["lens-gone"]).update(expires_at=timezone.now() - timedelta(days=1))
    deleted = make_post(marco, text="f", tags=["lens-deleted"], access="public")
    content_services.post_delete(user=marco, post_id=deleted.pk)
    make_post(lena, text="g", tags=["lens-lena", "sunset", "cafe"], access="public")  # blocks, GB
    User.objects.filter(pk=gone.pk).update(is_active=True)
    gone.refresh_from_db()
    make_post(gone, text="h", tags=["lens-inactive"], access="public")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    return people


def test_the_tag_suggestions_sql_matches_its_orm_specification(tagged):
    found: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for viewer_name, (viewer, country) in tagged.items():
        for text in TAG_QUERIES:
            query = selectors.search_query_parse(raw=text)
            for limit in (1, 8):
                got = suggest_selectors._tag_suggestions(
                    viewer=viewer, country=country, query=query, limit=limit
                )
                expected = suggest_selectors._tag_suggestions_orm(
                    viewer=viewer, country=country, query=query, limit=limit
                )
                assert got == expected, (viewer_name, text, limit)
            found[viewer_name, text] = [(tag.tag, tag.post_count) for tag in got]
    assert found["anonymous", "len"][:2] == [("lenses", 2), ("lens-lena", 1)]
    assert ("lens-review", 1) in found["anonymous", "lens review"]
    assert found["fan", "café"] == found["fan", "cafe"] and len(found["fan", "cafe"]) == 2
    assert found["fan", "5%0"] == []  # tags hold no ``%``: nothing, not every tag starting with 5
    assert found["fan", "a_b"] == [("a_b", 1)] and found["fan", "qzx"] == []  # not "axb"
    for viewer_name in ("blocked by the creator", "blocking the creator", "fan in GB", "anonymous in GB"):
        assert all(tag != "lens-lena" for tag, _ in found[viewer_name, "len"]), viewer_name
    hidden = {"lens-secret", "lens-soon", "lens-gone", "lens-deleted"}
    assert not any(tag in hidden for tags in found.values() for tag, _ in tags)
