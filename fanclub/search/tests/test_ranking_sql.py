"""The ranked post search runs hand-written SQL (``selectors.posts._post_ranked_rows``); its ORM version
(``selectors.posts._post_search_qs`` through ``_post_ranked_rows_orm``) stays as the specification. Both
must give the same rows (id, score, snippet, via_correction), pages, cursors and correction, for
every kind of viewer (``content/tests/conftest.py``'s ``matrix``), post and query shape: full text,
labels only on a locked post, the trigram fallback, the spelling correction (rare word: its matches
collected through the indexes; common: the newest walked), and pages after a cursor."""

from __future__ import annotations

from typing import Any

import pytest

from fanclub.content.models import Post
from fanclub.content.tests.conftest import matrix  # noqa: F401 (the fixture)
from fanclub.content.tests.factories import make_post
from fanclub.creators.models import Tier
from fanclub.search import selectors
from fanclub.search.selectors import posts as post_selectors
from fanclub.search.tests.test_lists_sql import labelled  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

QUERIES = [
    "matrix",  # tags: every live post, by its labels
    "photo",  # a category
    "public",  # the public post's text
    "subscribers",  # a locked post's text: found by those with access only
    "moonrise",  # a word only in a locked post's text (its labels say nothing)
    "harbour",  # many posts: pages across the ranking
    "harbour boats",  # two words
    "matrixx",  # a typo: no full-text match, the trigram fallback finds the tag
    "sunsett",  # a typo of a rare word: the spelling correction
    "moonrisse",  # a typo of a word only in locked text: never corrected to it
    "@@@",  # no word: trigrams only
    "!!",  # no word, too short for trigrams: nothing, without a statement
    "qzxqvw",  # nothing close
]


@pytest.fixture
def searchable(labelled):  # noqa: F811
    """The labelled matrix, plus posts by the same creator: a sunset (public, rare word, tagged
    travel), a locked moonrise (subscribers), and harbour posts in every access rule (pages)."""
    posts, viewers = labelled
    lena = viewers["owner"][0]
    tier = Tier.objects.get(creator=lena, name="Gold")
    posts["sunset"] = make_post(lena, text="Golden sunset over the bay", tags=["travel"], access="public")
    posts["moonrise"] = make_post(lena, text="moonrise secrets", tags=["sky"], access="subscribers")
    for index in range(9):
        rule = ("public", "followers", "subscribers", "tiers", "ppv")[index % 5]
        extra: dict[str, Any] = {}
        if rule in ("tiers", "ppv"):
            extra["tier_ids"] = [tier.pk]
        if rule == "ppv":
            extra.update(price_minor=500, currency="USD")
        words = " ".join(["harbour"] * (index % 3 + 1))
        posts[f"harbour-{index}"] = make_post(
            lena,
            text=f"{words} at dawn, boats {index}",
            tags=["harbour"] if index % 4 == 0 else ["sea"],
            access=rule,
            **extra,
        )
    # Equal publication times: the id breaks the tie, in the window and in the ranking.
    same = posts["harbour-0"].published_at
    Post.objects.filter(pk__in=[posts["harbour-1"].pk, posts["harbour-2"].pk]).update(published_at=same)
    return posts, viewers


def _walk(rows_for: Any, *, viewer: Any, country: str, text: str, limit: int) -> list[Any]:
    """Every page of the ranking: [(rows, next cursor, correction text)]."""
    query = selectors.search_query_parse(raw=text)
    pages, cursor = [], None
    while True:
        rows, cursor, correction = post_selectors._post_ranked_page(
            viewer=viewer, country=country, query=query, cursor=cursor, limit=limit, rows_for=rows_for
        )
        pages.append((rows, cursor, correction))
        if cursor is None:
            return pages
        assert len(pages) < 50


def _assert_same(got: list[Any], expected: list[Any], context: Any) -> None:
    assert len(got) == len(expected), context
    for (rows, cursor, correction), (old_rows, old_cursor, old_correction) in zip(got, expected, strict=True):
        assert [row[0] for row in rows] == [row[0] for row in old_rows], context
        for row, old in zip(rows, old_rows, strict=True):
            assert row[1] == pytest.approx(old[1], abs=1e-6), (context, row, old)
            assert row[2:] == old[2:], (context, row, old)
        assert cursor == old_cursor, context
        assert correction == old_correction, context


@pytest.mark.parametrize("collect_below", [2000, 0], ids=["rare correction", "common correction"])
def test_the_ranking_sql_matches_its_orm_specification(searchable, monkeypatch, collect_below):
    _posts, viewers = searchable
    monkeypatch.setattr(post_selectors, "CORRECTION_COLLECT_BELOW", collect_below)
    sizes: dict[tuple[str, str], int] = {}
    via: set[tuple[str, str]] = set()
    for viewer_name, (viewer, country) in viewers.items():
        for text in QUERIES:
            for limit in (2, 50):
                got = _walk(
                    post_selectors._post_ranked_rows, viewer=viewer, country=country, text=text, limit=limit
                )
                expected = _walk(
                    post_selectors._post_ranked_rows_orm,
                    viewer=viewer,
                    country=country,
                    text=text,
                    limit=limit,
                )
                _assert_same(got, expected, (viewer_name, text, limit))
                sizes[viewer_name, text] = sum(len(rows) for rows, _, _ in got)
                if any(row[3] for rows, _, _ in got for row in rows):
                    via.add((viewer_name, text))
    # Anchors, so that the comparison is not between two equally empty answers.
    assert sizes["follower", "matrix"] == 5
    assert sizes["anonymous", "subscribers"] == 0 and sizes["tier member", "subscribers"] == 1
    assert sizes["stranger", "moonrise"] == 0 and sizes["tier member", "moonrise"] == 1
    assert sizes["tier member", "harbour"] == 9
    assert sizes["anonymous", "harbour"] == 4  # two public by their text, two more by their tag
    assert sizes["follower", "matrixx"] >= 5  # the trigram fallback
    assert sizes["blocked by the creator", "harbour"] == 0
    assert sizes["geo-blocked follower", "harbour"] == 0 and sizes["geo-blocked owner", "harbour"] > 0
    assert sizes["anonymous", "!!"] == 0
    assert ("anonymous", "sunsett") in via and ("blocked by the creator", "sunsett") not in via
    assert not any(text == "moonrisse" for _, text in via)


def test_the_ranking_sql_pages_like_its_specification_with_the_ranked_cards(searchable):
    # The whole results page (ranking, then the card statement) against the ORM ranking.
    _posts, viewers = searchable
    for viewer_name in ("anonymous", "follower", "tier member", "unlocked", "owner", "geo-blocked follower"):
        viewer, country = viewers[viewer_name]
        for text in ("harbour", "sunsett", "matrixx"):
            cursor, pages = None, 0
            while True:
                page = selectors.post_search(
                    viewer=viewer,
                    country=country,
                    query=selectors.search_query_parse(raw=text),
                    cursor=cursor,
                    limit=2,
                )
                rows, expected_cursor, correction = post_selectors._post_ranked_page(
                    viewer=viewer,
                    country=country,
                    query=selectors.search_query_parse(raw=text),
                    cursor=cursor,
                    limit=2,
                    rows_for=post_selectors._post_ranked_rows_orm,
                )
                found = [(p.pk, p.snippet, p.via_correction) for p in page.items]  # type: ignore[attr-defined]
                assert found == [(row[0], row[2], row[3]) for row in rows], (viewer_name, text)
                assert page.next_cursor == expected_cursor
                used = correction if any(row[3] for row in rows) else None
                assert page.correction == used
                pages += 1
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            if viewer_name == "tier member" and text == "harbour":
                assert pages == 5  # nine posts, two a page


def test_no_statement_when_nothing_can_match(searchable, django_assert_num_queries):
    _posts, viewers = searchable
    with django_assert_num_queries(0):
        page = selectors.post_search(
            viewer=viewers["follower"][0], query=selectors.search_query_parse(raw="!!")
        )
    assert page.items == [] and page.next_cursor is None


def test_the_query_words_are_bound_parameters(searchable):
    # Quotes, percent signs and tsquery syntax in the query reach the database as values.
    _posts, viewers = searchable
    viewer, _ = viewers["tier member"]
    for text in ("harbour' OR 1=1 --", "harbour %(viewer)s", "harbour | matrix", "%s%%"):
        query = selectors.search_query_parse(raw=text)
        for fuzzy in (False, True):
            got = post_selectors._post_ranked_rows(
                viewer=viewer, country="", query=query, fuzzy=fuzzy, correction=None, start=0, stop=50
            )
            expected = post_selectors._post_ranked_rows_orm(
                viewer=viewer, country="", query=query, fuzzy=fuzzy, correction=None, start=0, stop=50
            )
            assert [row[0] for row in got] == [row[0] for row in expected], text
