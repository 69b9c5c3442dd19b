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
