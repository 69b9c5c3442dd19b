"""The pytest suite: the DATABASE_URL and ELASTICSEARCH_URL given, fast hashing, quiet output."""

from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "feedback.sms.MemorySMSBackend"
ELASTICSEARCH_INDEX_PREFIX = "mrejesho-test"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "reports": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Staff sign-in: no second factor unless a test turns it on (tests/feedback/test_staff_auth.py).
STAFF_TWO_FACTOR_ROLES = []

# --- Abuse limits (feedback.limits) ---------------------------------------------------------
# The suite sends many submissions, sessions and messages from one address and a few phones
# within an hour (the cache table outlives transactional tests): the limits stay on, high;
# tests of a limit set their own (tests/feedback/test_limits.py, tests/channels/test_limits_*).
SUBMISSIONS_PER_ADDRESS = 100_000
SUBMISSIONS_PER_PHONE = 100_000
REFERENCE_LOOKUPS_PER_PHONE = 100_000
PIN_FAILURES_PER_PHONE = 100_000
USSD_SESSIONS_PER_PHONE = 100_000
SMS_MESSAGES_PER_PHONE = 100_000
# Windows are fixed: a per-minute rate tested by a few requests in a row would flake whenever a
# minute ends between them. An hour's window keeps the count; the rate is still the client's.
API_CLIENT_WINDOW_SECONDS = 60 * 60

# Issue 20: the page cache is off for the suite (transactional and browser tests commit to the
# cache table, and many tests change data under a page without publishing); its own tests
# (tests/config/test_page_cache.py) switch it on over the real database cache.
PUBLIC_PAGE_CACHE_SECONDS = 0
