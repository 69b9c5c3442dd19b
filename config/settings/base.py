"""Settings shared by every environment; the only module that reads the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.settings.guards import (
    DEVELOPMENT_AUDIT_CHAIN_KEY,
    DEVELOPMENT_CONTACT_DIGEST_KEY,
    DEVELOPMENT_CONTACT_ENCRYPTION_KEY,
    DEVELOPMENT_SECRET_KEY,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "feedback",
    "pages",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "treebeard",
    "django_filters",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    # Staff sign-in: lock-out and two-factor (see "Staff sign-in" below).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",  # issue 19, response headers: the {% csp_nonce %} tag and django-csp's checks
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Issue 19, response headers (config/csp.py, the block "Response headers" below): CSP on
    # every answer (a stricter-than-Wagtail-needs one under /admin/), Permissions-Policy.
    "config.csp.PathCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Moved up from below (issue 19): so the early answers (413, 400, 503) carry it too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Issue 20, the public page cache (config/page_cache.py). ETags outside the cache, so an
    # answer from the cache gets its 304 too (and the same ETag: the kept bytes are the same).
    "django.middleware.http.ConditionalGetMiddleware",
    # Outside the compression: pages are kept compressed, keyed by Accept-Encoding.
    "config.page_cache.UpdatePageCacheMiddleware",
    # zstd, Brotli or gzip, as the client accepts (django-compression-middleware). Not Django's
    # GZipMiddleware: gzip only. Its random padding against BREACH is not needed here: the
    # only secrets in pages are CSRF tokens, which Django masks afresh in every answer, and the
    # PIN and a citizen's case, whose pages are marked no-store and left uncompressed.
    "config.page_cache.PageCompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers CORS preflights before anything else; adds nothing unless CORS_ALLOWED_ORIGINS.
    "corsheaders.middleware.CorsMiddleware",
    "config.language.LocaleMiddleware",
    # Before anything reads the body (CSRF does); after the locale, so the 413 speaks Swahili.
    "config.request_limits.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After LocaleMiddleware so its 400 page speaks the visitor's language.
    "config.middleware.UnreadableInputMiddleware",
    # Outside the page cache's fetch: it reads the CSRF cookie, and sets it on a kept form
    # page answered from the cache (config/page_cache.keep_form_page) as on a fresh one.
    "django.middleware.csrf.CsrfViewMiddleware",
    # After LocaleMiddleware (the key holds the language), before the session and the user are
    # touched: a page from the cache costs its two cache lookups and nothing else.
    "config.page_cache.FetchPageCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff sign-in: request.user.is_verified(), then the admin asks for the second factor.
    "django_otp.middleware.OTPMiddleware",
    "feedback.workspace.two_factor.TwoFactorMiddleware",
    # The admin language a staff member chose: remembered for the login page, named in
    # Content-Language (Wagtail itself renders each admin view in it).
    "config.language.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.DatabaseBusyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Staff sign-in: turns a lock-out flagged during the request into the lock-out page. Last,
    # as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Development's SQLite file: WAL lets readers go on while one request writes; IMMEDIATE
    # takes the write lock when a transaction starts, so concurrent writers wait their turn
    # (up to `timeout` seconds) instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url: str) -> dict:
    """One CACHES entry from CACHE_URL. Throttles must be shared by every process and survive a
    restart, so the default is a table in the database (`manage.py createcachetable`).

    redis://host:6379/0 (or rediss://): Redis, needs the `redis` package; memcached://host:11211:
    Memcached, needs `pymemcache`; locmem:// and dummy:// only for a single developer process.
    """
    scheme, _sep, rest = url.partition("://")
    if not url or scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": rest or "mrejesho_cache",
            # Past MAX_ENTRIES (Django's default: 300) the table drops a third of its live rows,
            # throttle counts among them; each write counts the rows, so not unbounded either.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    backends = {
        "redis": ("django.core.cache.backends.redis.RedisCache", url),
        "rediss": ("django.core.cache.backends.redis.RedisCache", url),
        "memcached": ("django.core.cache.backends.memcached.PyMemcacheCache", rest),
        "locmem": ("django.core.cache.backends.locmem.LocMemCache", rest),
        "dummy": ("django.core.cache.backends.dummy.DummyCache", rest),
    }
    if scheme not in backends:
        raise ImproperlyConfigured(
            f"CACHE_URL: unknown scheme {scheme!r} (use db, redis, rediss, memcached, locmem)."
        )
    backend, location = backends[scheme]
    return {"BACKEND": backend, "LOCATION": location}


def page_cache_from(default: dict, page_cache_url: str) -> dict:
    """The CACHES entry of the public page cache (config.page_cache): PAGE_CACHE_URL, or the
    default cache's store beside it. Clearing it must never wipe the throttles' counters, and
    Redis's and Memcached's clear() empty the whole database or server: so a table of its own
    on the database cache, the next database number on Redis (redis://host:6379/0 gives /1),
    and Memcached needs its own PAGE_CACHE_URL (a second server)."""
    if page_cache_url:
        return cache_from_url(page_cache_url)
    backend = default["BACKEND"]
    if backend.endswith("DatabaseCache"):
        return {**default, "LOCATION": f"{default['LOCATION']}_pages"}
    if backend.endswith("RedisCache"):
        server, _slash, number = default["LOCATION"].rpartition("/")
        if not number.isdigit():
            server, number = default["LOCATION"].rstrip("/"), "0"
        return {**default, "LOCATION": f"{server}/{int(number) + 1}"}
    if backend.endswith("LocMemCache"):
        return {**default, "LOCATION": "pages"}
    if backend.endswith("DummyCache"):
        return default
    raise ImproperlyConfigured(
        "PAGE_CACHE_URL: give the page cache a Memcached server of its own (clearing the pages "
        "flushes the whole server, the abuse limits' counters with it)."
    )


CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", ""))}
# Issue 20: public pages kept between publications (config/page_cache.py). `manage.py
# createcachetable` creates the table of every database cache, this one's too.
CACHES["pages"] = page_cache_from(CACHES["default"], os.environ.get("PAGE_CACHE_URL", ""))
# Seconds a public page is kept on the server between publications (it is cleared when an
# editor publishes, an outcome or a service changes); 0 switches the page cache off entirely.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "86400"))
# The performance pages and the audit chain heads change with every case action: kept this
# long instead of being cleared on each action (never longer than PUBLIC_PAGE_CACHE_SECONDS).
PERFORMANCE_PAGE_CACHE_SECONDS = int(os.environ.get("PERFORMANCE_PAGE_CACHE_SECONDS", "300"))
# `Cache-Control: public, max-age=...` on those pages: how long a browser, CDN or reverse proxy
# may reuse one without asking again (then it revalidates with the ETag and gets a 304).
PUBLIC_PAGE_MAX_AGE = int(os.environ.get("PUBLIC_PAGE_MAX_AGE", "60"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: English and Swahili, in the interface and in the page trees.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sw", _("Kiswahili"))]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# Our own catalogue first (it wins where a msgid is in both), then our Swahili of Wagtail's own
# admin strings: Wagtail ships no Swahili. locale/wagtail/ is kept apart so that
# `make makemessages --no-obsolete` (which only rewrites locale/) never drops its msgids;
# scripts/wagtail_catalogue.py refreshes it from the installed Wagtail and counts coverage.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "wagtail"]
# Staff choose the admin's language in their account (Wagtail's UserProfile.preferred_language):
# exactly the two the project speaks. Unset, the admin follows the request's language.
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("sw", "Kiswahili")]
# Wagtail's sign-in form, its password label made translatable (Wagtail leaves it unlabelled).
WAGTAILADMIN_USER_LOGIN_FORM = "feedback.workspace.staff_language_hooks.StaffLoginForm"
TIME_ZONE = os.environ.get("TIME_ZONE", "Africa/Dar_es_Salaam")
USE_I18N = True
USE_TZ = True

# The country whose public holidays count as non-working days (ISO 3166 code).
HOLIDAYS_COUNTRY = os.environ.get("HOLIDAYS_COUNTRY", "TZ")
# The country whose numbering plan reads a local phone number (0712 ...) (ISO 3166 code).
PHONE_REGION = os.environ.get("PHONE_REGION", "TZ")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
# Files browsers and crawlers ask for at the site's root (/favicon.ico), served by whitenoise.
WHITENOISE_ROOT = BASE_DIR / "site" / "root"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Reports generated in the background: private, outside MEDIA_ROOT (no URL serves the folder);
# feedback.reports.admin_views hands each file to the user who asked for it, and no one else.
REPORTS_ROOT = Path(os.environ.get("REPORTS_ROOT", BASE_DIR / "private" / "reports"))
REPORTS_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": REPORTS_ROOT, "base_url": None},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "reports": REPORTS_STORAGE,
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Search: the database's own full-text search unless an Elasticsearch URL is given.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "mrejesho")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Background tasks: in-process by default; TASKS_BACKEND=database queues them for a worker.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {
    "default": {"BACKEND": TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "immediate")]},
}

# E-mail: printed to the console unless an SMTP host is given.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mrejesho <no-reply@mrejesho.local>")

# SMS gateway: printed to the console unless a gateway is chosen.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "feedback.sms.ConsoleSMSBackend")
# Console backends print PINs, phone numbers and addresses to the log: production refuses
# them (config.settings.guards) unless this says so on purpose.
ALLOW_CONSOLE_MESSAGES = env_bool("ALLOW_CONSOLE_MESSAGES")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "MREJESHO")
AFRICASTALKING_USERNAME = os.environ.get("AFRICASTALKING_USERNAME", "")
AFRICASTALKING_API_KEY = os.environ.get("AFRICASTALKING_API_KEY", "")
AFRICASTALKING_API_URL = os.environ.get(
    "AFRICASTALKING_API_URL", "https://api.africastalking.com/version1/messaging"
)

# USSD and SMS (feedback/channels/ussd.py, sms.py): the code citizens dial and the number they
# text, shown on the home page and in every SMS; with none set, the site does not promise the
# channel. The gateway's callbacks may be held to a shared secret (the callback URL's
# `?secret=`, as Africa's Talking's callback settings allow) and to source addresses
# (comma-separated addresses or networks, e.g. "196.201.214.0/24"); empty: not checked.
USSD_CODE = os.environ.get("USSD_CODE", "")
SMS_SHORT_NUMBER = os.environ.get("SMS_SHORT_NUMBER", "")
CHANNEL_SHARED_SECRET = os.environ.get("CHANNEL_SHARED_SECRET", "")
CHANNEL_ALLOWED_ADDRESSES = [
    part.strip() for part in os.environ.get("CHANNEL_ALLOWED_ADDRESSES", "").split(",") if part
]

WAGTAIL_SITE_NAME = "Mrejesho"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

LOGIN_URL = "wagtailadmin_login"

# --- Staff sign-in: lock-out (django-axes) and two-factor authentication (django-otp) ---
# (issue 19; feedback/workspace/two_factor.py). Passwords only: the APIs, USSD and SMS use
# keys and their own limits.
# Axes first: it refuses a locked-out account before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Locked per username, from any address: many agents share a service point's address (an
# address lock would shut them all out), and guessing spread over many addresses is still
# counted. The price: anyone who knows a username can lock that account, so the lock is short
# and an administrator can lift it (`manage.py axes_reset_username USERNAME`).
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address among the parameters, lest rotating browsers or cookies slip
# past a lock; a lock on the username alone holds whatever the attacker rotates.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_FAILURE_LIMIT = int(os.environ.get("STAFF_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("STAFF_LOGIN_COOLOFF_MINUTES", "15")))
# A success does not wipe the count: whoever holds the password cannot sign in again to earn
# fresh tries at the second factor (wrong codes count here too).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "feedback.workspace.sign_in.locked_out"
# The same trusted-proxy rule as the citizens' limits.
AXES_CLIENT_IP_CALLABLE = "feedback.tracking.client_address"
# Addresses and browsers are personal data: no log of successful sign-ins, no permanent log of
# failures; failure counts (AccessAttempt) are deleted by the daily sweep once cooled off.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "otp_token",
    "csrfmiddlewaretoken",
]
# Who must use a second factor: role values of feedback.models.Role (superusers count as
# "admin"). Comma list in the environment; set it empty for nobody.
STAFF_TWO_FACTOR_ROLES = env_list("STAFF_TWO_FACTOR_ROLES", "auditor,lead,oversight,admin")
OTP_TOTP_ISSUER = "Mrejesho"
# How long a session trusts what it remembered about its user's devices (none, or some) before
# asking the device tables again: an enrolment in another browser reaches older sessions then.
STAFF_TWO_FACTOR_RECHECK_SECONDS = int(os.environ.get("STAFF_TWO_FACTOR_RECHECK_SECONDS", "300"))
# --- end of staff sign-in ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Every page save and task run is logged at INFO; keep the console for what matters.
        "django_tasks": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # django-axes writes usernames, addresses and browsers into its messages; our own
        # lock-out warning (feedback.workspace.two_factor) names no one.
        "axes": {"level": "ERROR"},
    },
}

# Audit: history rows get UUIDs so a row's hash can cover its own identity.
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# The HMAC key of the audit hash chain: kept out of the database, so that database access alone
# cannot recompute the chain after an edit. Production refuses the development default.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", DEVELOPMENT_AUDIT_CHAIN_KEY)

# Charter used when a case has no service (screening, or referred to another institution).
DEFAULT_CHARTER_DAYS = {"acknowledge": 3, "resolve": 20, "reopen_window": 10}

# Wrong PINs (feedback.citizens), counted per reference in the shared cache: a few free tries,
# then each further try waits twice as long as the one before, up to a cap. Guessing slows to
# a few a day, and nobody can lock the owner out for longer than the cap.
PIN_FREE_ATTEMPTS = 5
PIN_BACKOFF_FIRST_SECONDS = 60
PIN_BACKOFF_MAX_SECONDS = 6 * 60 * 60
PIN_FAILURES_REMEMBERED_SECONDS = 30 * 24 * 60 * 60
# Per client address the limits are far higher: mobile networks, service points and cyber
# cafés put many citizens behind one address.
PIN_FAILURES_PER_ADDRESS = 100
PIN_ADDRESS_WINDOW_SECONDS = 60 * 60
REFERENCE_LOOKUPS_PER_ADDRESS = 120
REFERENCE_LOOKUP_WINDOW_SECONDS = 10 * 60
# Forgot your PIN?: new PINs sent per reference and per client address within the window.
PIN_RESET_MAX_PER_REFERENCE = 3
PIN_RESET_MAX_PER_CLIENT = 20
PIN_RESET_WINDOW_SECONDS = 24 * 60 * 60


# --- Abuse limits (feedback.limits: the table of what each one counts) ----------------------
# Fixed windows in the shared cache. Every count may be changed here or from the environment
# (a load test from one address raises SUBMISSIONS_PER_ADDRESS; never turn a limit off in code).
def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


# Submissions (web form, USSD, SMS) per client address and per phone number; API clients have
# their own rate. Service points and cyber cafés share one address: keep it above a desk's hour.
SUBMISSIONS_PER_ADDRESS = env_int("SUBMISSIONS_PER_ADDRESS", 10)
SUBMISSIONS_PER_PHONE = env_int("SUBMISSIONS_PER_PHONE", 5)
SUBMISSIONS_WINDOW_SECONDS = env_int("SUBMISSIONS_WINDOW_SECONDS", 60 * 60)
# A phone is one person: far lower than the per-address limits above.
REFERENCE_LOOKUPS_PER_PHONE = env_int("REFERENCE_LOOKUPS_PER_PHONE", 30)
PIN_FAILURES_PER_PHONE = env_int("PIN_FAILURES_PER_PHONE", 20)
# USSD sessions started and SMS received per phone (each SMS answer costs money).
USSD_SESSIONS_PER_PHONE = env_int("USSD_SESSIONS_PER_PHONE", 20)
USSD_SESSIONS_WINDOW_SECONDS = env_int("USSD_SESSIONS_WINDOW_SECONDS", 60 * 60)
SMS_MESSAGES_PER_PHONE = env_int("SMS_MESSAGES_PER_PHONE", 30)
SMS_MESSAGES_WINDOW_SECONDS = env_int("SMS_MESSAGES_WINDOW_SECONDS", 60 * 60)
# An API client's rate is its own (ApiClient.requests_per_minute); this window measures it.
API_CLIENT_DEFAULT_REQUESTS_PER_MINUTE = env_int("API_CLIENT_DEFAULT_REQUESTS_PER_MINUTE", 60)
API_CLIENT_WINDOW_SECONDS = 60
# --- end of abuse limits --------------------------------------------------------------------
# How long a browser stays trusted with a case after its PIN (shared computers are common).
TRACKING_SESSION_SECONDS = 30 * 60
# How many reverse proxies of ours append to X-Forwarded-For (0: use the socket's address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Attachments: what a citizen may upload, judged by content rather than by name.
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_FILES = 3
# Decoding a picture takes memory in proportion to its pixels, not its bytes (a 109 KB PNG can
# claim 900 million): 40 million is more than a phone's camera gives by default.
ATTACHMENT_MAX_PIXELS = 40_000_000
# The largest request body read at all (config.request_limits answers 413 beyond it): every
# file at its limit plus the form. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE does not count
# files. The reverse proxy in front should refuse the same size (README, "Production").
REQUEST_BODY_MAX_BYTES = int(
    os.environ.get(
        "REQUEST_BODY_MAX_BYTES", ATTACHMENT_MAX_FILES * ATTACHMENT_MAX_BYTES + 1024 * 1024
    )
)
ATTACHMENT_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}

# The public address of the site, for links in SMS and e-mail.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Working days after closure (or rejection) within which a citizen may appeal.
APPEAL_WINDOW_DAYS = 30

# Days after which an unfinished web submission (and its uploaded files) is deleted.
DRAFT_MAX_AGE_DAYS = 7

# Days a finished background task's row is kept (it holds ids only) before the sweep deletes it.
TASK_RESULT_RETENTION_DAYS = int(os.environ.get("TASK_RESULT_RETENTION_DAYS", "14"))

# Reports in the admin: a scope with more cases than this is generated by a background task
# (progress page, then a link) instead of in the request; its file is kept this many days.
REPORT_BACKGROUND_CASES = int(os.environ.get("REPORT_BACKGROUND_CASES", "20000"))
REPORT_RETENTION_DAYS = int(os.environ.get("REPORT_RETENTION_DAYS", "7"))

# Days after closure after which a citizen's contact details are erased.
CONTACT_RETENTION_DAYS = int(os.environ.get("CONTACT_RETENTION_DAYS", "365"))

# --- Contact details encrypted at rest (issue 19, branch contacts; feedback.encryption) ---
# Fernet keys, comma-separated, newest first: the first encrypts, all decrypt. Rotate by
# putting a new key first, running `manage.py rotate_contact_keys`, then dropping the old one.
# The digest key makes the keyed digests that find contacts by exact phone or e-mail; it is
# never rotated with the encryption keys (every stored digest was made with it). Development
# and tests use fixed keys; production refuses them (guards.check_contact_keys).
CONTACT_ENCRYPTION_KEYS = env_list("CONTACT_ENCRYPTION_KEYS", DEVELOPMENT_CONTACT_ENCRYPTION_KEY)
CONTACT_DIGEST_KEY = os.environ.get("CONTACT_DIGEST_KEY", DEVELOPMENT_CONTACT_DIGEST_KEY)
# --- end of the contacts block ---


# The REST API (feedback/channels/api/) and Open311 (feedback/channels/open311/).
# Clients authenticate with their key only (no session, so no CSRF); rates are counted in the
# shared cache per client (ApiClient.requests_per_minute) or per address without a key.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["feedback.channels.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [
        "feedback.channels.auth.ClientRateThrottle",
        "feedback.channels.auth.AnonymousRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # Issue 19 (hostile input): DRF's JSON parser, with deep nesting a 400 (not a 500).
        "feedback.channels.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "feedback.channels.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_ANONYMOUS_RATE = os.environ.get("API_ANONYMOUS_RATE", "60/minute")
# Open311's jurisdiction_id: the one jurisdiction this registry serves (the spec suggests the
# site's domain). Clients may leave it out; another value is answered 404.
OPEN311_JURISDICTION = os.environ.get("OPEN311_JURISDICTION", "mrejesho.go.tz")
# Machine clients read errors in their channel's own format: config.middleware answers their
# unreadable input (not UTF-8, NUL) with these views instead of the HTML page.
UNREADABLE_INPUT_ANSWERS = {
    "/api/": "feedback.channels.api.errors.unreadable_input",  # issue 19: JSON, not HTML
    "/open311/": "feedback.channels.open311.views.unreadable_input",
    "/channels/ussd/": "feedback.channels.ussd.unreadable_input",
    "/channels/sms/": "feedback.channels.sms.unreadable_input",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mrejesho API",
    "DESCRIPTION": "Submit feedback to public institutions, track it with its reference and PIN, "
    "and search published outcomes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Describes /api/v1/ only (not Wagtail's admin API): the view, `manage.py spectacular`
    # and the deploy check alike.
    "DEFAULT_GENERATOR_CLASS": "feedback.channels.api.schema.ApiSchemaGenerator",
}
# CORS is off: no origin may call the APIs from a browser unless listed here.
CORS_ALLOWED_ORIGINS = [
    origin for origin in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if origin
]
CORS_URLS_REGEX = r"^/(api|open311)/.*$"
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-api-key",
    "x-case-pin",  # the citizen's proof on the API's exchange and actions
]
# What a browser client may read of an answer beyond the safelisted headers.
CORS_EXPOSE_HEADERS = ["retry-after", "idempotent-replayed"]


# --- Issue 19: response headers (Content-Security-Policy, Permissions-Policy, isolation) -------
# One strict policy for every public answer: no 'unsafe-inline', no 'unsafe-eval'. Templates
# carry no inline <script>, <style>, style= or on...= (static files only); the tests in
# tests/config/test_csp.py open the pages in Chromium and count the browser's violations.
# The Wagtail admin gets its own policy (config.csp.ADMIN_POLICY, chosen per path by
# config.csp.PathCSPMiddleware); the Swagger UI page its own per-view addition (config.csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the small images CSS and SVG icons inline (none are user-supplied).
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy: every powerful feature off, except copying to the clipboard (the API key
# page's copy button, Wagtail's own copy buttons), on our own pages only.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
} | {"clipboard-write": ["self"]}
# Everywhere, not only in production: nothing here depends on HTTPS, and nothing breaks.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No script of ours reads the cookies (Wagtail takes its CSRF token from the page).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Wagtail's admin would load staff avatars from gravatar.com (sending a digest of each e-mail
# address to a third party) and ask releases.wagtail.org for news: neither leaves our origin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# --- end of issue 19's response headers -------------------------------------------------------
