"""/healthz: "ok"/"fail" for the public; the details for staff with a role and for this machine
(config/health.py)."""

import pytest
from django.test import override_settings
from django_tasks import task

from search.engines import elasticsearch
from tests.feedback.factories import user

pytestmark = pytest.mark.django_db

STRANGER = {"REMOTE_ADDR": "203.0.113.7"}
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
DSN_ERROR = "could not connect to postgres://mrejesho:s3cret@db.internal:5432/mrejesho"


@pytest.fixture
def broken_database(monkeypatch):
    from config import health

    def broken():
        raise RuntimeError(DSN_ERROR)

    monkeypatch.setitem(health.CHECKS, "database", broken)


def test_the_public_reads_ok_as_plain_text_and_nothing_else(client, settings):
    settings.ELASTICSEARCH_URL = ""
    response = client.get("/healthz", **STRANGER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_the_public_reads_fail_and_no_error_text_when_a_part_is_down(client, broken_database):
    response = client.get("/healthz", **STRANGER)
    assert response.status_code == 503
    assert response.content == b"fail"


@pytest.mark.parametrize(
    "meta",
    [
        # A proxy on this host forwards everyone's requests from 127.0.0.1.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        {"REMOTE_ADDR": "::1", "HTTP_X_REAL_IP": "203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.7"},
        # The client wrote "127.0.0.1" itself; our one proxy appended the real address.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.7"},
        {"REMOTE_ADDR": "10.0.0.5"},
        {"REMOTE_ADDR": "localhost"},
    ],
    ids=["proxied-xff", "proxied-x-real-ip", "proxied-forwarded", "forged-xff", "lan", "junk"],
)
def test_a_request_through_a_proxy_or_from_elsewhere_is_not_local(client, settings, meta):
    settings.ELASTICSEARCH_URL = ""
    settings.TRUSTED_PROXY_COUNT = 1 if "forged" in str(meta) else 0
    response = client.get("/healthz", **meta)
    assert response.content == b"ok"


def test_a_staff_member_without_a_role_gets_no_details(client, settings):
    from django.contrib.auth import get_user_model

    settings.ELASTICSEARCH_URL = ""
    nobody = get_user_model().objects.create_user("no-role", is_staff=True)
    client.force_login(nobody)
    assert client.get("/healthz", **STRANGER).content == b"ok"


@pytest.mark.parametrize("username", ["officer", "auditor", "admin"])
def test_staff_with_a_role_read_each_component(client, settings, username):
    settings.ELASTICSEARCH_URL = ""
    client.force_login(user(username))
    response = client.get("/healthz", **STRANGER)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search"] == {"ok": True, "engine": "database"}
    assert body["tasks"]["ok"] is True


@pytest.mark.parametrize(
    ("meta", "proxies"),
    [
        (LOCAL, 0),
        ({"REMOTE_ADDR": "::1"}, 0),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}, 1),
    ],
    ids=["ipv4", "ipv6", "through-our-proxy-from-the-host"],
)
def test_this_machine_reads_the_details(client, settings, meta, proxies):
    settings.ELASTICSEARCH_URL = ""
    settings.TRUSTED_PROXY_COUNT = proxies
    body = client.get("/healthz", **meta).json()
    assert body["status"] == "ok" and body["database"]["ok"] is True


def test_details_are_503_when_search_engine_is_down(client):
    elasticsearch.client_for.cache_clear()
    try:
        with override_settings(ELASTICSEARCH_URL="http://127.0.0.1:1"):
            response = client.get("/healthz", **LOCAL)
    finally:
        elasticsearch.client_for.cache_clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["search"]["ok"] is False
    assert body["database"]["ok"] is True


def test_details_name_a_failure_by_its_class_never_its_message(client, broken_database):
    response = client.get("/healthz", **LOCAL)
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "RuntimeError"}
    assert b"s3cret" not in response.content and b"postgres://" not in response.content


def test_details_count_waiting_tasks_on_the_database_queue(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    queued_noop.enqueue()
    body = client.get("/healthz", **LOCAL).json()
    assert body["tasks"]["backend"] == "DatabaseBackend"
    assert body["tasks"]["waiting"] == 1


@task()
def queued_noop():
    """A task that is only ever queued, never run."""
