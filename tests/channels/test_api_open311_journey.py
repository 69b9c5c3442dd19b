"""The issue's end-to-end line: a case submitted through the REST API with a retried
idempotency key exists once; the officer answers it in the admin; the citizen reads the answer
through the API with the PIN, and any Open311 client reads it in status_notes."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from feedback.channels import keys
from feedback.models import Case, Channel, Status
from tests.feedback.factories import user

pytestmark = pytest.mark.django_db

ANSWER = "We replaced the meter on 26 November; your next bill is corrected."


def test_api_case_answered_in_the_admin_reaches_the_api_and_open311(client):
    app, key = keys.create_client(name="County portal")
    headers = {"Authorization": f"Api-Key {key}", "Idempotency-Key": "portal-42"}
    body = {
        "kind": "complaint",
        "service": "1111-1",
        "subject": "Meter reads double",
        "description": "My water meter counts twice what I use.",
        "consent_to_publish": True,
        "contact_phone": "0712 345 678",
        "notify_by": "sms",
    }
    first = client.post("/api/v1/cases/", body, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    reference, pin = first.json()["reference"], first.json()["pin"]
    assert pin

    retry = client.post("/api/v1/cases/", body, content_type="application/json", headers=headers)
    assert retry.status_code == 200
    assert retry.json()["reference"] == reference and retry.json()["pin"] is None
    assert Case.objects.filter(channel=Channel.API, api_client=app).count() == 1
    case = Case.objects.get(reference=reference)

    client.force_login(user("officer"))
    page = reverse("feedback_case_workspace", args=[case.pk])
    answered = client.post(page, {"action": "resolve", "resolve-response": ANSWER})
    assert answered.status_code == 302
    client.logout()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED

    exchange = client.get(f"/api/v1/cases/{reference}/exchange/", headers={"X-Case-PIN": pin})
    assert exchange.status_code == 200
    assert exchange.json()["status"] == Status.RESOLVED
    assert ANSWER in [event["text"] for event in exchange.json()["events"]]
    assert "close" in {action["name"] for action in exchange.json()["actions"]}

    as_json = client.get(f"/open311/v2/requests/{reference}.json").json()
    assert as_json[0]["status"] == "closed" and as_json[0]["status_notes"] == ANSWER
    as_xml = ET.fromstring(client.get(f"/open311/v2/requests/{reference}.xml").content)
    assert as_xml.findtext("request/status_notes") == ANSWER
    assert as_xml.findtext("request/service_code") == "1111-1"

    assert client.get(f"/api/v1/cases/{reference}/exchange/").status_code in (401, 403)
    assert "345" not in exchange.content.decode() and "345" not in str(as_json)
