"""Input a view cannot keep, and buttons pressed twice: a clear 4xx, never a 500, nothing lost."""

from urllib.parse import urlencode

import pytest
from django.db import connection

from feedback.models import Attachment, Status, SubmissionDraft
from tests.conftest import require_service
from tests.feedback.factories import case_in
from tests.feedback.test_web_journey import NEW, _verified_client, form_data, png

pytestmark = pytest.mark.django_db
UNREADABLE = "We could not read what was sent"


def _post_raw(client, url, body: bytes, charset: str = "utf-8"):
    return client.post(
        url, body, content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )


def test_confirming_closure_twice_answers_409_with_the_reason_and_the_case(client):
    case = case_in(Status.RESOLVED)
    url = _verified_client(client, case)
    assert client.post(url, {"action": "close"}).status_code == 302
    response = client.post(url, {"action": "close"})  # the second click of a double click
    assert response.status_code == 409
    html = response.content.decode()
    assert "cannot be closed" in html
    assert 'data-testid="status"><strong>Closed</strong>' in html


@pytest.mark.parametrize("tampered", ["abc", "", "1.5", "99999999999999999999999", "²"])
def test_a_remove_file_value_naming_no_file_is_ignored_and_the_files_stay(client, tampered):
    client.post(NEW, form_data(subject="", files=[png()]))
    response = client.post(NEW, form_data(remove_file=[tampered]))
    assert response.status_code == 302
    assert SubmissionDraft.objects.get().files.count() == 1


def test_remove_file_removes_only_the_draft_s_own_file(client):
    client.post(NEW, form_data(subject="", files=[png("a.png"), png("b.png")]))
    first = Attachment.objects.get(original_name="a.png")
    response = client.post(NEW, form_data(subject="", remove_file=[str(first.pk), "x"]))
    assert response.status_code == 400
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["b.png"]


def _nul_keeps_the_saved_draft(client):
    client.post(NEW, form_data(subject="First title", kind=""))  # an error: kept as a draft
    response = client.post(NEW, form_data(subject="Second", description="Meter\x00 42"))
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()
    assert SubmissionDraft.objects.get().data["subject"] == "First title"


def test_a_nul_character_in_a_field_is_refused_and_the_saved_draft_is_kept(client):
    _nul_keeps_the_saved_draft(client)


@pytest.mark.postgres
def test_a_nul_character_is_refused_on_postgresql_too(client):
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://..."
    )
    _nul_keeps_the_saved_draft(client)


@pytest.mark.parametrize("where", ["query", "field name"])
def test_a_nul_or_undecodable_query_or_field_name_is_refused(client, where):
    if where == "query":
        response = client.get(NEW + "?service=1%00")
    elif where == "undecodable query":
        response = client.get(NEW, QUERY_STRING="service=\xe9")  # as WSGI gives raw bytes
    else:
        response = client.post(NEW, {**form_data(), "x\x00": "1"})
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()


@pytest.mark.parametrize(
    "raw",
    [b"subject=%E9t%E9", b"subject=\xe9t\xe9", b"subject=%ED%A0%80"],
    ids=["escaped latin-1", "raw latin-1", "escaped surrogate"],
)
def test_a_form_body_that_does_not_decode_as_utf8_is_refused(client, raw):
    fields = form_data()
    del fields["subject"]
    response = _post_raw(client, NEW, urlencode(fields).encode() + b"&" + raw)
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()
    assert not SubmissionDraft.objects.exists()


def test_a_multipart_field_that_does_not_decode_in_its_charset_is_refused(client):
    parts = [
        f'--B\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in form_data(subject="x").items()
    ]
    # The declared charset is UTF-8; the description arrives in Latin-1.
    parts.append(b'--B\r\nContent-Disposition: form-data; name="location"\r\n\r\nK\xe9\r\n')
    body = b"".join(parts) + b"--B--\r\n"
    response = client.post(NEW, body, content_type="multipart/form-data; boundary=B; charset=utf-8")
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()
    assert not SubmissionDraft.objects.exists()


def test_a_form_body_declared_in_another_charset_is_refused_with_the_explanation(client):
    body = urlencode(form_data(subject="Maji ya été"), encoding="iso-8859-1").encode()
    response = _post_raw(client, NEW, body, charset="iso-8859-1")
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()


def test_the_refusal_page_speaks_swahili_on_swahili_pages(client):
    response = client.post("/sw/feedback/new/", form_data(subject="a\x00"))
    assert response.status_code == 400
    assert '<html lang="sw">' in response.content.decode()


@pytest.mark.parametrize(
    ("given", "chosen", "sent_by"),
    [
        ({"phone": "", "email": "amina@example.com"}, "sms", "email"),
        ({"phone": "0712 345 678", "email": ""}, "email", "sms"),
        ({"phone": "0712 345 678", "email": "amina@example.com"}, "email", "email"),
        ({"phone": "", "email": ""}, "sms", "none"),
        ({"phone": "0712 345 678", "email": ""}, "none", "none"),
    ],
)
def test_updates_go_where_the_citizen_can_be_reached(client, given, chosen, sent_by):
    response = client.post(NEW, form_data(notify_by=chosen, **given))
    assert response.status_code == 302, response.content.decode()
    assert SubmissionDraft.objects.get().data["notify_by"] == sent_by


def test_a_wrong_phone_is_pointed_out_rather_than_switched_to_e_mail(client):
    response = client.post(NEW, form_data(phone="12", email="amina@example.com"))
    assert response.status_code == 400
    assert "Enter a phone number such as" in response.content.decode()


def test_the_review_says_where_updates_will_go(client):
    client.post(NEW, form_data(phone="", email="amina@example.com", notify_by="sms"))
    review = client.get("/en/feedback/new/review/").content.decode()
    assert '<td data-testid="notify-by">E-mail</td>' in review
