"""Search quality: exact, prefix, typo (trigram), accents, ranking weights, suggestions."""

from __future__ import annotations

import pytest
from django.db import connection

from fanclub.content.tests.factories import make_creator, make_post
from fanclub.search import selectors
from fanclub.search.errors import QueryEmpty, QueryTooLong

pytestmark = pytest.mark.django_db


def _creators(query: str, viewer=None) -> list[str]:
    page = selectors.creator_search(viewer=viewer, query=selectors.search_query_parse(raw=query))
    return [profile.user.handle for profile in page.items]


def _posts(query: str, viewer=None) -> list[int]:
    page = selectors.post_search(viewer=viewer, query=selectors.search_query_parse(raw=query))
    return [post.pk for post in page.items]


@pytest.fixture
def creators(make_user):
    return {
        "lena": make_creator(make_user, "lena", display_name="Lena Rossi", bio="Film photography and travel"),
        "lenaart": make_creator(make_user, "lena_art", display_name="Art by L.", bio="Watercolours"),
        "zoe": make_creator(make_user, "zoe.paints", display_name="Zoë Müller", bio="Oil painting, lena fan"),
        "marco": make_creator(make_user, "marco", display_name="Marco", bio="Cooking"),
    }


def test_exact_handle_ranks_first_then_name_then_bio(creators):
    assert _creators("lena") == ["lena", "lena_art", "zoe.paints"]  # handle+name (A), handle (A), bio (C)


def test_prefix_matches_while_typing(creators):
    assert _creators("ross") == ["lena"]
    assert _creators("wat") == ["lena_art"]
    assert _creators("zoe.pa") == ["zoe.paints"]  # handle words split at '.', '_' and '-'


def test_typo_falls_back_to_trigrams(creators):
    assert _creators("lenna")[0] == "lena"
    assert "marco" in _creators("mraco") or _creators("marrco") == ["marco"]
    assert _creators("xyzzy") == []


def test_accents_are_ignored_both_ways(creators):
    assert _creators("zoe muller") == ["zoe.paints"]
    assert _creators("Zoë MÜLLER") == ["zoe.paints"]
    assert _creators("léna") == ["lena", "lena_art", "zoe.paints"]


def test_posts_rank_tags_above_text_and_find_typos_in_tags(creators):
    tagged = make_post(creators["marco"], text="dinner tonight", tags=["pasta"], access="public")
    in_text = make_post(creators["marco"], text="fresh pasta recipe", access="public")
    other = make_post(creators["marco"], text="nothing here", tags=["dessert"], access="public")
    assert _posts("pasta") == [tagged.pk, in_text.pk]
    # The fallback: trigrams over tags and category, and the spelling correction ("pasta") over
    # words any visitor may read, which finds the text too (ranked below the tag).
    assert _posts("pastta") == [tagged.pk, in_text.pk]
    assert _posts("dessert") == [other.pk]


def test_category_is_searchable(creators):
    post = make_post(creators["marco"], text="how I cook", category="tutorial", access="public")
    assert _posts("tutorial") == [post.pk]


def test_snippet_marks_the_matched_words(creators):
    make_post(creators["marco"], text="A long story about the best pasta in town", access="public")
    (post,) = selectors.post_search(viewer=None, query=selectors.search_query_parse(raw="pasta")).items
    parts = selectors.snippet_parts(post.snippet)
    assert [text for text, marked in parts if marked] == ["pasta"]
    assert "".join(text for text, _ in parts) in post.text
    assert selectors.snippet_plain(post.snippet).endswith("best pasta in town")


def test_suggestions_prefix_and_trigram_creators_then_tags(creators):
    make_post(creators["marco"], text="x", tags=["lenses", "lens-review"], access="public")
    make_post(creators["marco"], text="y", tags=["lenses"], access="subscribers")  # locked: tags are public
    found = selectors.search_suggest(viewer=None, query=selectors.search_query_parse(raw="len"))
    assert [profile.user.handle for profile in found.creators] == ["lena", "lena_art"]
    assert [(tag.tag, tag.post_count) for tag in found.tags] == [("lenses", 2), ("lens-review", 1)]
    typo = selectors.search_suggest(viewer=None, query=selectors.search_query_parse(raw="lenna"))
    assert typo.creators[0].user.handle == "lena"


def test_suggestions_total_at_most_eight(make_user):
    for index in range(7):
        make_creator(make_user, f"amy{index}", display_name=f"Amy {index}")
    creator = make_creator(make_user, "poster")
    make_post(creator, text="t", tags=[f"amy-{index}" for index in range(6)], access="public")
    found = selectors.search_suggest(viewer=None, query=selectors.search_query_parse(raw="amy"))
    assert (len(found.creators), len(found.tags)) == (5, 3)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_query_is_refused(raw):
    with pytest.raises(QueryEmpty):
        selectors.search_query_parse(raw=raw)


def test_long_query_is_refused():
    with pytest.raises(QueryTooLong):
        selectors.search_query_parse(raw="a" * 101)
    assert selectors.search_query_parse(raw="a" * 100).text == "a" * 100


def test_query_syntax_cannot_reach_to_tsquery(creators):
    for raw in ["lena & | ! ( ) :* '", "'; drop table x; --", "a:*B", "\\", "%_%"]:
        selectors.creator_search(viewer=None, query=selectors.search_query_parse(raw=raw))
        selectors.post_search(viewer=None, query=selectors.search_query_parse(raw=raw))
        selectors.search_suggest(viewer=None, query=selectors.search_query_parse(raw=raw))
    assert selectors.search_query_parse(raw="Lena & | Rossi!").tsquery == "lena:* & rossi:*"


def test_search_indexes_are_used():
    """The selectors' expressions are the migration's index expressions (EXPLAIN, scans off)."""
    from fanclub.accounts.models import User
    from fanclub.content.models import Post
    from fanclub.creators.models import CreatorProfile
    from fanclub.search import documents as docs

    tsquery = docs.TsQuery(docs.text("lena:*"))
    needle = docs.Unaccent(docs.text("lenna"))
    cases = {
        "search_creator_fts": CreatorProfile.objects.filter(docs.Matches(docs.creator_document(), tsquery)),
        "search_creator_name_trgm": CreatorProfile.objects.filter(
            docs.WordSimilar(needle, docs.creator_name_trigram())
        ),
        "search_user_handle_fts": User.objects.filter(docs.Matches(docs.handle_document(), tsquery)),
        "search_user_handle_trgm": User.objects.filter(docs.WordSimilar(needle, docs.handle_trigram())),
        "search_post_text_fts": Post.objects.filter(docs.Matches(docs.post_text_document(), tsquery)),
        "search_post_labels_fts": Post.objects.filter(docs.Matches(docs.post_labels_document(), tsquery)),
        "search_post_labels_trgm": Post.objects.filter(docs.WordSimilar(needle, docs.post_labels_trigram())),
        "search_post_tags": Post.objects.filter(tags__contains=["x"]),
    }
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        for index, queryset in cases.items():
            sql, params = queryset.values("pk").query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Bitmap Index Scan on {index}" in plan, plan
