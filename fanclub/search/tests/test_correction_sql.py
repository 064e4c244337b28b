"""The suggestions' correction check runs hand-written SQL (``selectors.suggest._suggested_correction_found``,
one ``EXISTS``); its ORM version (``_suggested_correction_found_orm``) stays as the specification. Both
must answer the same for every kind of viewer (``content/tests/conftest.py``'s ``matrix``: anonymous,
a stranger, followers, members, a tier member, a buyer, the creator, blocked either way, a geo-blocked
country, an inactive account) and correction: words of locked text only, of labels (tags, category)
only, of readable text, of drafts, scheduled, expired or deleted posts and an inactive creator's; and
a suggestion request with a correction costs the statements it did."""

from __future__ import annotations

import pytest
from django.test import Client

from fanclub.content.tests.conftest import matrix  # noqa: F401 (the fixture)
from fanclub.search import selectors
from fanclub.search.selectors import suggest as suggest_selectors
from fanclub.search.selectors.correction import Correction
from fanclub.search.tests.test_lists_sql import labelled  # noqa: F401 (the fixture)
from fanclub.search.tests.test_ranking_sql import searchable  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

TSQUERIES = [
    "moonrise:*",  # only in a locked post's text (subscribers)
    "subscribers:*",  # only in a locked post's text, in the matrix
    "ppv:*",  # a pay-per-view post's text: its buyer and tier members only
    "followers:*",  # a followers' post's text
    "sky:*",  # only in the locked moonrise post's labels: anyone who may see the post
    "matrix:*",  # every matrix post's tag
    "photo:*",  # a category
    "public:*",  # the public post's text
    "golden:* & sunset:*",  # two words of a public text
    "harbour:* & boats:*",  # public and locked posts
    "moonrise:* & sky:*",  # locked text and a label: each document must match on its own
    "draft:*",  # drafts' text only: nobody, not even their author
    "later:*",  # scheduled posts' text only
    "expired:*",  # expired posts' text only
    "deleted:*",  # deleted posts' text only
    "gone:*",  # an inactive creator's public post
    "qzxqvw:*",  # nothing
]


def test_the_correction_check_sql_matches_its_orm_specification(searchable):  # noqa: F811
    _posts, viewers = searchable
    found: dict[tuple[str, str], bool] = {}
    for viewer_name, (viewer, country) in viewers.items():
        for tsquery in TSQUERIES:
            correction = Correction(text=tsquery, tsquery=tsquery)
            got = suggest_selectors._suggested_correction_found(
                viewer=viewer, country=country, correction=correction
            )
            expected = suggest_selectors._suggested_correction_found_orm(
                viewer=viewer, country=country, correction=correction
            )
            assert got is expected, (viewer_name, tsquery)
            found[viewer_name, tsquery] = got
    # Anchors, so that the comparison is not between two equally false answers.
    for tsquery in ("moonrise:*", "subscribers:*"):  # locked text
        assert not found["anonymous", tsquery] and not found["stranger", tsquery], tsquery
        assert found["tier member", tsquery] and found["owner", tsquery], tsquery
    assert found["unlocked", "ppv:*"] and not found["member (other tier)", "ppv:*"]
    assert found["follower", "followers:*"] and not found["stranger", "followers:*"]
    assert not found["membership ended", "subscribers:*"]
    for tsquery in ("sky:*", "matrix:*", "photo:*"):  # labels: whoever may see the post
        assert found["anonymous", tsquery] and found["stranger", tsquery], tsquery
    for tsquery in ("public:*", "golden:* & sunset:*", "harbour:* & boats:*"):
        assert found["anonymous", tsquery], tsquery
    for viewer_name in ("blocked by the creator", "blocking the creator", "geo-blocked follower"):
        assert not any(found[viewer_name, tsquery] for tsquery in TSQUERIES), viewer_name
    assert found["geo-blocked owner", "moonrise:*"]  # the creator's own posts, wherever they are
    for tsquery in ("draft:*", "later:*", "expired:*", "deleted:*", "gone:*", "moonrise:* & sky:*"):
        assert not any(found[viewer_name, tsquery] for viewer_name in viewers), tsquery


def test_the_suggested_correction_matches_its_specification(searchable):  # noqa: F811
    # The whole check: the word table's correction, then the SQL or the ORM answer.
    _posts, viewers = searchable
    offered: dict[tuple[str, str], str | None] = {}
    for viewer_name, (viewer, country) in viewers.items():
        for text in ("sunsett", "harbourr", "golden sunsett", "moonrisse", "qzxqvw", "sun"):
            query = selectors.search_query_parse(raw=text)
            got = suggest_selectors._suggested_correction(viewer=viewer, country=country, query=query)
            expected = suggest_selectors._suggested_correction(
                viewer=viewer,
                country=country,
                query=query,
                found_for=suggest_selectors._suggested_correction_found_orm,
            )
            assert got == expected, (viewer_name, text)
            offered[viewer_name, text] = got.text if got else None
    assert offered["anonymous", "sunsett"] == "sunset" and offered["anonymous", "harbourr"] == "harbour"
    assert offered["stranger", "golden sunsett"] == "golden sunset"
    for viewer_name in ("blocked by the creator", "blocking the creator", "geo-blocked follower"):
        assert offered[viewer_name, "sunsett"] is None, viewer_name
    assert not any(offered[viewer_name, "moonrisse"] == "moonrise" for viewer_name in viewers)


def test_a_suggestion_with_a_correction_costs_the_statements_it_did(searchable, django_assert_num_queries):  # noqa: F811
    _posts, viewers = searchable
    client = Client()
    client.get("/api/v1/search/suggest", {"q": "sunsett"})
    # creators, tags, the correction, its check (one EXISTS, as the ORM's was)
    with django_assert_num_queries(4):
        body = client.get("/api/v1/search/suggest", {"q": "sunsett"}).json()
    assert body["correction"] == "sunset"
    # Checked and not offered: the same four.
    viewer, country = viewers["blocked by the creator"]
    with django_assert_num_queries(4):
        suggestions = selectors.search_suggest(
            viewer=viewer, country=country, query=selectors.search_query_parse(raw="sunsett")
        )
    assert suggestions.correction is None
    with django_assert_num_queries(3):  # no word to correct: no check
        body = client.get("/api/v1/search/suggest", {"q": "moonrisse"}).json()
    assert body["correction"] is None
