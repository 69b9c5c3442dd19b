"""Hostile input on the staff workspace, logged in as an officer, a lead and an auditor: the
inbox's filters and search, the case page, reports, the audit tools, the agent desk (GET
parameters), and the case page's POST forms with hostile text (a response, an internal note).
"""

import pytest
from django.urls import reverse

from feedback.models import CaseEvent, Status
from tests.feedback.factories import case_in, user
from tests.hostile.conftest import assert_sane
from tests.hostile.corpus import (
    HOSTILE_PARAMS,
    HOSTILE_TEXT,
    MEGABYTE,
    PARAM_CLASSES,
    SCRIPT,
    VALID_ODD,
)

pytestmark = pytest.mark.django_db
INBOX_FILTERS = ("show", "status", "kind", "service", "channel", "language", "escalation_level")
INBOX_FILTERS += ("submitted_after", "submitted_before", "disputed", "overdue", "due_soon")
INBOX_FILTERS += ("mine", "q", "p", "ordering", "institution", "page", "export")
LISTINGS = [
    "/admin/feedback/case/",
    "/admin/feedback/reports/",
    "/admin/feedback/audit/chain/",
    "/admin/feedback/oversight/",
    "/admin/feedback/canned/",
    "/admin/",
]


@pytest.fixture
def a_case():
    return case_in(Status.IN_PROGRESS)


@pytest.mark.parametrize("username", ["officer", "lead", "auditor"])
@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES)
def test_hostile_filters_on_staff_listings(client, username, listing, payload_name, payload):
    client.force_login(user(username))
    answer = client.get(listing, dict.fromkeys(INBOX_FILTERS, payload))
    assert_sane(answer, where=f"{username} {listing} {payload_name}")
    assert answer.status_code in (200, 302, 400, 403, 404)


@pytest.mark.parametrize("username", ["officer", "lead", "auditor"])
def test_hostile_ids_on_the_case_page(client, username, a_case):
    client.force_login(user(username))
    page = reverse("feedback_case_workspace", args=[a_case.pk])
    for url in (
        page + "?tab=" + SCRIPT,
        page + "history/?page=-1",
        page + "attachments/99999999/",
        "/admin/feedback/case/99999999999999999999/workspace/",
        "/admin/feedback/audit/chain/99999999999999999999/",
        "/admin/feedback/case/abc/workspace/",
    ):
        answer = client.get(url)
        assert_sane(answer, where=f"{username} {url}")
        assert answer.status_code in (200, 302, 403, 404)


def test_the_agent_desk_with_hostile_parameters(client):
    client.force_login(user("agent"))
    for payload_name, payload in HOSTILE_PARAMS:
        answer = client.get("/admin/feedback/service-point/submit/", {"service": payload})
        assert_sane(answer, where=f"agent desk {payload_name}")


STAFF_TEXT_FORMS = [
    ("resolve", {"resolve-response": "{}"}),
    ("reply", {"reply-body": "{}", "reply-visibility": "internal"}),
    ("reply", {"reply-body": "{}", "reply-visibility": "public"}),
]


@pytest.mark.parametrize(("action", "form"), STAFF_TEXT_FORMS)
@pytest.mark.parametrize(("payload_name", "payload"), [*HOSTILE_TEXT, ("megabyte", MEGABYTE)])
def test_hostile_text_in_staff_forms(client, a_case, action, form, payload_name, payload):
    client.force_login(user("officer"))
    url = reverse("feedback_case_workspace", args=[a_case.pk])
    data = {"action": action, **{k: v.replace("{}", payload) for k, v in form.items()}}
    answer = client.post(url, data)
    assert_sane(answer, where=f"staff {action} {payload_name}")
    assert answer.status_code in (200, 302, 400)
    assert_sane(client.get(url), where=f"case page after {action} {payload_name}")


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_in_a_staff_note_is_stored_and_shown(client, a_case, payload_name, payload):
    client.force_login(user("officer"))
    url = reverse("feedback_case_workspace", args=[a_case.pk])
    data = {"action": "reply", "reply-body": payload, "reply-visibility": "public"}
    assert client.post(url, data).status_code == 302
    assert CaseEvent.objects.filter(case=a_case).latest("pk").body == payload
    assert payload in client.get(url).content.decode()
    # The citizen reads the public reply on the tracking page.
    from feedback import tracking

    session = client.session
    tracking.remember_proven(session, a_case.reference)
    session.save()
    page = client.get(f"/en/feedback/track/{a_case.reference}/").content.decode()
    assert payload in page, payload_name
