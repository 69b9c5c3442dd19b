"""Hostile uploads on every entry point that takes files (the feedback form, a citizen's
added information, the API): oversized, mislabelled, decompression bombs, empty files, odd
names. Each is refused with a message (4xx) or stored under a safe name; never a 5xx."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from feedback import tracking, workflow
from feedback.channels import keys
from feedback.models import Attachment, Case, Status
from tests.feedback.factories import case_in, water_service
from tests.hostile.conftest import assert_sane
from tests.hostile.corpus import ODD_FILE_NAMES, PDF_WITH_JAVASCRIPT, REFUSED_UPLOADS, upload_bytes

pytestmark = pytest.mark.django_db
NEW = "/en/feedback/new/"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def form_data(**files):
    return {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Bili ya maji",
        "description": "Maji hayatoki.",
        "notify_by": "none",
        **files,
    }


@pytest.fixture(scope="module")
def bombs():
    return {name: upload_bytes(name, content) for name, _file, content, _type in REFUSED_UPLOADS}


@pytest.mark.parametrize(("upload_name", "file_name", "_content", "content_type"), REFUSED_UPLOADS)
def test_refused_uploads_on_the_feedback_form(
    client, bombs, upload_name, file_name, _content, content_type
):
    upload = SimpleUploadedFile(file_name, bombs[upload_name], content_type)
    answer = client.post(NEW, form_data(files=[upload]))
    text = assert_sane(answer, where=f"form upload {upload_name}")
    assert answer.status_code == 400 and "files" in text
    assert not Attachment.objects.exists()


def test_an_oversized_upload_is_refused(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.png", png_bytes() + b"\x00" * 2000, "image/png")
    answer = client.post(NEW, form_data(files=[upload]))
    assert_sane(answer, where="oversized")
    assert answer.status_code == 400


@pytest.mark.parametrize(("name_kind", "file_name"), ODD_FILE_NAMES)
def test_odd_file_names_are_refused_or_kept_harmless(client, name_kind, file_name):
    upload = SimpleUploadedFile(file_name, png_bytes(), "image/png")
    answer = client.post(NEW, form_data(files=[upload]))
    assert_sane(answer, where=f"file name {name_kind}")
    assert answer.status_code in (302, 400)
    for attachment in Attachment.objects.all():
        assert "/" not in attachment.original_name and "\x00" not in attachment.original_name
        assert ".." not in attachment.file.name.split("/")


def test_a_pdf_with_javascript_is_kept_as_a_pdf_never_as_html(client):
    upload = SimpleUploadedFile("receipt.pdf", PDF_WITH_JAVASCRIPT, "text/html")
    answer = client.post(NEW, form_data(files=[upload]))
    assert answer.status_code == 302
    assert Attachment.objects.get().content_type == "application/pdf"


@pytest.mark.parametrize(("upload_name", "file_name", "_content", "content_type"), REFUSED_UPLOADS)
def test_refused_uploads_with_added_information(
    client, bombs, upload_name, file_name, _content, content_type
):
    case = case_in(Status.IN_PROGRESS)
    session = client.session
    tracking.remember_proven(session, case.reference)
    session.save()
    upload = SimpleUploadedFile(file_name, bombs[upload_name], content_type)
    data = {
        "action": "add_information",
        "add_information-body": "Photo.",
        "add_information-files": [upload],
    }
    answer = client.post(f"/en/feedback/track/{case.reference}/", data)
    assert_sane(answer, where=f"add_information upload {upload_name}")
    assert answer.status_code == 400
    assert not Attachment.objects.filter(case=case).exists()


@pytest.mark.parametrize(("upload_name", "file_name", "_content", "content_type"), REFUSED_UPLOADS)
def test_refused_uploads_on_the_api(client, bombs, upload_name, file_name, _content, content_type):
    _client, key = keys.create_client(name="Uploads", organisation="Nobody")
    upload = SimpleUploadedFile(file_name, bombs[upload_name], content_type)
    data = {**form_data(service="1111-1"), "attachments": [upload]}
    answer = client.post("/api/v1/cases/", data, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert_sane(answer, where=f"API upload {upload_name}", expect_json=True)
    assert answer.status_code == 400, answer.content[:300]
    assert not Case.objects.exists()
    assert json.loads(answer.content)["errors"]


def test_a_forged_attachment_to_remove_is_ignored(client):
    data = form_data(remove_file=["abc", "-1", "99999999999999999999", "<script>"])
    answer = client.post(NEW, data)
    assert_sane(answer, where="remove_file forged")
    assert answer.status_code == 302
    assert workflow  # the journey goes on
