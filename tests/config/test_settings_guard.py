import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.guards import (
    DEVELOPMENT_SECRET_KEY,
    check_message_backends,
    check_production_settings,
)

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Jq9vXz-7pLw2Rb_5nTc8Hy0aUe4Mf6Gd1Sx9Qo2Vi7Zr3Bt5Nw8Ly0Kh4Pj6Ca"
# The private keys production refuses to start without, each different from the others.
PRODUCTION_KEYS = {
    "SECRET_KEY": GOOD_KEY,
    "AUDIT_CHAIN_KEY": GOOD_KEY[::-1],
    "CONTACT_ENCRYPTION_KEYS": "Vk8zq0n2Jt4wYp6rEa9sUd1fGh3jKl5mNb7vCx0zQ2A=",
    "CONTACT_DIGEST_KEY": GOOD_KEY[10:] + GOOD_KEY[:10],
}


@pytest.mark.parametrize(
    ("secret_key", "debug", "complaint"),
    [
        ("", False, "SECRET_KEY must be set"),
        (DEVELOPMENT_SECRET_KEY, False, "SECRET_KEY must be set"),
        ("short-but-private", False, "at least 50 characters"),
        ("a" * 60, False, "at least 50 characters"),
        (GOOD_KEY, True, "DEBUG must be off"),
    ],
    ids=["empty-key", "development-key", "short-key", "low-entropy-key", "debug-on"],
)
def test_production_guard_refuses_unsafe_settings(secret_key, debug, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint):
        check_production_settings(secret_key=secret_key, debug=debug)


def test_production_guard_accepts_private_key_with_debug_off():
    check_production_settings(secret_key=GOOD_KEY, debug=False)


def _manage(*args, **env):
    unset = ("SECRET_KEY", "DJANGO_DEBUG", "ALLOW_CONSOLE_MESSAGES", "EMAIL_HOST", "SMS_BACKEND")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = _manage("check", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_to_start_with_debug_on():
    result = _manage("check", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="example.org", DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_SMS = "feedback.sms.ConsoleSMSBackend"
GATEWAY_SMS = "feedback.sms.MemorySMSBackend"  # stands for any backend that is not the console


@pytest.mark.parametrize(
    ("email_backend", "sms_backend", "refused"),
    [
        (CONSOLE_EMAIL, GATEWAY_SMS, True),
        (SMTP, CONSOLE_SMS, True),
        (CONSOLE_EMAIL, CONSOLE_SMS, True),
        (SMTP, GATEWAY_SMS, False),
    ],
)
def test_production_guard_refuses_console_messages_unless_allowed(
    email_backend, sms_backend, refused
):
    if refused:
        with pytest.raises(ImproperlyConfigured, match="ALLOW_CONSOLE_MESSAGES"):
            check_message_backends(
                email_backend=email_backend, sms_backend=sms_backend, allow_console=False
            )
    else:
        check_message_backends(
            email_backend=email_backend, sms_backend=sms_backend, allow_console=False
        )
    check_message_backends(email_backend=email_backend, sms_backend=sms_backend, allow_console=True)


def test_production_settings_refuse_to_start_with_console_messages():
    result = _manage(
        "check", SECRET_KEY=GOOD_KEY, AUDIT_CHAIN_KEY=GOOD_KEY[::-1], ALLOWED_HOSTS="example.org"
    )
    assert result.returncode != 0
    assert "would print PINs and contact details to the log" in result.stderr
