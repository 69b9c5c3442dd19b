"""The case page in the Wagtail admin: staff act through the workflow, within their scope."""

import pytest
from django.urls import reverse

from feedback.models import Institution, Status
from tests.feedback.factories import case_in, submit_case, user

pytestmark = pytest.mark.django_db


def url(case):
    return reverse("feedback_case_workspace", args=[case.pk])


def test_officer_sees_the_case_story_and_only_the_actions_open_to_them(client):
    case = case_in(Status.SUBMITTED)
    client.force_login(user("officer"))
    html = client.get(url(case)).content.decode()
    assert case.description in html and "+255712345678" in html
    assert "Acknowledge" in html and "Reject" in html
    assert "Resolve with a response" not in html  # not from "submitted"
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
