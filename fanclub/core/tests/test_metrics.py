"""/metrics: Prometheus text with request, latency, query, job and worker metrics."""

from __future__ import annotations

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from fanclub.accounts import tasks as account_tasks
from fanclub.core.tests.assertions import assert_api_error

pytestmark = pytest.mark.django_db

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_method_and_status(client):
    before = scrape(client)

    client.get("/api/v1/creators")
    client.get("/api/v1/creators")
    client.get("/api/v1/me")
    client.get("/api/v1/no-such-endpoint")
    after = scrape(client)

    def delta(route: str, status: str) -> float:
        labels = {"route": route, "method": "GET", "status": status}
        return value(after, "fanclub_http_requests_total", **labels) - value(
            before, "fanclub_http_requests_total", **labels
        )

    assert delta("/api/v1/creators", "200") == 2
    assert delta("/api/v1/me", "401") == 1
    assert delta("unmatched", "404") == 1
    # The first scrape itself was counted once it had been served.
    assert delta("/metrics", "200") == 1


def test_latency_histogram_by_route(client):
    before = scrape(client)

    client.get("/healthz")
    after = scrape(client)

    labels = {"route": "/healthz", "method": "GET"}
    count = "fanclub_http_request_duration_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 1
    assert value(after, "fanclub_http_request_duration_seconds_sum", **labels) > value(
        before, "fanclub_http_request_duration_seconds_sum", **labels
    )
    bucket = "fanclub_http_request_duration_seconds_bucket"
    assert value(after, bucket, le="+Inf", **labels) - value(before, bucket, le="+Inf", **labels) == 1
    buckets = sorted(
        float(dict(key[1])["le"]) for key in after if key[0] == bucket and dict(key[1])["route"] == "/healthz"
    )
    assert buckets == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]


def test_database_queries_per_request_histogram(client):
    before = scrape(client)

    client.get("/api/v1/creators")  # one query: the page of creators
    after = scrape(client)

    labels = {"route": "/api/v1/creators"}
    name = "fanclub_http_db_queries_per_request"
    assert value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels) == 1
    assert value(after, f"{name}_sum", **labels) - value(before, f"{name}_sum", **labels) == 1
    assert value(after, f"{name}_bucket", le="0.0", **labels) == value(
        before, f"{name}_bucket", le="0.0", **labels
    )
    assert (
        value(after, f"{name}_bucket", le="1.0", **labels)
        - value(before, f"{name}_bucket", le="1.0", **labels)
        == 1
    )


def test_jobs_by_queue_and_status(client, make_user):
    before = scrape(client)

    make_user()  # queues the avatar job, in this (test) transaction
    account_tasks.user_avatar_generate_task.defer(user_id=0)
    after = scrape(client)

    labels = {"queue": "accounts", "status": "todo"}
    assert value(after, "fanclub_jobs", **labels) - value(before, "fanclub_jobs", **labels) == 2


def test_worker_heartbeat_gauge(client, running_worker):
    samples = scrape(client)

    age = value(samples, "fanclub_worker_heartbeat_age_seconds", worker_id=str(running_worker))
    assert (
        "fanclub_worker_heartbeat_age_seconds",
        frozenset({("worker_id", str(running_worker))}),
    ) in samples
    assert -5 < age < 15
    assert value(samples, "fanclub_workers_seen") >= 1


def test_token_is_required_when_configured(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    bare = client.get("/metrics", headers={"Authorization": "s3cret-metrics-token-but-longer"})

    for response in (missing, wrong, bare):
        error = assert_api_error(response, status=401, code="unauthorized", details=None)
        assert error["message"] == "A valid metrics token is required."
        assert b"fanclub_http_requests_total" not in response.content
    assert "fanclub_http_requests_total" in {
        name for name, _ in scrape(client, Authorization="Bearer s3cret-metrics-token")
    }


def test_no_token_needed_when_none_is_configured(client, settings):
    settings.METRICS_TOKEN = ""

    assert scrape(client)


@pytest.mark.parametrize("seconds", [0, 0.001, 0.005, 0.0050001, 0.3, 10, 11, 1e9])
def test_buffered_request_metrics_equal_what_prometheus_client_would_record(seconds):
    import uuid

    from prometheus_client import CollectorRegistry, Counter, Histogram

    from fanclub.core import metrics

    route = f"/test/{uuid.uuid4().hex}"
    metrics.record_request(route=route, method="GET", status=200, seconds=seconds, queries=3)
    metrics.flush()

    registry = CollectorRegistry()
    expected_requests = Counter("r", "r", ["route", "method", "status"], registry=registry)
    expected_latency = Histogram(
        "l", "l", ["route", "method"], buckets=metrics.LATENCY._kwargs["buckets"], registry=registry
    )
    expected_queries = Histogram(
        "q", "q", ["route"], buckets=metrics.DB_QUERIES._kwargs["buckets"], registry=registry
    )
    expected_requests.labels(route, "GET", "200").inc()
    expected_latency.labels(route, "GET").observe(seconds)
    expected_queries.labels(route).observe(3)

    def samples(metric) -> list[tuple[str, str, float]]:
        return [
            (sample.name[len(family.name) :], sample.labels.get("le", ""), sample.value)
            for family in metric.collect()
            for sample in family.samples
            if sample.labels.get("route") == route and not sample.name.endswith("_created")
        ]

    assert samples(metrics.REQUESTS) == samples(expected_requests)
    assert samples(metrics.LATENCY) == samples(expected_latency)
    assert samples(metrics.DB_QUERIES) == samples(expected_queries)


def test_buffered_metrics_reach_the_values_without_a_scrape_or_another_request():
    import time

    from fanclub.core import metrics

    child = metrics.REQUESTS.labels("/test/idle", "GET", "200")
    metrics.flush()  # starts this process's flusher; the request below is then not written by itself
    before = child._value.get()
    metrics.record_request(route="/test/idle", method="GET", status=200, seconds=0.01, queries=0)
    deadline = time.monotonic() + 5 * metrics.FLUSH_SECONDS
    while child._value.get() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child._value.get() == before + 1  # written by the flusher thread, the process stayed idle


@pytest.mark.django_db(transaction=True)
def test_queries_are_counted_after_the_connection_is_reopened(client):
    from django.db import connection

    from fanclub.core.middleware import _count_query

    connection.close()  # the next query connects anew; the counter must still see it
    before = scrape(client)
    client.get("/api/v1/creators")
    after = scrape(client)

    name = "fanclub_http_db_queries_per_request_sum"
    labels = {"route": "/api/v1/creators"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    assert connection.execute_wrappers.count(_count_query) == 1  # installed once, not per connect
