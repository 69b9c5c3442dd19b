"""What every answer to hostile input must be, and a clean slate of counters for each test."""

import pytest
from django.core.cache import cache

from tests.hostile.corpus import PASSWD_MARKER, UNESCAPED_MARKERS

TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "django/core/handlers")


@pytest.fixture(autouse=True)
def fresh_counters(request):
    """Rate limits count in the shared cache: each test starts from zero, so a limit is never
    what a test of hostile input meets (a 429 is a failure here, never a pass). The cache is
    the database's (settings.CACHES): tests without the database have no counters to clear."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    cache.clear()
    yield
    cache.clear()


def assert_sane(response, *, where: str = "", expect_json: bool = False) -> str:
    """A clear 4xx or a normal answer, never a 5xx nor a 429; a sane Content-Type; nothing
    hostile echoed unescaped in HTML; no stack trace; no file contents from an XML entity.
    Returns the body as text."""
    status = response.status_code
    label = f"{where}: {status}"
    assert status < 500, label
    assert status != 429, f"{label} (a rate limit met by a test of hostile input)"
    content_type = response.get("Content-Type", "")
    body = b"" if getattr(response, "streaming", False) else response.content
    if body:
        assert content_type, f"{label}: a body without a Content-Type"
        assert "charset" in content_type or not content_type.startswith("text/"), label
    text = body.decode("utf-8", errors="replace")
    if expect_json and body:
        assert content_type.startswith("application/json"), f"{label}: {content_type}"
    if content_type.startswith("text/html"):
        for marker in UNESCAPED_MARKERS:
            assert marker not in text, f"{label}: unescaped {marker!r}"
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{label}: stack trace in the answer"
    assert PASSWD_MARKER not in text, f"{label}: /etc/passwd in the answer"
    return text
