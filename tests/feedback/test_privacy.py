"""Personal data: erased on request or after retention, exported for the citizen, chain intact."""

import json
from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from feedback import privacy, tracking, workflow
from feedback.audit import verify_chain
from feedback.models import Contact, Status
from tests.feedback.factories import actor, case_in

pytestmark = pytest.mark.django_db


def test_erasure_blanks_the_contact_keeps_the_case_and_the_chain(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    case = case_in(Status.IN_PROGRESS)
    assert privacy.erase_contact(case, reason="citizen asked")
    contact = Contact.objects.get(case=case)
    assert (contact.name, contact.phone, contact.email) == ("", "", "")
    assert contact.erased_at is not None
    assert privacy.erase_contact(case, reason="again") is False
    assert verify_chain().ok
    # No one to tell any more: the resolution queues no message.
    DBTaskResult.objects.all().delete()
    workflow.resolve(case, by=actor("officer"), response="Done.")
    assert not DBTaskResult.objects.filter(task_path__startswith="feedback.").exists()


def test_contacts_are_erased_when_the_retention_period_ends(settings):
    closed = case_in(Status.CLOSED)
    still_open = case_in(Status.IN_PROGRESS)
    after = closed.closed_at + timedelta(days=settings.CONTACT_RETENTION_DAYS, hours=1)
    assert privacy.erase_expired_contacts(now=closed.closed_at + timedelta(days=1)) == 0
    assert privacy.erase_expired_contacts(now=after) == 1
    assert Contact.objects.get(case=closed).phone == ""
    assert Contact.objects.get(case=still_open).phone == "+255712345678"


def _prove(client, case):
    session = client.session
    tracking.remember_proven(session, case.reference)
    session.save()


def test_citizen_downloads_their_data_only_after_the_pin(client):
    case = case_in(Status.RESOLVED)
    url = f"/en/feedback/track/{case.reference}/data/"
    assert client.get(url).status_code == 404
    _prove(client, case)
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["contact"]["phone"] == "+255712345678"
    assert data["description"] == case.description
    assert any(m["text"] == "Bill corrected." for m in data["messages"])


def test_citizen_deletes_their_contact_details_from_the_tracking_page(client):
    case = case_in(Status.RESOLVED)
    _prove(client, case)
    url = f"/en/feedback/track/{case.reference}/"
    assert "Delete my contact details" in client.get(url).content.decode()
    assert client.post(url, {"action": "erase", "confirm": "yes"}).status_code == 302
    assert Contact.objects.get(case=case).erased_at is not None
    assert "Delete my contact details" not in client.get(url).content.decode()
