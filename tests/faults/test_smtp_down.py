"""SMTP server down: citizens still submit on the web and the API and get their reference and
PIN; every e-mail waits in the task queue (ids only, never the PIN) and is re-queued with
back-off while the server refuses connections; once it is back, each message arrives exactly
once, to the right address."""

import json
import re

import pytest

from feedback import privacy, workflow
from feedback.channels import keys
from feedback.models import Case, NotifyBy
from tests.faults.conftest import every_task_row_text, run_due_tasks, time_passes, waiting
from tests.feedback.factories import actor, submit_case, water_service

pytestmark = pytest.mark.django_db

CITIZEN_TASK = "feedback.notifications.notify_citizen"
WEB, API, OFFICE = "web.citizen@example.com", "api.citizen@example.com", "asha@example.com"


def submit_on_the_web(client, address: str) -> tuple[str, str]:
    form = {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "email": address,
        "notify_by": "email",
    }
    response = client.post("/en/feedback/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post("/en/feedback/new/review/", {"send": "1"})
    assert response.status_code == 200
    thanks = response.content.decode()
    pin = re.search(r'data-testid="pin">(\d{6})<', thanks).group(1)
    reference = privacy.cases_of_data_subject(email=address).get().reference
    return reference, pin


def submit_on_the_api(client, address: str) -> tuple[str, str]:
    _client, key = keys.create_client(name="Mkoa app", organisation="Dar es Salaam Region")
    body = {
        "kind": "complaint",
        "service": "1111-1",
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "contact_email": address,
        "notify_by": "email",
    }
    response = client.post(
        "/api/v1/cases/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.content
    return response.json()["reference"], response.json()["pin"]


def test_mail_waits_while_smtp_is_down_and_arrives_once_when_it_returns(
    client, database_queue, smtp_server
):
    smtp_server.stop()

    # (a) submissions and an officer's response succeed while no mail can leave
    web_ref, web_pin = submit_on_the_web(client, WEB)
    api_ref, api_pin = submit_on_the_api(client, API)
    for reference, pin in ((web_ref, web_pin), (api_ref, api_pin)):
        assert workflow.check_pin(Case.objects.get(reference=reference), pin)
    office = submit_case(
        contact=workflow.ContactDetails(email=OFFICE, notify_by=NotifyBy.EMAIL), language="en"
    )
    officer = actor("officer")
    case = workflow.acknowledge(office.case, by=officer)
    case = workflow.start(case, by=officer)
    workflow.resolve(case, by=officer, response="We corrected the bill to 12,000 shillings.")

    queued = {
        (row.args_kwargs["kwargs"]["case_id"], row.args_kwargs["kwargs"]["action"])
        for row in waiting(CITIZEN_TASK)
    }
    office_id = office.case.pk
    assert {(office_id, "submit"), (office_id, "acknowledge"), (office_id, "resolve")} <= queued
    assert len(queued) == waiting().count() == 5  # web and API "received" too, nothing else

    # (b) every attempt fails and is queued again, later; nothing is lost or marked failed
    assert run_due_tasks() == 5
    assert smtp_server.received == []
    assert waiting().count() == 5 and not waiting().filter(run_after__isnull=True).exists()
    assert {row.args_kwargs["kwargs"]["attempt"] for row in waiting()} == {2}
    assert run_due_tasks() == 0  # the retries wait for their back-off
    time_passes()
    assert run_due_tasks() == 5  # a second attempt, still refused
    assert {row.args_kwargs["kwargs"]["attempt"] for row in waiting()} == {3}

    # the rows anyone with database access reads hold no PIN and no address
    rows = every_task_row_text()
    for secret in (web_pin, api_pin, office.pin, WEB, API, OFFICE):
        assert secret not in rows

    # (c) the server returns: each message arrives once, to its citizen
    smtp_server.start()
    time_passes()
    assert run_due_tasks() == 5
    assert not waiting().exists()
    assert smtp_server.subjects_to(WEB) == [f"Your feedback {web_ref}"]
    assert smtp_server.subjects_to(API) == [f"Your feedback {api_ref}"]
    reference = office.case.reference
    assert sorted(smtp_server.subjects_to(OFFICE)) == [
        f"Update on your feedback {reference}",
        f"Update on your feedback {reference}",
        f"Your feedback {reference}",
    ]
    assert len(smtp_server.received) == 5
    for recipients, _message in smtp_server.received:
        assert len(recipients) == 1  # nobody sees another citizen's address

    time_passes()
    assert run_due_tasks() == 0  # nothing left to send twice
    assert len(smtp_server.received) == 5
