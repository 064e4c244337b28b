"""Spelling correction of post text ("sunsett" finds "sunset"): the word table, its upkeep, and the
access rules (a locked post's words are never suggested; blocks and geo-blocks hide what a
correction would find, and then the correction is not shown either)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from fanclub.content import services as content_services
from fanclub.content.tests.factories import make_creator, make_post
from fanclub.creators import services as creator_services
from fanclub.search import selectors, services
from fanclub.search.models import SearchWord
from fanclub.search.selectors import correction as correction_selectors
from fanclub.social import services as social_services

pytestmark = pytest.mark.django_db
GB_IP = "81.2.69.160"  # GB in the bundled iptocc database


def _client(user=None, **extra) -> Client:
    client = Client(**extra)
    if user is not None:
        client.force_login(user)
    return client


def _search(raw: str, viewer=None) -> selectors.PostResults:
    return selectors.post_search(viewer=viewer, query=selectors.search_query_parse(raw=raw))


def _found(raw: str, viewer=None) -> tuple[list[int], str | None]:
    results = _search(raw, viewer)
    return [post.pk for post in results.items], results.correction.text if results.correction else None


def _words() -> set[str]:
    return set(SearchWord.objects.values_list("word", flat=True))


@pytest.fixture
def lena(make_user):
    return make_creator(make_user, "lena", display_name="Lena Rossi")


@pytest.fixture
def sunset(lena):
    return make_post(lena, text="Golden sunset over the bay", tags=["travel"], access="public")


def test_a_typo_in_post_text_finds_the_post_and_says_so(sunset):
    assert _found("sunsett") == ([sunset.pk], "sunset")
    assert _found("golden sunsett") == ([sunset.pk], "golden sunset")  # known words stay as typed
    assert _found("Gölden SUNSETT") == ([sunset.pk], "gölden sunset")
    (post,) = _search("sunsett").items
    assert [text for text, marked in selectors.snippet_parts(post.snippet) if marked] == ["sunset"]


def test_the_correction_over_http_api_page_and_suggestions(sunset):
    client = _client()
    body = client.get("/api/v1/search", {"q": "sunsett"}).json()
    assert ([item["id"] for item in body["posts"]], body["correction"]) == ([sunset.pk], "sunset")
    posts_only = client.get("/api/v1/search", {"q": "sunsett", "type": "posts"}).json()
    assert posts_only["correction"] == "sunset"
    assert client.get("/api/v1/search", {"q": "sunsett", "type": "creators"}).json()["correction"] is None
    page = client.get("/search/", {"q": "sunsett"}).content.decode()
    assert 'Showing results for “<a href="?q=sunset">sunset</a>”' in page
    assert page.count('class="post-card') == 1
    assert client.get("/api/v1/search/suggest", {"q": "sunsett"}).json()["correction"] == "sunset"
    options = client.get(
        "/search/suggest/", {"q": "sunsett"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-href="/search/?q=sunset"' in options
    assert "Did you mean “sunset”?" in options


def test_no_correction_when_the_word_exists(sunset, lena):
    assert selectors.search_correction(query=selectors.search_query_parse(raw="sunset")) is None
    assert _found("sunset") == ([sunset.pk], None)
    assert _found("suns") == ([sunset.pk], None)  # the start of a known word is known (prefix search)
    assert _found("travel") == ([sunset.pk], None)  # a tag is a known word too
    other = make_post(lena, text="sunsets again", access="public")
    assert sorted(_found("sunset")[0]) == sorted([sunset.pk, other.pk])
    body = _client().get("/api/v1/search", {"q": "sunset"}).json()
    assert body["correction"] is None
    assert "Showing results for" not in _client().get("/search/", {"q": "sunset"}).content.decode()
    assert _client().get("/api/v1/search/suggest", {"q": "sunset"}).json()["correction"] is None


def test_no_close_word_finds_nothing_and_corrects_nothing(sunset):
    assert _found("qzxqvw") == ([], None)
    assert _found("zebra") == ([], None)
    body = _client().get("/api/v1/search", {"q": "qzxqvw"}).json()
    assert (body["posts"], body["correction"]) == ([], None)
    assert "Showing results for" not in _client().get("/search/", {"q": "qzxqvw"}).content.decode()


@pytest.mark.parametrize(
    "rule", [{"access": "subscribers"}, {"access": "followers"}, {"access": "ppv", "price_minor": 500}]
)
def test_a_word_only_in_locked_text_is_never_suggested(lena, make_user, rule):
    extra = {"currency": "USD"} if rule["access"] == "ppv" else {}
    locked = make_post(lena, text="moonrise secrets", tags=["sky"], **rule, **extra)
    make_post(lena, text="moonrises are free", access="public")  # what a stranger may read
    stranger = make_user(handle="stranger")
    assert "moonrise" not in _words() and "secrets" not in _words()
    for viewer in (None, stranger):
        ids, correction = _found("moonrisse", viewer)
        assert locked.pk not in ids and correction != "moonrise"
        assert _found("secretts", viewer) == ([], None)
        assert selectors.search_correction(query=selectors.search_query_parse(raw="secretts")) is None
    client = _client(stranger)
    body = client.get("/api/v1/search", {"q": "secretts"}).json()
    assert (body["posts"], body["correction"]) == ([], None)
    assert client.get("/api/v1/search/suggest", {"q": "secretts"}).json()["correction"] is None
    page = client.get("/search/", {"q": "secretts"}).content.decode()
    assert "Showing results for" not in page and "secrets" not in page


def test_a_post_made_private_is_not_found_through_its_old_words(sunset, lena):
    content_services.post_update(user=lena, post_id=sunset.pk, access="subscribers")
    assert "sunset" in _words()  # until the rebuild; a correction shows only what it finds
    assert _found("sunsett") == ([], None)
    assert _client().get("/api/v1/search/suggest", {"q": "sunsett"}).json()["correction"] is None
    services.search_words_rebuild()
    assert "sunset" not in _words()
    assert "travel" in _words()  # labels stay public on the locked card


@pytest.mark.parametrize("direction", ["creator_blocks_fan", "fan_blocks_creator"])
def test_a_blocked_creators_post_is_not_found_through_a_correction(sunset, lena, make_user, direction):
    fan = make_user(handle="fan")
    if direction == "creator_blocks_fan":
        social_services.block_create(blocker=lena, blocked=fan)
    else:
        social_services.block_create(blocker=fan, blocked=lena)
    assert _found("sunsett", fan) == ([], None)
    client = _client(fan)
    body = client.get("/api/v1/search", {"q": "sunsett"}).json()
    assert (body["posts"], body["correction"]) == ([], None)
    assert client.get("/api/v1/search/suggest", {"q": "sunsett"}).json()["correction"] is None
    assert "Showing results for" not in client.get("/search/", {"q": "sunsett"}).content.decode()
    assert _found("sunsett") == ([sunset.pk], "sunset")  # everyone else still finds it


def test_a_geo_blocked_post_is_not_found_through_a_correction(sunset, lena):
    creator_services.creator_profile_update(user=lena, blocked_countries=["GB"])
    blocked = _client(REMOTE_ADDR=GB_IP)
    body = blocked.get("/api/v1/search", {"q": "sunsett"}).json()
    assert (body["posts"], body["correction"]) == ([], None)
    assert blocked.get("/api/v1/search/suggest", {"q": "sunsett"}).json()["correction"] is None
    assert _found("sunsett") == ([sunset.pk], "sunset")


def test_the_word_table_follows_publishing_edits_and_deletions(lena):
    draft = make_post(lena, text="alpha bravo", access="public", publish=False)
    assert _words() == set()  # drafts add nothing
    content_services.post_publish(user=lena, post_id=draft.pk)
    assert {"alpha", "bravo"} <= _words()  # in the publishing transaction
    content_services.post_update(user=lena, post_id=draft.pk, text="alpha charlie")
    assert {"alpha", "bravo", "charlie"} <= _words()  # new words at once
    assert _found("charlei") == ([draft.pk], "charlie")
    assert _found("bravvo") == ([], None)  # an old word finds nothing, so it is not offered
    services.search_words_rebuild()
    assert _words() == {"alpha", "charlie"}
    content_services.post_delete(user=lena, post_id=draft.pk)
    call_command("search_words_rebuild", verbosity=0)  # the management path (the hourly job's body)
    assert _words() == set()
    assert _found("charlei") == ([], None)


def test_scheduled_posts_add_their_words_when_they_go_live(lena):
    make_post(
        lena, text="quokka", access="public", publish=False, publish_at=timezone.now() + timedelta(hours=1)
    )
    assert "quokka" not in _words()
    assert content_services.posts_publish_due(now=timezone.now() + timedelta(hours=2)) == 1
    assert "quokka" in _words()


def test_rebuild_counts_posts_per_word(lena):
    for text in ("kiwi mango", "kiwi", "kiwi papaya"):
        make_post(lena, text=text, access="public")
    make_post(lena, text="kiwi secret", access="subscribers")
    result = services.search_words_rebuild()
    assert result.words == 3
    assert dict(SearchWord.objects.values_list("word", "ndoc")) == {"kiwi": 3, "mango": 1, "papaya": 1}
    assert services.search_words_rebuild().changed == 0  # nothing new: no row rewritten


def test_the_most_similar_word_wins_over_a_more_common_one(lena):
    make_post(lena, text="castle", access="public")
    for _ in range(2):
        make_post(lena, text="cattle", access="public")
    services.search_words_rebuild()
    # "casttle" is closer to "castle" (similarity) than to "cattle"
    assert _found("casttle")[1] == "castle"


def test_correction_costs_one_query_in_the_fallback(sunset, django_assert_num_queries):
    client = _client()
    client.get("/api/v1/search", {"q": "sunsett", "type": "posts"})
    # full text (nothing), the correction, the fallback page's ids, their cards
    with django_assert_num_queries(4):
        body = client.get("/api/v1/search", {"q": "sunsett", "type": "posts"}).json()
    assert body["correction"] == "sunset"


def test_correction_lookup_uses_the_word_indexes(sunset):
    # Enough words for the plan to be the one a real table gets, whatever the statistics say.
    SearchWord.objects.bulk_create(
        [
            SearchWord(word=f"{a}{b}{c}word", ndoc=1)
            for a in "abcdefghij"
            for b in "klmnopqrst"
            for c in "uvwxyz"
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_word")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + correction_selectors._CORRECTION_SQL,
            {
                "terms": ["sunsett", "golden"],
                "similarity": 0.4,
                "length_difference": 2,
                "min_length": 4,
                "last": chr(0x10FFFF),
            },
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_word_trgm" in plan, plan
    assert "search_word_pkey" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_the_hourly_job_rebuilds_the_word_table(make_user, run_jobs):
    import contextlib

    from procrastinate.exceptions import AlreadyEnqueued

    from fanclub.search.tasks import search_words_rebuild_task

    creator = make_creator(make_user, "lena")
    post = make_post(creator, text="alpha bravo", access="public")
    content_services.post_update(user=creator, post_id=post.pk, text="alpha")
    assert "bravo" in _words()
    with contextlib.suppress(AlreadyEnqueued):  # an earlier worker's periodic deferrer may have
        search_words_rebuild_task.defer(timestamp=0)
    run_jobs(queues=["search"])
    assert _words() == {"alpha"}
