"""Refuse to start production with settings that are only safe on a developer's machine."""

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"


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
