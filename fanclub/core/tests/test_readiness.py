"""/healthz says the process is alive; /readyz says which dependency stops it from serving."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def unwritable_media(tmp_path, settings):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = str(blocker / "media")


def test_healthz_is_ok_without_touching_any_dependency(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_200_when_everything_is_up(client, running_worker):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": ""},
            "storage": {"ok": True, "detail": ""},
            "worker": {"ok": True, "detail": "1 alive"},
        },
        "failing": [],
    }


def test_readyz_checks_redis_when_it_is_configured(client, running_worker, redis_url, settings):
    settings.REDIS_URL = redis_url

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"ok": True, "detail": ""}


def test_readyz_names_redis_when_it_stops(client, running_worker, private_redis, settings):
    settings.REDIS_URL = private_redis.url
    assert client.get("/readyz").status_code == 200

    private_redis.stop()
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"] == {"ok": False, "detail": "ConnectionError"}
    assert client.get("/healthz").status_code == 200


def test_readyz_names_the_worker_when_no_heartbeat_is_fresh(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"] == {"ok": False, "detail": "no worker heartbeat in the last 60s"}
    assert client.get("/healthz").status_code == 200


def test_readyz_names_the_worker_once_it_has_stopped(client, worker_thread):
    worker_thread.start()
    assert client.get("/readyz").status_code == 200

    worker_thread.stop()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_readyz_names_storage_when_media_is_unwritable(client, running_worker, unwritable_media):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["storage"]
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["storage"]["detail"] in {"NotADirectoryError", "FileExistsError"}
    assert client.get("/healthz").status_code == 200


def test_readyz_names_every_failing_part_at_once(client, private_redis, settings, unwritable_media):
    settings.REDIS_URL = private_redis.url
    private_redis.stop()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["redis", "storage", "worker"]


def test_readyz_leaves_no_probe_file_behind(client, running_worker, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    assert client.get("/readyz").status_code == 200

    assert [path for path in (tmp_path / "media").rglob("*") if path.is_file()] == []
