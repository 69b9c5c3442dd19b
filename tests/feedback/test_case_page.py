"""The case page in the Wagtail admin: staff act through the workflow, within their scope;
contact details masked until a recorded reveal; files, history and canned responses."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback import privacy, workflow
from feedback.action_forms import _field
from feedback.attachments import store_upload
from feedback.models import (
    CannedResponse,
    Channel,
    Institution,
    PersonalDataAccess,
    Status,
)
from feedback.workflow import Param
from feedback.workspace.contact import RevealRefused, reveal_contact
from tests.feedback.factories import actor, case_in, make_staff, submit_case, user

pytestmark = pytest.mark.django_db

PHONE = "+255712345678"
MASKED_PHONE = "+2557•••••678"


def url(case):
    return reverse("feedback_case_workspace", args=[case.pk])


def reveal_url(case):
    return reverse("feedback_case_reveal_contact", args=[case.pk])


def file_url(case, attachment):
    return reverse("feedback_case_attachment", args=[case.pk, attachment.pk])


def history_url(case):
    return reverse("feedback_case_history", args=[case.pk])


def logged_in(client, username):
    client.force_login(user(username))
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def attach(case, name: str, content: bytes, content_type: str):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return store_upload(upload, content_type, case=case, event=case.events.first())


def test_officer_sees_the_case_story_and_only_the_actions_open_to_them(client):
    case = case_in(Status.SUBMITTED)
    client.force_login(user("officer"))
    html = client.get(url(case)).content.decode()
    assert case.description in html
    assert "Acknowledge" in html and "Reject" in html
    assert "Resolve with a response" in html  # in one step, from "submitted" too
    assert "Assign to an officer" not in html  # leads assign, officers do not


def test_officer_acknowledges_and_answers_from_the_admin(client):
    case = case_in(Status.SUBMITTED)
    client.force_login(user("officer"))
    response = client.post(url(case), {"action": "acknowledge", "acknowledge-message": ""})
    assert response.status_code == 302
    client.post(url(case), {"action": "start"})
    client.post(url(case), {"action": "resolve", "resolve-response": "Your meter was replaced."})
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.events.latest("pk").actor == user("officer")


def test_refused_action_says_why_and_changes_nothing(client):
    case = case_in(Status.IN_PROGRESS)
    client.force_login(user("officer"))
    response = client.post(url(case), {"action": "resolve", "resolve-response": ""})
    assert response.status_code == 400
    assert "Write the response the citizen will read." in response.content.decode()
    response = client.post(url(case), {"action": "acknowledge", "acknowledge-message": ""})
    assert response.status_code == 400
    assert "not available on this case now" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_duplicate_reference_with_a_typo_is_caught(client):
    case = case_in(Status.SUBMITTED)
    client.force_login(user("lead"))
    wrong = case.reference[:-1] + str((int(case.reference[-1]) + 1) % 10)
    response = client.post(
        url(case),
        {"action": "merge", "merge-into": wrong},
    )
    assert response.status_code == 400
    assert "This number has a typo" in response.content.decode()


def test_case_of_another_institution_is_not_found(client):
    other = submit_case(institution=Institution.objects.get(short_code="121"), service=None).case
    client.force_login(user("officer"))
    assert client.get(url(other)).status_code == 404
    client.post(url(other), {"action": "acknowledge"})
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED


def test_lead_assigns_an_officer_of_the_institution(client):
    case = case_in(Status.ACKNOWLEDGED)
    client.force_login(user("lead"))
    response = client.post(url(case), {"action": "assign", "assign-officer": user("officer").pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == user("officer")


def test_appeal_level_decides_from_the_admin(client):
    case = case_in(Status.APPEALED)
    client.force_login(user("lead"))
    html = client.get(url(case)).content.decode()
    assert "Dismiss the appeal" in html and "Uphold the appeal" in html
    response = client.post(
        url(case), {"action": "dismiss_appeal", "dismiss_appeal-response": "Bill was right."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.appeal.decision) == (Status.CLOSED, "dismissed")


def test_bad_input_is_a_400_with_the_reason(client):
    case = case_in(Status.ACKNOWLEDGED)
    client.force_login(user("lead"))
    response = client.post(url(case), {"action": "assign", "assign-officer": "abc"})
    assert response.status_code == 400
    assert "Assign the case to an officer who works on it." in response.content.decode()
    response = client.post(url(case), {"action": "no-such-action"})
    assert response.status_code == 400


# --- the header ----------------------------------------------------------------------------------


def test_header_names_the_citizens_language_and_the_handling_institution(client):
    case = case_in(Status.SUBMITTED)  # the factory's citizen writes in Swahili
    html = logged_in(client, "officer").get(url(case)).content.decode()
    assert "The citizen writes in Kiswahili: answer in Kiswahili." in html
    assert "Dar es Salaam Water Authority" in html or "DAWASA Customer Care" in html
    assert "Water bills and meters" in html


# --- contact details: masked, revealed by a recorded action ------------------------------------


def test_contact_is_masked_on_the_page(client):
    case = case_in(Status.SUBMITTED)
    response = logged_in(client, "officer").get(url(case))
    html = response.content.decode()
    assert PHONE not in html and MASKED_PHONE in html
    assert "Reveal contact details" in html
    assert "no-store" in response["Cache-Control"]


def test_reveal_shows_the_contact_on_that_response_only_and_is_recorded(client):
    case = case_in(Status.SUBMITTED)
    logged_in(client, "officer")
    response = client.post(reveal_url(case), {"reason": "Call about the meter"})
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get(case=case)
    assert (access.what, access.user, access.reason) == (
        "contact",
        user("officer"),
        "Call about the meter",
    )
    record = access.history.get()
    assert record.record_hash and record.history_user == user("officer")  # chained, with who
    # Nothing kept: the next view is masked again.
    assert PHONE not in client.get(url(case)).content.decode()
    assert PHONE not in str(dict(client.session))


def test_reveal_needs_a_reason(client):
    case = case_in(Status.SUBMITTED)
    response = logged_in(client, "officer").post(reveal_url(case), {"reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why you need the contact details." in html and PHONE not in html
    assert not PersonalDataAccess.objects.filter(case=case).exists()


def test_reveal_happens_only_by_post(client):
    case = case_in(Status.SUBMITTED)
    response = logged_in(client, "officer").get(reveal_url(case), {"reason": "curious"})
    html = response.content.decode()
    assert response.status_code == 200 and '<details id="reveal-contact" open>' in html
    assert PHONE not in html
    assert not PersonalDataAccess.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("oversight", 403), ("editor", 404), ("screener", 404), ("nhif-officer", 404)],
)
def test_reveal_refused_outside_the_roles_and_scope(client, caplog, username, status):
    make_staff("nhif-officer", "officer", "121")
    case = case_in(Status.SUBMITTED)
    with caplog.at_level(logging.WARNING, logger="feedback.access"):
        response = logged_in(client, username).post(reveal_url(case), {"reason": "curious"})
    assert response.status_code == status
    assert PHONE not in response.content.decode()
    assert not PersonalDataAccess.objects.filter(case=case).exists()
    assert f"case={case.pk}" in caplog.text and PHONE not in caplog.text


def test_reveal_contact_rule_without_http():
    case = submit_case(by=actor("agent"), channel=Channel.SERVICE_POINT).case
    assert reveal_contact(user("agent"), case, "Citizen asked to be called").phone == PHONE
    assert reveal_contact(user("auditor"), case, "Audit sample").phone == PHONE
    with pytest.raises(RevealRefused) as refused:
        reveal_contact(user("oversight"), case, "curious")
    assert refused.value.code == "not_allowed"
    other = case_in(Status.SUBMITTED)  # not taken down by the agent
    with pytest.raises(RevealRefused) as refused:
        reveal_contact(user("agent"), other, "curious")
    assert refused.value.code == "not_visible"
    assert PersonalDataAccess.objects.filter(case=case).count() == 2
    assert not PersonalDataAccess.objects.filter(case=other).exists()


def test_staff_export_and_erasure_are_recorded():
    case = case_in(Status.SUBMITTED)
    privacy.personal_data(case, by_user=user("admin"), reason="Subject access request")
    privacy.erase_contact(case, reason="Asked by phone", by_user=user("lead"))
    recorded = set(
        PersonalDataAccess.objects.filter(case=case).values_list("what", "user__username")
    )
    assert recorded == {("export", "admin"), ("erasure", "lead")}
    privacy.personal_data(case)  # the citizen's own download: no staff member to record
    assert PersonalDataAccess.objects.filter(case=case).count() == 2


# --- attachments ------------------------------------------------------------------------------


def test_a_photo_is_shown_inline_and_served_safely(client, media):
    case = case_in(Status.SUBMITTED)
    photo = attach(case, "burst-pipe.png", png_bytes(), "image/png")
    logged_in(client, "officer")
    html = client.get(url(case)).content.decode()
    assert f'<img src="{file_url(case, photo)}" alt="burst-pipe.png"' in html
    response = client.get(file_url(case, photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_pdf_is_a_link_that_opens_inline(client, media):
    case = case_in(Status.SUBMITTED)
    bill = attach(case, "bill.pdf", PDF, "application/pdf")
    logged_in(client, "officer")
    html = client.get(url(case)).content.decode()
    assert f'href="{file_url(case, bill)}"' in html and "Open bill.pdf (PDF)" in html
    response = client.get(file_url(case, bill))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")


def test_attachments_of_other_institutions_are_not_found_and_logged(client, media, caplog):
    make_staff("nhif-officer", "officer", "121")
    case = case_in(Status.SUBMITTED)
    photo = attach(case, "burst-pipe.png", png_bytes(), "image/png")
    other = case_in(Status.SUBMITTED)
    with caplog.at_level(logging.WARNING, logger="feedback.access"):
        assert logged_in(client, "nhif-officer").get(file_url(case, photo)).status_code == 404
        # A file of one case asked for through another case the user may see: not found either.
        assert logged_in(client, "officer").get(file_url(other, photo)).status_code == 404
    assert f"case={case.pk}" in caplog.text and f"attachment={photo.pk}" in caplog.text
    assert logged_in(client, "auditor").get(file_url(case, photo)).status_code == 200


# --- the timeline: public and internal ----------------------------------------------------------


def test_internal_and_public_events_are_marked(client):
    case = case_in(Status.IN_PROGRESS)
    note = workflow.perform(
        "reply", case, by=actor("officer"), body="Check the meter first.", **_internal()
    )
    assert note is not None
    html = logged_in(client, "officer").get(url(case)).content.decode()
    assert "Internal: staff only" in html and "Public: the citizen sees this" in html
    assert "Check the meter first." in html
    assert "Institution officer" in html  # who: name and role


def _internal() -> dict:
    return {"visibility": "internal"}


def test_a_deliberate_choice_has_radio_buttons_and_nothing_preselected():
    field = _field(
        Param("visibility", "choice", "Who sees it", choices=(("public", "P"), ("internal", "I")))
    )
    assert field.widget.input_type == "radio"
    assert field.required and field.initial is None
    assert [value for value, _label in field.choices] == ["public", "internal"]


def test_reply_form_offers_what_the_table_says(client):
    case = case_in(Status.IN_PROGRESS)
    html = logged_in(client, "officer").get(url(case)).content.decode()
    names = {param.name for param in workflow.ACTIONS["reply"].params}
    if "visibility" in names:
        assert 'type="radio" name="reply-visibility"' in html and "checked" not in html
    else:
        assert 'name="reply-internal"' in html


# --- agents ---------------------------------------------------------------------------------------


def test_agent_sees_their_case_without_internal_notes_and_with_citizen_actions(client):
    case = submit_case(by=actor("agent"), channel=Channel.SERVICE_POINT).case
    for step in (workflow.acknowledge, workflow.start):
        case = step(case, by=actor("officer"))
    workflow.perform("reply", case, by=actor("officer"), body="Staff only remark.", **_internal())
    case = workflow.resolve(case, by=actor("officer"), response="Meter replaced.")
    logged_in(client, "agent")
    html = client.get(url(case)).content.decode()
    assert "Meter replaced." in html
    assert "Staff only remark." not in html and "Internal: staff only" not in html
    for label in ("Add information", "Reopen", "Rate the outcome", "Close the case"):
        assert label in html
    assert "Write to the citizen" not in html
    history = client.get(history_url(case)).content.decode()
    assert "Staff only remark." not in history
    assert client.get(url(case_in(Status.SUBMITTED))).status_code == 404


# --- history with diffs ---------------------------------------------------------------------------


def test_history_lists_every_record_with_who_why_and_what_changed(client):
    case = case_in(Status.SUBMITTED)
    workflow.acknowledge(case, by=actor("officer"), message="We have it.")
    reveal_contact(user("lead"), case, "Call the citizen")
    for username in ("officer", "auditor", "oversight"):
        response = logged_in(client, username).get(history_url(case))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Submitted</del> → <ins>Acknowledged" in html
        assert "acknowledge" in html  # the change reason
        assert "Contact details revealed" in html and "Call the citizen" in html
        assert PHONE not in html and case.pin_digest not in html
    make_staff("nhif-officer", "officer", "121")
    assert logged_in(client, "nhif-officer").get(history_url(case)).status_code == 404


def test_case_page_links_to_its_history(client):
    case = case_in(Status.SUBMITTED)
    html = logged_in(client, "auditor").get(url(case)).content.decode()
    assert history_url(case) in html


# --- canned responses --------------------------------------------------------------------------


@pytest.fixture
def canned():
    ministry = Institution.objects.get(short_code="11")
    usable = CannedResponse.objects.create(
        institution=ministry,
        title="Meter replaced",
        title_sw="Mita imebadilishwa",
        body="We replaced your meter.",
        body_sw="Tumebadilisha mita yako.",
    )
    elsewhere = CannedResponse.objects.create(
        institution=Institution.objects.get(short_code="121"),
        title="Card renewed",
        title_sw="Kadi imesasishwa",
        body="Your card is renewed.",
        body_sw="Kadi yako imesasishwa.",
    )
    return usable, elsewhere


def test_canned_response_fills_the_resolve_form_in_the_citizens_language_without_js(client, canned):
    usable, _elsewhere = canned
    case = case_in(Status.IN_PROGRESS)
    logged_in(client, "officer")
    html = client.get(url(case)).content.decode()
    assert "Fill from a canned response" in html and "Meter replaced" in html
    assert "Card renewed" not in html  # another institution's
    response = client.get(url(case), {"fill": "resolve", "canned": usable.pk, "lang": "sw"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<details id="action-resolve" open>' in html
    assert ">\nTumebadilisha mita yako.</textarea>" in html
    response = client.get(url(case), {"fill": "resolve", "canned": usable.pk, "lang": "en"})
    assert ">\nWe replaced your meter.</textarea>" in response.content.decode()


def test_a_canned_response_of_another_institution_is_refused(client, canned):
    _usable, elsewhere = canned
    case = case_in(Status.IN_PROGRESS)
    response = logged_in(client, "officer").get(
        url(case), {"fill": "resolve", "canned": elsewhere.pk, "lang": "sw"}
    )
    assert response.status_code == 400
    assert "Kadi yako imesasishwa." not in response.content.decode()
    response = client.get(url(case), {"fill": "resolve", "canned": "x' OR 1=1", "lang": "sw"})
    assert response.status_code == 400


def test_leads_keep_canned_responses_of_their_tree_and_officers_read_them(client, canned):
    usable, _elsewhere = canned
    dawasa = Institution.objects.get(short_code="111")
    logged_in(client, "lead")
    index = client.get("/admin/feedback/canned/")
    assert index.status_code == 200
    assert "Meter replaced" not in index.content.decode()  # kept by the ministry, above the lead
    response = client.post(
        "/admin/feedback/canned/new/",
        {
            "institution": dawasa.pk,
            "title": "Bill corrected",
            "title_sw": "Bili imerekebishwa",
            "body": "We corrected your bill.",
            "body_sw": "Tumerekebisha bili yako.",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    made = CannedResponse.objects.get(title="Bill corrected")
    assert made.institution == dawasa
    # Not for an institution outside the lead's tree.
    response = client.post(
        "/admin/feedback/canned/new/",
        {
            "institution": Institution.objects.get(short_code="121").pk,
            "title": "x",
            "title_sw": "x",
            "body": "x",
            "body_sw": "x",
        },
    )
    assert response.status_code == 200 and not CannedResponse.objects.filter(title="x").exists()
    assert client.get(f"/admin/feedback/canned/edit/{usable.pk}/").status_code == 404
    logged_in(client, "officer")
    assert "Bill corrected" in client.get("/admin/feedback/canned/").content.decode()
    assert client.get("/admin/feedback/canned/new/").status_code in (302, 403)
    assert client.get(f"/admin/feedback/canned/edit/{made.pk}/").status_code in (302, 403)


# --- deadlines --------------------------------------------------------------------------------


def test_due_soon_is_within_two_working_days_and_never_when_overdue():
    case = case_in(Status.IN_PROGRESS)
    assert workflow.next_due(case) == case.resolve_due
    assert not workflow.is_due_soon(case, case.submitted_at)  # five working days ahead
    assert workflow.is_due_soon(case, case.resolve_due - timedelta(hours=1))
    late = case.resolve_due + timedelta(hours=1)
    assert workflow.is_overdue(case, late) and not workflow.is_due_soon(case, late)


def test_overdue_and_due_soon_are_marked_on_the_page(client):
    case = case_in(Status.SUBMITTED, now=timezone.now() - timedelta(days=10))
    html = logged_in(client, "officer").get(url(case)).content.decode()
    assert "case-page__overdue" in html


# --- merged cases ---------------------------------------------------------------------------------


def test_merged_cases_link_both_ways(client):
    surviving = case_in(Status.ACKNOWLEDGED)
    duplicate = case_in(Status.SUBMITTED)
    workflow.merge(duplicate, by=actor("officer"), into=surviving)
    logged_in(client, "officer")
    html = client.get(url(duplicate)).content.decode()
    assert "Merged into case" in html and f'href="{url(surviving)}"' in html
    html = client.get(url(surviving)).content.decode()
    assert "Cases merged into this one" in html and f'href="{url(duplicate)}"' in html
