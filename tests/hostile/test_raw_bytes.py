"""Raw bytes the test client would re-encode, sent over a real socket (live_server and
requests): invalid UTF-8 in form, JSON and XML bodies, NUL and bad escapes in the path and
query, a lying Content-Length. One test, as a live server costs a fresh database."""

import pytest
import requests

from feedback.channels import keys
from tests.feedback.factories import build_test_world
from tests.hostile.corpus import EXTERNAL_ENTITY, PASSWD_MARKER, SCRIPT

INVALID_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1"


@pytest.mark.django_db(transaction=True)
def test_raw_bytes_on_every_wire(live_server):
    build_test_world()  # a transactional test starts from an empty database
    _client, key = keys.create_client(name="Raw", organisation="Nobody")
    base = live_server.url
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    sends = [
        ("POST", "/en/feedback/new/", b"kind=complaint&subject=" + INVALID_UTF8, form),
        ("POST", "/en/feedback/track/1000000009/", b"action=pin&pin=" + INVALID_UTF8, form),
        ("GET", "/en/search/?q=" + "%FF%FE%00", b"", {}),
        ("GET", "/en/feedback/track/%00%FF/", b"", {}),
        ("GET", "/en/feedback/track/?reference=%E2%80%AE%00", b"", {}),
        (
            "POST",
            "/api/v1/cases/",
            b'{"kind": "complaint", "subject": "' + INVALID_UTF8 + b'"}',
            {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        ),
        (
            "POST",
            "/api/v1/cases/",
            b'{"kind": "complaint", "subject": "\\ud800", "description": "\\udfff x"}',
            {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        ),
        ("GET", "/api/v1/cases/%FF%00/", b"", {}),
        (
            "POST",
            "/open311/v2/requests.xml",
            EXTERNAL_ENTITY,
            {"Content-Type": "application/xml", "X-Api-Key": key},
        ),
        ("POST", "/open311/v2/requests.json", b"service_code=" + INVALID_UTF8, form),
        (
            "POST",
            "/channels/ussd/",
            b"sessionId=1&phoneNumber=%2B255712345678&text=" + INVALID_UTF8,
            form,
        ),
        ("POST", "/channels/sms/", b"from=%2B255712345678&id=1&text=" + INVALID_UTF8, form),
        ("POST", "/channels/sms/delivery/", b"id=" + INVALID_UTF8 + b"&status=Failed", form),
        ("POST", "/i18n/setlang/", b"language=sw&next=%2F%2Fevil.example%2F", form),
        ("POST", "/en/feedback/new/", b"subject=" + SCRIPT.encode(), {"Content-Type": "text/html"}),
    ]
    for method, path, body, headers in sends:
        answer = requests.request(
            method, base + path, data=body, headers=headers, timeout=30, allow_redirects=False
        )
        where = f"{method} {path[:40]}: {answer.status_code}"
        assert answer.status_code < 500, where
        assert answer.status_code != 429, where
        text = answer.text
        assert "Traceback" not in text and PASSWD_MARKER not in text, where
        if answer.headers.get("Content-Type", "").startswith("text/html"):
            assert SCRIPT not in text, where
        if path.startswith("/api/"):
            assert answer.headers["Content-Type"].startswith("application/json"), where
        assert "evil.example" not in answer.headers.get("Location", ""), where
