"""The sliding-window rate limiter: the algorithm on both backends, then the middleware over HTTP."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from fanclub.core import ratelimit
from fanclub.core.ratelimit import Decision, MemoryBackend, RedisBackend, Rule
from fanclub.core.tests.assertions import assert_api_error

T0 = 1_700_000_040.0  # the start of a 60-second window (a multiple of 60)


@pytest.fixture(params=["memory", "redis"])
def backend(request) -> Iterator[ratelimit.Backend]:
    if request.param == "memory":
        yield MemoryBackend()
    else:
        yield RedisBackend(request.getfixturevalue("redis_url"))


@pytest.fixture
def key() -> str:
    """Unique per test, so tests never share counters in a Redis that outlives the run."""
    return f"test:{uuid.uuid4().hex}"


def _hits(backend, key, rule, now, count) -> list[Decision]:
    return [ratelimit.decide(backend, key, rule, now=now) for _ in range(count)]


def _clone(backend: MemoryBackend) -> MemoryBackend:
    copy = MemoryBackend()
    copy._counts = dict(backend._counts)
    return copy


class TestAlgorithm:
    def test_allows_exactly_the_limit_then_denies(self, backend, key):
        decisions = _hits(backend, key, Rule(5, 60), T0 + 10, 6)

        assert decisions[:5] == [Decision(True, 5, remaining, 50, 0) for remaining in (4, 3, 2, 1, 0)]
        # Next window: the 5 hits weigh 5 * (1 - t/60); one more fits once that is <= 4, at t = 12s.
        assert decisions[5] == Decision(False, 5, 0, 50, 50 + 12)

    def test_denied_requests_do_not_extend_the_block(self, backend, key):
        rule = Rule(5, 60)
        _hits(backend, key, rule, T0 + 10, 5)

        hammering = _hits(backend, key, rule, T0 + 30, 100)

        assert {(d.allowed, d.retry_after_seconds) for d in hammering} == {(False, 42)}
        assert ratelimit.decide(backend, key, rule, now=T0 + 72).allowed

    def test_previous_window_weighs_in_then_decays(self, backend, key):
        rule = Rule(5, 60)
        _hits(backend, key, rule, T0 + 10, 5)

        at_next_window = ratelimit.decide(backend, key, rule, now=T0 + 60)
        just_before = ratelimit.decide(backend, key, rule, now=T0 + 60 + 11.9)
        after_decay = ratelimit.decide(backend, key, rule, now=T0 + 60 + 12)

        assert at_next_window == Decision(False, 5, 0, 60, 12)
        assert just_before.allowed is False
        assert after_decay == Decision(True, 5, 0, 48, 0)

    def test_recovers_fully_after_two_windows(self, backend, key):
        rule = Rule(3, 60)
        _hits(backend, key, rule, T0, 4)

        assert _hits(backend, key, rule, T0 + 120, 4) == [
            Decision(True, 3, 2, 60, 0),
            Decision(True, 3, 1, 60, 0),
            Decision(True, 3, 0, 60, 0),
            Decision(False, 3, 0, 60, 60 + 20),
        ]

    def test_limit_of_one_waits_for_the_window_after_next(self, backend, key):
        rule = Rule(1, 10)
        assert ratelimit.decide(backend, key, rule, now=T0 + 3).allowed

        denied = ratelimit.decide(backend, key, rule, now=T0 + 3)

        assert denied.retry_after_seconds == 7 + 10
        assert not ratelimit.decide(backend, key, rule, now=T0 + 19.5).allowed
        assert ratelimit.decide(backend, key, rule, now=T0 + 20).allowed

    def test_keys_are_independent(self, backend, key):
        rule = Rule(1, 60)
        assert ratelimit.decide(backend, key + ":a", rule, now=T0).allowed
        assert not ratelimit.decide(backend, key + ":a", rule, now=T0).allowed

        assert ratelimit.decide(backend, key + ":b", rule, now=T0).allowed

    def test_concurrent_hits_never_exceed_the_limit(self, backend, key):
        rule = Rule(50, 60)
        results: list[bool] = []
        lock = threading.Lock()
        start = threading.Barrier(16)

        def hammer() -> None:
            start.wait()
            for _ in range(10):
                allowed = ratelimit.decide(backend, key, rule, now=T0 + 1).allowed
                with lock:
                    results.append(allowed)

        threads = [threading.Thread(target=hammer) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(results) == 160
        assert results.count(True) == 50


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(1, 12),
    window=st.integers(1, 120),
    gaps=st.lists(st.floats(0, 40, allow_nan=False), min_size=1, max_size=40),
)
def test_retry_after_is_exact_and_remaining_is_honest(limit, window, gaps):
    """Retry-After is the first whole second at which a request fits; Remaining is how many fit now."""
    backend, rule, now = MemoryBackend(), Rule(limit, window), T0
    for gap in gaps:
        now += gap
        decision = ratelimit.decide(backend, "k", rule, now=now)
        if decision.allowed:
            probe = _clone(backend)
            assert [
                ratelimit.decide(probe, "k", rule, now=now).allowed for _ in range(decision.remaining + 1)
            ] == [True] * decision.remaining + [False]
        else:
            wait = decision.retry_after_seconds
            assert ratelimit.decide(_clone(backend), "k", rule, now=now + wait).allowed
            if wait > 1:
                assert not ratelimit.decide(_clone(backend), "k", rule, now=now + wait - 1).allowed


def test_redis_and_memory_backends_decide_identically(redis_url, key):
    memory, redis_backend, rule = MemoryBackend(), RedisBackend(redis_url), Rule(4, 30)
    times = [
        T0 + offset for offset in (0, 1, 2, 3, 4, 5, 29.5, 30, 31, 35, 40, 44, 52, 59.9, 60, 61, 95, 200)
    ]

    assert [ratelimit.decide(memory, key, rule, now=t) for t in times] == [
        ratelimit.decide(redis_backend, key, rule, now=t) for t in times
    ]


def test_redis_counters_expire(redis_url, redis_client, key):
    ratelimit.decide(RedisBackend(redis_url), key, Rule(3, 30), now=T0)

    (name,) = redis_client.keys(f"rl:{key}:*")
    assert 0 < redis_client.ttl(name) <= 60


def test_headers():
    assert ratelimit.headers_for(Decision(True, 10, 7, 42, 0)) == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "7",
        "RateLimit-Reset": "42",
    }
    assert ratelimit.headers_for(Decision(False, 10, 0, 42, 51)) == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "42",
        "Retry-After": "51",
    }


def test_rules_come_from_settings_unless_the_route_declares_one(settings, monkeypatch):
    settings.RATE_LIMIT_ANON_PER_MINUTE = 7
    settings.RATE_LIMIT_USER_PER_MINUTE = 70
    monkeypatch.setitem(ratelimit.ROUTE_LIMITS, "accounts:sign-in", Rule(3, 600))

    assert ratelimit.rules_for("landing", authenticated=False) == Rule(7, 60)
    assert ratelimit.rules_for("landing", authenticated=True) == Rule(70, 60)
    assert ratelimit.rules_for(None, authenticated=False) == Rule(7, 60)
    assert ratelimit.rules_for("accounts:sign-in", authenticated=True) == Rule(3, 600)


# --- Over HTTP: RateLimitMiddleware ------------------------------------------------------------------


def _ip() -> str:
    """A fresh client address per test, so counters never collide (Redis outlives a test)."""
    value = uuid.uuid4().int
    return f"10.{value % 250}.{(value >> 8) % 250}.{(value >> 16) % 250 + 1}"


@pytest.fixture(params=["memory", "redis"])
def http_backend(request):
    if request.param == "redis":
        ratelimit.set_backend(RedisBackend(request.getfixturevalue("redis_url")))
    else:
        ratelimit.set_backend(MemoryBackend())


@pytest.fixture
def creators_limited_to_3(monkeypatch):
    monkeypatch.setitem(ratelimit.ROUTE_LIMITS, "api:list_creators", Rule(3, 60))


@pytest.mark.django_db
@pytest.mark.usefixtures("http_backend", "creators_limited_to_3")
class TestMiddleware:
    def test_per_ip_limit_with_headers(self, client):
        ip = _ip()
        responses = [client.get("/api/v1/creators", REMOTE_ADDR=ip) for _ in range(4)]

        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        assert {r["RateLimit-Limit"] for r in responses} == {"3"}
        assert all(1 <= int(r["RateLimit-Reset"]) <= 60 for r in responses)
        assert [r.has_header("Retry-After") for r in responses] == [False, False, False, True]
        assert 1 <= int(responses[3]["Retry-After"]) <= 120
        assert_api_error(responses[3], status=429, code="rate_limited")

    def test_other_addresses_and_other_routes_are_not_affected(self, client):
        ip = _ip()
        for _ in range(3):
            client.get("/api/v1/creators", REMOTE_ADDR=ip)
        assert client.get("/api/v1/creators", REMOTE_ADDR=ip).status_code == 429

        assert client.get("/api/v1/creators", REMOTE_ADDR=_ip()).status_code == 200
        other_route = client.get("/", REMOTE_ADDR=ip)
        assert other_route.status_code == 200
        assert other_route["RateLimit-Limit"] == "300"

    def test_per_user_limit_follows_the_user_across_addresses(self, make_user):
        user = make_user()
        signed_in = Client()
        signed_in.force_login(user)

        statuses = [signed_in.get("/api/v1/creators", REMOTE_ADDR=_ip()).status_code for _ in range(4)]

        assert statuses == [200, 200, 200, 429]
        assert Client().get("/api/v1/creators", REMOTE_ADDR=_ip()).status_code == 200

    def test_html_pages_get_the_429_page(self, client, settings):
        settings.RATE_LIMIT_ANON_PER_MINUTE = 2
        ip = _ip()
        responses = [client.get("/", REMOTE_ADDR=ip) for _ in range(3)]

        assert [r.status_code for r in responses] == [200, 200, 429]
        blocked = responses[2]
        assert blocked["Content-Type"] == "text/html; charset=utf-8"
        assert b"Too many requests" in blocked.content
        assert f"Try again in {blocked['Retry-After']} seconds.".encode() in blocked.content
        assert blocked["RateLimit-Limit"] == "2"

    def test_signed_in_users_get_the_user_limit(self, make_user, settings):
        settings.RATE_LIMIT_ANON_PER_MINUTE = 1
        settings.RATE_LIMIT_USER_PER_MINUTE = 2
        signed_in = Client()
        signed_in.force_login(make_user())
        ip = _ip()

        assert [signed_in.get("/", REMOTE_ADDR=ip).status_code for _ in range(3)] == [200, 200, 429]

    def test_operations_on_one_path_have_their_own_rules(self, make_user, monkeypatch):
        monkeypatch.setitem(ratelimit.ROUTE_LIMITS, "api:update_me", Rule(1, 60))
        user = make_user()
        signed_in = Client()
        signed_in.force_login(user)
        ip = _ip()

        def patch(name: str):
            body = json.dumps({"displayName": name})
            return signed_in.patch("/api/v1/me", body, content_type="application/json", REMOTE_ADDR=ip)

        assert patch("Once").status_code == 200
        denied = patch("Twice")
        assert denied.status_code == 429
        assert denied["RateLimit-Limit"] == "1"
        user.refresh_from_db()
        assert user.display_name == "Once"
        reading = signed_in.get("/api/v1/me", REMOTE_ADDR=ip)
        assert reading.status_code == 200
        assert reading["RateLimit-Limit"] == "600"

    def test_health_and_metrics_endpoints_are_exempt(self, client, settings):
        settings.RATE_LIMIT_ANON_PER_MINUTE = 1
        ip = _ip()

        for path in ("/healthz", "/metrics"):
            responses = [client.get(path, REMOTE_ADDR=ip) for _ in range(3)]
            assert [r.status_code for r in responses] == [200, 200, 200]
            assert not responses[0].has_header("RateLimit-Limit")

    def test_disabled_limiter_never_blocks(self, client, settings):
        settings.RATE_LIMIT_ENABLED = False
        ip = _ip()

        responses = [client.get("/api/v1/creators", REMOTE_ADDR=ip) for _ in range(5)]

        assert [r.status_code for r in responses] == [200] * 5
        assert not responses[0].has_header("RateLimit-Limit")

    def test_forwarded_for_is_ignored_without_trusted_proxies(self, client, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        ip = _ip()

        statuses = [
            client.get("/api/v1/creators", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=_ip()).status_code
            for _ in range(4)
        ]

        assert statuses == [200, 200, 200, 429]

    def test_forwarded_for_names_the_client_behind_a_trusted_proxy(self, client, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        proxy, real_client = _ip(), _ip()

        def via_proxy(spoofed: str):
            forwarded = f"{spoofed}, {real_client}"
            return client.get("/api/v1/creators", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)

        # The left-most entry is whatever the client claimed; the proxy appended the real address.
        assert [via_proxy(_ip()).status_code for _ in range(4)] == [200, 200, 200, 429]
        other_client = client.get("/api/v1/creators", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=_ip())
        assert other_client.status_code == 200
