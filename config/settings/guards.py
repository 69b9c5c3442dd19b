"""Refuse to start production with settings that are only safe on a developer's machine."""

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # nosec B105  # the public development marker production refuses
DEVELOPMENT_AUDIT_CHAIN_KEY = "dev-only-audit-chain-key-do-not-use-in-production"
# Contact encryption (feedback.encryption): fixed keys for development and tests only.
DEVELOPMENT_CONTACT_ENCRYPTION_KEY = "xwm9p-uobWo4DBk5ZSHR5YNZ_LuduN3kUbhDObHsCuU="
DEVELOPMENT_CONTACT_DIGEST_KEY = "dev-only-contact-digest-key-do-not-use-in-production"


def check_production_settings(*, secret_key: str, debug: bool) -> None:
    """Raise ImproperlyConfigured when production would run with a known secret or DEBUG on."""
    if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a private random value in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if len(secret_key) < 50 or len(set(secret_key)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters of random text.")
    if debug:
        raise ImproperlyConfigured("DEBUG must be off in production (unset DJANGO_DEBUG).")


# Caches that live inside one process: each gunicorn worker would count wrong PINs on its own,
# and every restart would forget them.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def check_shared_cache(caches: dict) -> None:
    """Raise ImproperlyConfigured when production's caches are not shared by every process: the
    throttles' ("default") and the public pages' ("pages": a page cleared on publication in one
    worker must not live on in another), or when clearing the pages would wipe the throttles."""
    backend = caches.get("default", {}).get("BACKEND", "")
    if not backend or backend in PER_PROCESS_CACHES:
        raise ImproperlyConfigured(
            f"The cache must be shared by every process in production, not {backend or 'unset'}: "
            "unset CACHE_URL for the database cache, or give redis:// or memcached://."
        )
    pages = caches.get("pages", {})
    if not pages.get("BACKEND") or pages["BACKEND"] in PER_PROCESS_CACHES:
        raise ImproperlyConfigured(
            "The page cache must be shared by every process in production, not "
            f"{pages.get('BACKEND') or 'unset'}: unset PAGE_CACHE_URL, or give redis:// or "
            "memcached://."
        )
    if (pages["BACKEND"], pages.get("LOCATION")) == (backend, caches["default"].get("LOCATION")):
        raise ImproperlyConfigured(
            "The page cache must not share the throttles' store: clearing the pages would wipe "
            "the abuse limits' counters. Give PAGE_CACHE_URL another table, database or server."
        )


def check_audit_chain_key(*, audit_chain_key: str, secret_key: str) -> None:
    """Raise ImproperlyConfigured unless the audit chain has its own private key: with a known
    key anyone could recompute the chain, and SECRET_KEY leaks in more ways than this one."""
    if not audit_chain_key or audit_chain_key == DEVELOPMENT_AUDIT_CHAIN_KEY:
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY must be set to a private random value in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if len(audit_chain_key) < 32:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be at least 32 characters of random text.")
    if audit_chain_key == secret_key:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY must differ from SECRET_KEY.")


CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "feedback.sms.ConsoleSMSBackend",
}


def check_message_backends(*, email_backend: str, sms_backend: str, allow_console: bool) -> None:
    """Refuse console e-mail or SMS in production: they print every PIN, phone number and
    address to the log. A deliberate ALLOW_CONSOLE_MESSAGES=1 lets a staging site run them."""
    chosen = CONSOLE_BACKENDS & {email_backend, sms_backend}
    if chosen and not allow_console:
        raise ImproperlyConfigured(
            f"{', '.join(sorted(chosen))} would print PINs and contact details to the log: "
            "set EMAIL_HOST and SMS_BACKEND to real gateways, or ALLOW_CONSOLE_MESSAGES=1 "
            "on purpose."
        )


def check_contact_keys(*, encryption_keys: list[str], digest_key: str, secret_key: str) -> None:
    """Raise ImproperlyConfigured unless contact details have keys of their own: valid Fernet
    keys for the encryption, a private digest key, none of them known or equal to SECRET_KEY.
    (A key's value is never put in the message: it would reach the log.)"""
    from cryptography.fernet import Fernet

    if not encryption_keys or DEVELOPMENT_CONTACT_ENCRYPTION_KEY in encryption_keys:
        raise ImproperlyConfigured(
            "CONTACT_ENCRYPTION_KEYS must be set to private Fernet keys in production "
            "(for example: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
    for position, key in enumerate(encryption_keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"CONTACT_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 bytes in URL-safe base64)."
            ) from None
        if key == secret_key:
            raise ImproperlyConfigured("CONTACT_ENCRYPTION_KEYS must differ from SECRET_KEY.")
    if not digest_key or digest_key == DEVELOPMENT_CONTACT_DIGEST_KEY:
        raise ImproperlyConfigured(
            "CONTACT_DIGEST_KEY must be set to a private random value in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if len(digest_key) < 32:
        raise ImproperlyConfigured(
            "CONTACT_DIGEST_KEY must be at least 32 characters of random text."
        )
    if digest_key == secret_key or digest_key in encryption_keys:
        raise ImproperlyConfigured(
            "CONTACT_DIGEST_KEY must differ from SECRET_KEY and from the encryption keys."
        )
