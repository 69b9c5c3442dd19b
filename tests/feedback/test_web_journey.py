"""The citizen's web journey without a browser: submit, review, confirm, track, answer."""

import io
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from feedback import tracking, workflow
from feedback.models import Attachment, Case, Status, SubmissionDraft
from tests.feedback.factories import actor, case_in, water_service

pytestmark = pytest.mark.django_db
NEW = "/en/feedback/new/"
NEW_SW = "/sw/feedback/new/"


def png(name="meter.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_data(**overrides):
    data = {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Bili ya maji imeongezeka",
        "description": "Bili ya mwezi Machi ni mara mbili ya kawaida.",
        "phone": "0712 345 678",
        "notify_by": "sms",
        "consent_to_publish": "on",
    }
    data.update(overrides)
    return data


def test_service_page_button_prefills_the_service(client):
    page = client.get("/en/services/water-bills-and-meters-1111/").content.decode()
    assert f'href="/en/feedback/new/?service={water_service().pk}"' in page
    form = client.get(f"{NEW}?service={water_service().pk}").content.decode()
    assert f'<option value="{water_service().pk}" selected>' in form


@pytest.mark.parametrize("mangled", ["abc", "-1", "99999999999999999999", ""])
def test_a_mangled_service_link_shows_the_empty_form(client, mangled):
    response = client.get(f"{NEW}?service={mangled}")
    assert response.status_code == 200
    assert '<option value="" selected>' in response.content.decode()


def test_errors_are_listed_at_top_and_beside_fields_and_nothing_typed_is_lost(client):
    response = client.post(NEW, form_data(subject="", phone="12", files=[png()]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert html.count("Enter a short title, such as") == 2  # in the summary and beside the field
    assert "Enter a phone number such as" in html
    assert "Bili ya mwezi Machi ni mara mbili ya kawaida." in html  # description kept
    assert 'value="12"' in html  # the wrong phone is shown back for correction
    # The valid file was kept on the draft and is listed, so it need not be chosen again.
    assert "Remove meter.png" in html
    assert SubmissionDraft.objects.get().files.count() == 1


def test_files_are_checked_by_content_not_by_name(client):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 this is an executable", "image/png")
    response = client.post(NEW, form_data(files=[fake]))
    assert response.status_code == 400
    assert "is not a photo (JPEG, PNG, WebP) or a PDF document" in response.content.decode()
    pdf = SimpleUploadedFile("receipt.bin", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "")
    response = client.post(NEW, form_data(files=[pdf]))
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == "application/pdf"


def test_oversized_file_is_refused_with_its_size(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    response = client.post(NEW, form_data(files=[png()]))
    assert response.status_code == 400
    assert "files may be at most 10" in response.content.decode()


def test_full_submission_in_swahili_gives_reference_and_pin(client):
    response = client.post(NEW_SW, form_data(files=[png()]))
    assert response.status_code == 302 and response["Location"] == "/sw/feedback/new/review/"
    review = client.get(response["Location"]).content.decode()
    assert "Bili ya maji imeongezeka" in review and "meter.png" in review
    assert not Case.objects.exists()  # nothing is sent before the citizen confirms
    response = client.post("/sw/feedback/new/review/", {"send": "1"})
    # The confirmation answers the POST itself: the PIN is never stored to be shown later.
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    case = Case.objects.get()
    assert (case.language, case.channel, case.consent_to_publish) == ("sw", "web", True)
    assert case.contact.phone == "+255712345678"
    assert case.attachments.get().content_type == "image/png"
    assert not SubmissionDraft.objects.exists()
    thanks = response.content.decode()
    assert '<html lang="sw">' in thanks
    assert f"{case.reference[:3]} {case.reference[3:6]} {case.reference[6:]}" in thanks
    pin = re.search(r'data-testid="pin">(\d{6})<', thanks).group(1)
    assert workflow.check_pin(case, pin)


def test_change_on_review_returns_to_the_filled_form(client):
    client.post(NEW, form_data())
    response = client.post("/en/feedback/new/review/", {"change": "1"})
    assert response["Location"] == NEW
    assert "Bili ya maji imeongezeka" in client.get(NEW).content.decode()


def test_no_institution_and_no_service_goes_to_screening_at_the_top(client):
    client.post(NEW, form_data(service="", phone="", notify_by="none"))
    client.post("/en/feedback/new/review/", {"send": "1"})
    case = Case.objects.get()
    assert case.institution.is_root() and case.is_anonymous


def test_typo_in_reference_is_caught_before_any_lookup(client):
    case = case_in(Status.SUBMITTED)
    wrong = case.reference[:-1] + str((int(case.reference[-1]) + 1) % 10)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/feedback/track/", {"reference": wrong})
    assert not [q for q in queries.captured_queries if "feedback_case" in q["sql"]]
    assert response.status_code == 400
    assert "This number has a typo" in response.content.decode()


def test_unknown_reference_is_a_404_with_the_form(client):
    response = client.get("/en/feedback/track/1234567890/")
    assert response.status_code == 404
    assert "No case has this number" in response.content.decode()


def test_reference_alone_shows_status_and_dates_but_no_personal_data(client):
    case = case_in(Status.ACKNOWLEDGED)
    html = client.get(f"/en/feedback/track/{case.reference}/").content.decode()
    assert "Acknowledged" in html and str(case.institution) in html
    assert "Answer due by" in html
    for private in ("+255712345678", case.description, case.subject):
        assert private not in html


def test_pin_opens_the_exchange_and_officer_response_appears(client):
    submission = workflow.submit(
        kind="inquiry",
        institution=water_service().institution,
        service=water_service(),
        subject="Meter reading",
        description="When is my meter read?",
    )
    case = submission.case
    url = f"/en/feedback/track/{case.reference}/"
    officer = actor("officer")
    case = workflow.acknowledge(case, by=officer)
    case = workflow.start(case, by=officer)
    workflow.resolve(case, by=officer, response="Meters are read on the 20th of each month.")
    response = client.post(url, {"action": "pin", "pin": submission.pin})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Meters are read on the 20th of each month." in html
    assert "When is my meter read?" in html


def test_wrong_pins_on_one_reference_make_even_the_right_pin_wait(client, settings):
    settings.PIN_FREE_ATTEMPTS = 3
    submission = workflow.submit(
        kind="complaint",
        institution=water_service().institution,
        subject="Leak",
        description="Leak on my street",
    )
    url = f"/en/feedback/track/{submission.case.reference}/"
    wrong = "000000" if submission.pin != "000000" else "111111"
    for _attempt in range(3):
        response = client.post(url, {"action": "pin", "pin": wrong})
        assert response.status_code == 400
        assert "does not match" in response.content.decode()
    response = client.post(url, {"action": "pin", "pin": submission.pin})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.PIN_BACKOFF_FIRST_SECONDS
    assert "Too many wrong PINs for this reference number" in response.content.decode()
    assert "try again in 1 minute" in response.content.decode()


def test_citizen_actions_need_the_pin_first(client):
    case = case_in(Status.RESOLVED)
    response = client.post(f"/en/feedback/track/{case.reference}/", {"action": "close"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def _verified_client(client, case):
    session = client.session
    tracking.remember_proven(session, case.reference)
    session.save()
    return f"/en/feedback/track/{case.reference}/"


def test_citizen_answers_a_request_for_information_with_a_file(client):
    case = case_in(Status.AWAITING_CITIZEN)
    url = _verified_client(client, case)
    response = client.post(
        url,
        {
            "action": "add_information",
            "add_information-body": "Meter 42",
            "add_information-files": [png()],
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.attachments.get().original_name == "meter.png"
    assert "Meter 42" in client.get(url).content.decode()


def test_citizen_rates_and_reopens_within_the_window(client):
    case = case_in(Status.RESOLVED)
    url = _verified_client(client, case)
    assert client.post(url, {"action": "rate", "rate-score": "2"}).status_code == 302
    response = client.post(url, {"action": "reopen", "reopen-reason": ""})
    assert response.status_code == 400  # the reason is required, and said so
    assert "Say why the answer did not resolve your case." in response.content.decode()
    assert client.post(url, {"action": "reopen", "reopen-reason": "Still wrong"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.satisfaction, case.escalation_level) == (Status.REOPENED, 2, 1)


def test_citizen_confirms_resolution_and_the_case_closes(client):
    case = case_in(Status.RESOLVED)
    url = _verified_client(client, case)
    assert client.post(url, {"action": "close"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_tracking_page_links_to_the_same_case_in_swahili(client):
    case = case_in(Status.SUBMITTED)
    html = client.get(f"/en/feedback/track/{case.reference}/").content.decode()
    assert f'href="/sw/feedback/track/{case.reference}/"' in html


def half_an_hour_later(monkeypatch, settings):
    later = time.time() + settings.TRACKING_SESSION_SECONDS + 1
    monkeypatch.setattr(tracking, "_now", lambda: later)


def test_a_proven_case_is_forgotten_after_a_while_on_a_shared_browser(
    client, settings, monkeypatch
):
    case = case_in(Status.RESOLVED)
    url = _verified_client(client, case)
    assert "Bill corrected." in client.get(url).content.decode()
    half_an_hour_later(monkeypatch, settings)
    html = client.get(url).content.decode()
    assert "Bill corrected." not in html and 'name="pin"' in html


def test_the_pin_is_shown_once_and_a_reload_or_back_shows_only_the_reference(client):
    client.post(NEW, form_data())
    first = client.post("/en/feedback/new/review/", {"send": "1"}).content.decode()
    case = Case.objects.get()
    assert 'data-testid="pin"' in first
    for again in (
        client.get("/en/feedback/new/review/"),
        client.post("/en/feedback/new/review/", {"send": "1"}),
    ):
        html = again.content.decode()
        assert again.status_code == 200
        assert "This feedback was already sent" in html
        assert 'data-testid="pin"' not in html
        assert f"/en/feedback/track/{case.reference}/new-pin/" in html
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy of ours: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left part is ignored
        (2, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
    ],
)
def test_pin_throttle_counts_the_citizens_address_not_the_proxys(
    rf, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert tracking.client_address(request) == expected


def test_citizen_appeals_a_closed_case_from_the_tracking_page(client):
    case = case_in(Status.CLOSED)
    url = _verified_client(client, case)
    assert "Appeal against the outcome" in client.get(url).content.decode()
    assert client.post(url, {"action": "appeal", "appeal-reason": ""}).status_code == 400
    assert (
        client.post(url, {"action": "appeal", "appeal-reason": "Bill still wrong"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == Status.APPEALED
    html = client.get(url).content.decode()
    assert "Your appeal" in html and str(case.appeal.institution) in html


def test_abandoned_drafts_and_their_files_are_purged(client, settings):
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from feedback.drafts import purge_stale_drafts

    client.post(NEW, form_data(subject="", files=[png()]))  # invalid: the draft stays
    draft = SubmissionDraft.objects.get()
    stored = draft.files.get().file.name
    assert default_storage.exists(stored)
    assert purge_stale_drafts() == 0  # fresh drafts are kept
    later = timezone.now() + timedelta(days=settings.DRAFT_MAX_AGE_DAYS, hours=1)
    assert purge_stale_drafts(now=later) == 1
    assert not SubmissionDraft.objects.exists() and not Attachment.objects.exists()
    assert not default_storage.exists(stored)
