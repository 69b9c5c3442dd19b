"""The cache where throttles count: shared by every process, chosen by CACHE_URL."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import cache_from_url, page_cache_from
from config.settings.guards import check_shared_cache
from tests.config.test_settings_guard import PRODUCTION_KEYS, _manage

DB = "django.core.cache.backends.db.DatabaseCache"


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [
        ("", DB, "mrejesho_cache"),
        ("db://throttle_cache", DB, "throttle_cache"),
        (
            "redis://cache:6379/0",
            "django.core.cache.backends.redis.RedisCache",
            "redis://cache:6379/0",
        ),
        (
            "rediss://cache:6380/1",
            "django.core.cache.backends.redis.RedisCache",
            "rediss://cache:6380/1",
        ),
        (
            "memcached://cache:11211",
            "django.core.cache.backends.memcached.PyMemcacheCache",
            "cache:11211",
        ),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache", ""),
    ],
)
def test_cache_url_chooses_the_backend(url, backend, location):
    chosen = cache_from_url(url)
    assert (chosen["BACKEND"], chosen["LOCATION"]) == (backend, location)


def test_the_database_cache_keeps_far_more_than_djangos_300_rows():
    assert cache_from_url("")["OPTIONS"]["MAX_ENTRIES"] >= 100_000


def test_an_unknown_cache_url_is_refused_rather_than_guessed():
    with pytest.raises(ImproperlyConfigured, match="unknown scheme 'memcache'"):
        cache_from_url("memcache://cache:11211")


@pytest.mark.parametrize("url", ["locmem://", "dummy://"])
def test_production_guard_refuses_a_cache_of_one_process(url):
    with pytest.raises(ImproperlyConfigured, match="shared by every process"):
        check_shared_cache(caches_for(url))


@pytest.mark.parametrize(
    ("url", "pages"), [("", ""), ("redis://cache:6379/0", ""), ("memcached://a:11211", "redis://b")]
)
def test_production_guard_accepts_a_shared_cache(url, pages):
    check_shared_cache(caches_for(url, pages))


def caches_for(url: str, page_cache_url: str = "") -> dict:
    """CACHES as config/settings/base.py builds them from CACHE_URL and PAGE_CACHE_URL."""
    default = cache_from_url(url)
    return {"default": default, "pages": page_cache_from(default, page_cache_url)}


# --- Issue 20: the public page cache beside the throttles' ------------------------------------


@pytest.mark.parametrize(
    ("url", "pages_location"),
    [
        ("", "mrejesho_cache_pages"),
        ("db://throttle_cache", "throttle_cache_pages"),
        ("redis://cache:6379/0", "redis://cache:6379/1"),
        ("rediss://cache:6380", "rediss://cache:6380/1"),
        ("locmem://", "pages"),
    ],
)
def test_the_page_cache_gets_a_store_of_its_own_beside_the_default(url, pages_location):
    caches = caches_for(url)
    assert caches["pages"]["BACKEND"] == caches["default"]["BACKEND"]
    assert caches["pages"]["LOCATION"] == pages_location != caches["default"]["LOCATION"]


def test_memcached_needs_a_page_cache_url_of_its_own():
    with pytest.raises(ImproperlyConfigured, match="PAGE_CACHE_URL"):
        caches_for("memcached://cache:11211")
    assert caches_for("memcached://a:11211", "memcached://b:11211")["pages"]["LOCATION"] == (
        "b:11211"
    )


def test_production_guard_refuses_a_page_cache_of_one_process():
    with pytest.raises(ImproperlyConfigured, match="page cache must be shared"):
        check_shared_cache(caches_for("", "locmem://"))


def test_production_guard_refuses_a_page_cache_in_the_throttles_store():
    with pytest.raises(ImproperlyConfigured, match="must not share the throttles' store"):
        check_shared_cache(caches_for("redis://cache:6379/0", "redis://cache:6379/0"))


@pytest.mark.django_db
def test_createcachetable_creates_the_page_cache_table():
    from django.core.cache import caches
    from django.db import connection

    assert caches["pages"]._table in connection.introspection.table_names()


def test_production_settings_refuse_to_start_with_a_per_process_cache():
    result = _manage(
        "check",
        **PRODUCTION_KEYS,
        ALLOWED_HOSTS="example.org",
        EMAIL_HOST="smtp.example.org",
        ALLOW_CONSOLE_MESSAGES="1",
        CACHE_URL="locmem://",
    )
    assert result.returncode != 0
    assert "The cache must be shared by every process" in result.stderr
