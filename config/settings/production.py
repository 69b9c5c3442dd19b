"""Production: PostgreSQL, Elasticsearch, a task worker, SMTP and SMS; no unsafe settings."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import (
    ALLOW_CONSOLE_MESSAGES,
    AUDIT_CHAIN_KEY,
    CACHES,
    CONTACT_DIGEST_KEY,
    CONTACT_ENCRYPTION_KEYS,
    EMAIL_BACKEND,
    REPORTS_STORAGE,
    SECRET_KEY,
    SMS_BACKEND,
    env_bool,
)
from config.settings.guards import (
    check_audit_chain_key,
    check_contact_keys,
    check_message_backends,
    check_production_settings,
    check_shared_cache,
)

DEBUG = env_bool("DJANGO_DEBUG", False)
check_production_settings(secret_key=SECRET_KEY, debug=DEBUG)
check_audit_chain_key(audit_chain_key=AUDIT_CHAIN_KEY, secret_key=SECRET_KEY)
check_message_backends(
    email_backend=EMAIL_BACKEND, sms_backend=SMS_BACKEND, allow_console=ALLOW_CONSOLE_MESSAGES
)
# Contact details encrypted at rest (issue 19, contacts): keys of their own, never the defaults.
check_contact_keys(
    encryption_keys=CONTACT_ENCRYPTION_KEYS, digest_key=CONTACT_DIGEST_KEY, secret_key=SECRET_KEY
)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Issue 20: each web and worker process keeps its PostgreSQL connection for a minute instead of
# opening one per request. A page served from the page cache is two cache lookups; opening a
# connection for them cost more than the lookups (135 against 1,100 pages a second here).
# Checked before reuse (CONN_HEALTH_CHECKS), so a restarted PostgreSQL fails no request.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "reports": REPORTS_STORAGE,
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy, the
# HttpOnly cookies, CSP and Permissions-Policy: config/settings/base.py, in every environment.
# Issue 19: `manage.py check --deploy --fail-level WARNING` passes with nothing silenced
# (tests/config/test_deploy_check.py).
# A staff session (the only sessions that log in) lasts a working day, not Django's two weeks;
# a citizen's proof of a case expires sooner anyway (TRACKING_SESSION_SECONDS).
SESSION_COOKIE_AGE = 8 * 60 * 60

# Throttles (feedback.citizens) count in the cache: every process must share it.
check_shared_cache(CACHES)
