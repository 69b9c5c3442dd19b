import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.guards import DEVELOPMENT_SECRET_KEY, check_production_settings

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Jq9vXz-7pLw2Rb_5nTc8Hy0aUe4Mf6Gd1Sx9Qo2Vi7Zr3Bt5Nw8Ly0Kh4Pj6Ca"


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
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_DEBUG")}
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


def test_production_deploy_check_is_clean():
    result = _manage(
        "check",
        "--deploy",
        SECRET_KEY=GOOD_KEY,
        AUDIT_CHAIN_KEY=GOOD_KEY[::-1],
        ALLOWED_HOSTS="example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
