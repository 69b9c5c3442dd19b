import pytest
from django.test import override_settings
from django_tasks import task

from search.engines import elasticsearch

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_component_and_200_when_healthy(client, settings):
    settings.ELASTICSEARCH_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search"] == {"ok": True, "engine": "database"}
    assert body["tasks"]["ok"] is True


def test_healthz_is_503_when_search_engine_is_down(client):
    elasticsearch.get_client.cache_clear()
    try:
        with override_settings(ELASTICSEARCH_URL="http://127.0.0.1:1"):
            response = client.get("/healthz")
    finally:
        elasticsearch.get_client.cache_clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["search"]["ok"] is False
    assert body["database"]["ok"] is True


def test_healthz_is_503_when_database_fails(client, monkeypatch):
    from config import health

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "RuntimeError: connection refused"}


def test_healthz_counts_waiting_tasks_on_the_database_queue(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    queued_noop.enqueue()
    body = client.get("/healthz").json()
    assert body["tasks"]["backend"] == "DatabaseBackend"
    assert body["tasks"]["waiting"] == 1


@task()
def queued_noop():
    """A task that is only ever queued, never run."""
