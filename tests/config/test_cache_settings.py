"""The cache where throttles count: shared by every process, chosen by CACHE_URL."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import cache_from_url
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
        check_shared_cache({"default": cache_from_url(url)})


@pytest.mark.parametrize("url", ["", "redis://cache:6379/0", "memcached://cache:11211"])
def test_production_guard_accepts_a_shared_cache(url):
    check_shared_cache({"default": cache_from_url(url)})


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
