"""The service-point desk: an agent submits for a walk-in citizen, hands over a receipt with
the reference and PIN (and can text it), and follows only the cases they took down."""

import logging
import re
import uuid

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from feedback import references, sms, workflow
from feedback.models import Case, Channel, Contact, Institution, Role, ServicePoint, Status
from feedback.workspace.agent import take_down
from tests.feedback.factories import make_staff, submit_case, user, water_service
from tests.feedback.test_secrets import task_queue, text_columns_holding  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

DESK = "/admin/feedback/service-point/submit/"
PHONE = "+255712345678"


@pytest.fixture
def desk():
    """The test world's agent, working at a post office in Ilala."""
    point = ServicePoint.objects.create(
        code="1811",
        name="Ilala Post Office",
        name_sw="Posta ya Ilala",
        location="Uhuru Street",
        host=Institution.objects.get(short_code="1811"),
    )
    profile = user("agent").staff_profile
    profile.service_point = point
    profile.save()
    return point


@pytest.fixture
def agent_client(client, desk):
    client.force_login(user("agent"))
    return client


def walk_in(**overrides):
    """What an agent types for a citizen; each test changes what it is about."""
    data = {
        "token": str(uuid.uuid4()),
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Bili ya maji imeongezeka",
        "description": "Bili ya mwezi Machi ni mara mbili ya kawaida.",
        "language": "sw",
        "name": "Mwanaidi Hassan",
        "phone": "0712 345 678",
        "notify_by": "sms",
        "consent_to_publish": "no",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def shown_pin(response) -> str | None:
    found = re.search(r'data-testid="pin">(\d{6})<', response.content.decode())
    return found.group(1) if found else None


# Submitting


def test_agent_submits_for_a_walk_in_citizen_and_the_desk_is_recorded(agent_client, desk):
    response = agent_client.post(DESK, walk_in())
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.channel == Channel.SERVICE_POINT
    assert case.submitted_by == user("agent")
    assert case.service_point == desk
    assert case.language == "sw" and case.consent_to_publish is False
    assert case.contact.phone == PHONE and case.contact.name == "Mwanaidi Hassan"
    assert case.events.get().actor == user("agent")
    assert workflow.check_pin(case, shown_pin(response))


def test_receipt_is_the_posts_answer_never_cached_and_says_what_the_citizen_needs(
    agent_client,
):
    response = agent_client.post(DESK, walk_in(language="en"))
    case = Case.objects.get()
    assert "no-store" in response["Cache-Control"]
    assert all(shown_pin(response) not in str(value) for value in agent_client.session.values())
    html = response.content.decode()
    reference = f"{case.reference[:3]} {case.reference[3:6]} {case.reference[6:]}"
    assert f'data-testid="reference">{reference}<' in html  # grouped for reading aloud
    assert "DAWASA Customer Care" in html and "Water bills and meters" in html
    assert case.submitted_at.strftime("%Y") in html
    promise = (
        f"must acknowledge your feedback by {case.acknowledge_due.day} "
        f"{case.acknowledge_due:%B %Y} and answer it by {case.resolve_due.day} "
        f"{case.resolve_due:%B %Y}"
    )
    assert promise in html
    assert f"/en/feedback/track/{case.reference}/" in html
    assert "Ilala Post Office, Uhuru Street" in html
    assert "receipt.css" in html  # the print stylesheet
    assert "data-receipt-print" in html and "Ctrl+P" in html  # button, and without scripts


def test_swahili_citizen_gets_the_slip_in_swahili(agent_client):
    response = agent_client.post(DESK, walk_in(language="sw"))
    html = response.content.decode()
    assert 'lang="sw"' in html
    assert "Posta ya Ilala" in html  # names in the citizen's language
    case = Case.objects.get()
    assert f"/sw/feedback/track/{case.reference}/" in html


def test_double_click_makes_one_case_and_the_retry_gives_no_pin(agent_client):
    data = walk_in()
    first = agent_client.post(DESK, data)
    again = agent_client.post(DESK, data)
    assert Case.objects.count() == 1
    assert shown_pin(first) and shown_pin(again) is None
    html = again.content.decode()
    assert again.status_code == 200 and "no-store" in again["Cache-Control"]
    assert 'data-testid="pin-given-once"' in html
    case = Case.objects.get()
    new_pin = f"/sw/feedback/track/{case.reference}/new-pin/"  # the public way to a new PIN
    assert new_pin in html and 'data-testid="new-pin-link"' in html
    assert 'data-testid="new-pin-link"' not in first.content.decode()


def test_the_same_token_from_another_agent_is_another_case(agent_client, desk, client):
    data = walk_in()
    agent_client.post(DESK, data)
    other = make_staff("agent-2", Role.AGENT, "1811")
    other.staff_profile.service_point = desk
    other.staff_profile.save()
    client.force_login(other)
    response = client.post(DESK, data)
    assert shown_pin(response) is not None
    assert Case.objects.filter(submitted_by=other).count() == 1


def test_errors_keep_what_was_typed_and_send_nothing(agent_client):
    data = walk_in(kind=None, consent_to_publish=None, language=None, subject="Meter broken")
    response = agent_client.post(DESK, data)
    assert response.status_code == 400
    assert not Case.objects.exists()
    html = response.content.decode()
    assert "Choose what kind of feedback it is." in html
    assert "Ask the citizen, and choose their answer." in html
    assert "Choose the language the citizen wants to be answered in." in html
    assert 'value="Meter broken"' in html and 'value="0712 345 678"' in html
    assert f'value="{data["token"]}"' in html  # the retry still counts as one submission


def test_a_mangled_token_is_replaced_and_nothing_typed_is_lost(agent_client):
    response = agent_client.post(DESK, walk_in(token="not-a-uuid"))
    assert response.status_code == 400 and not Case.objects.exists()
    html = response.content.decode()
    assert "The form lost its submission key" in html and 'value="not-a-uuid"' not in html
    fresh = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert uuid.UUID(fresh) and 'value="Bili ya maji imeongezeka"' in html
    assert agent_client.post(DESK, walk_in(token=fresh)).status_code == 200


def test_consent_and_language_are_asked_not_preset(agent_client):
    html = agent_client.get(DESK).content.decode()
    for name in ("consent_to_publish", "language"):
        radios = re.findall(rf'<input type="radio" name="{name}"[^>]*>', html)
        assert len(radios) == 2 and not [radio for radio in radios if "checked" in radio]
    assert 'name="token"' in html and 'type="hidden"' in html
    assert "data-send-once" in html and "desk.js" in html  # a second click sends nothing


def test_anonymous_citizen_gets_a_receipt_that_warns_the_pin_is_irreplaceable(agent_client):
    data = walk_in(name="", phone="", notify_by="none", language="en")
    response = agent_client.post(DESK, data)
    assert response.status_code == 200 and shown_pin(response)
    case = Case.objects.get()
    assert case.is_anonymous and not Contact.objects.filter(case=case).exists()
    again = agent_client.post(DESK, data)
    assert "a lost PIN cannot be replaced" in again.content.decode()


def test_institution_by_keypad_code_and_a_contradiction_is_caught(agent_client):
    response = agent_client.post(DESK, walk_in(service="", institution_code="121"))
    assert response.status_code == 200
    assert Case.objects.get().institution.short_code == "121"
    nhif = Institution.objects.get(short_code="121")
    dawasa = Institution.objects.get(short_code="111")
    response = agent_client.post(
        DESK, walk_in(service="", institution_code="121", institution=dawasa.pk)
    )
    assert response.status_code == 400
    assert f"This code is {nhif}, but {dawasa} is chosen below." in response.content.decode()
    response = agent_client.post(DESK, walk_in(institution_code="999"))
    assert response.status_code == 400
    assert "No institution has this code." in response.content.decode()
    assert Case.objects.count() == 1


def test_without_an_institution_the_case_goes_to_screening(agent_client):
    agent_client.post(DESK, walk_in(service=""))
    assert Case.objects.get().institution.is_root()


# The receipt by SMS


def test_receipt_by_sms_needs_a_phone(agent_client):
    response = agent_client.post(DESK, walk_in(phone="", receipt_by_sms="on"))
    assert response.status_code == 400
    assert "Enter the citizen&#x27;s phone number to send the receipt by SMS." in (
        response.content.decode()
    )


@pytest.mark.usefixtures("task_queue")
def test_receipt_sms_carries_the_pin_straight_to_the_gateway_and_nothing_keeps_it(
    agent_client, caplog
):
    caplog.set_level(logging.DEBUG)
    response = agent_client.post(DESK, walk_in(receipt_by_sms="on"))
    pin = shown_pin(response)
    case = Case.objects.get()
    (message,) = sms.outbox  # sent now; the usual "received" note is still only queued
    assert message.to == PHONE
    assert pin in message.body and case.reference in message.body.replace(" ", "")
    assert 'data-testid="sms-sent"' in response.content.decode()
    for row in DBTaskResult.objects.all():
        assert pin not in str(row.args_kwargs)
    assert text_columns_holding(pin) == []
    assert not [record for record in caplog.records if pin in record.getMessage()]


@pytest.mark.usefixtures("task_queue")
def test_refused_sms_says_so_on_the_receipt_and_logs_no_pin(agent_client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.SMS_BACKEND = "tests.feedback.test_secrets.RefusingGateway"
    response = agent_client.post(DESK, walk_in(receipt_by_sms="on"))
    assert response.status_code == 200
    pin = shown_pin(response)
    assert pin and 'data-testid="sms-failed"' in response.content.decode()
    assert Case.objects.count() == 1
    assert not [record for record in caplog.records if pin in record.getMessage()]


@pytest.mark.usefixtures("task_queue")
def test_no_sms_unless_asked(agent_client):
    agent_client.post(DESK, walk_in())
    assert sms.outbox == []


# Who may use the desk


@pytest.mark.parametrize("username", ["officer", "lead", "oversight", "auditor", "editor"])
def test_other_roles_are_refused(client, username):
    client.force_login(user(username))
    response = client.get(DESK)
    assert response.status_code == 403
    assert "Only service-point agents and administrators" in response.content.decode()
    assert client.post(DESK, walk_in()).status_code == 403
    assert not Case.objects.exists()


def test_signed_out_visitor_is_sent_to_log_in(client):
    response = client.get(DESK)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_agent_without_a_service_point_is_told_why(client):
    client.force_login(user("agent"))
    response = client.get(DESK)
    assert response.status_code == 403
    assert "not linked to a service point" in response.content.decode()
    assert client.post(DESK, walk_in()).status_code == 403
    assert not Case.objects.exists()


def test_administrator_names_the_service_point(client, desk):
    client.force_login(user("admin"))
    response = client.post(DESK, walk_in())
    assert response.status_code == 400
    assert "Choose the service point where the citizen came." in response.content.decode()
    response = client.post(DESK, walk_in(service_point=desk.pk))
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.service_point == desk and case.submitted_by == user("admin")


def test_desk_is_in_the_menu_of_agents_only(client, desk):
    client.force_login(user("agent"))
    assert DESK in client.get("/admin/").content.decode()
    client.force_login(user("officer"))
    assert DESK not in client.get("/admin/").content.decode()


# The rule without HTTP


def test_take_down_records_agent_and_desk_and_is_idempotent(desk):
    fields = {
        "kind": "inquiry",
        "institution": water_service().institution,
        "service": water_service(),
        "subject": "Meter reading",
        "description": "When is the meter read?",
        "language": "en",
        "contact": workflow.ContactDetails(),
        "consent_to_publish": True,
    }
    token = str(uuid.uuid4())
    first = take_down(agent=user("agent"), service_point=desk, token=token, fields=fields)
    again = take_down(agent=user("agent"), service_point=desk, token=token, fields=fields)
    assert first.pin and first.created and again.pin is None and not again.created
    assert again.case == first.case and first.case.service_point == desk
    assert first.case.is_anonymous and first.sms_sent is None


def test_submit_records_the_service_point(desk):
    case = submit_case(
        channel=Channel.SERVICE_POINT, by=workflow.staff(user("agent")), service_point=desk
    ).case
    assert case.service_point == desk and case.submitted_by == user("agent")


# The agent's cases


def test_agent_lists_and_opens_only_the_cases_they_submitted(agent_client):
    agent_client.post(DESK, walk_in())
    theirs = Case.objects.get()
    others = submit_case().case
    listing = agent_client.get(reverse("feedback_case:index")).content.decode()
    assert references.format_reference(theirs.reference) in listing
    assert references.format_reference(others.reference) not in listing
    searched = agent_client.get(reverse("feedback_case:index"), {"q": others.reference})
    assert searched.status_code == 200
    assert reverse("feedback_case_workspace", args=[others.pk]) not in searched.content.decode()
    page = reverse("feedback_case_workspace", args=[theirs.pk])
    assert agent_client.get(page).status_code == 200
    assert agent_client.get(reverse("feedback_case_workspace", args=[others.pk])).status_code == 404
    assert agent_client.get(reverse("feedback_case:inspect", args=[others.pk])).status_code == 404


def test_agent_acts_for_the_citizen_only_as_the_table_allows(agent_client):
    agent_client.post(DESK, walk_in())
    case = Case.objects.get()
    page = reverse("feedback_case_workspace", args=[case.pk])
    allowed = workflow.allowed_actions(case, workflow.staff(user("agent")))
    assert allowed == ["add_information"]
    html = agent_client.get(page).content.decode()
    assert 'value="add_information"' in html and 'value="acknowledge"' not in html
    response = agent_client.post(page, {"action": "acknowledge"})
    assert response.status_code == 400
    response = agent_client.post(
        page, {"action": "add_information", "add_information-body": "Meter number 4471."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.events.latest("pk").body == "Meter number 4471."


def test_agent_may_not_act_on_another_agents_case(agent_client):
    others = submit_case(by=workflow.staff(make_staff("agent-3", Role.AGENT, "1811"))).case
    page = reverse("feedback_case_workspace", args=[others.pk])
    response = agent_client.post(page, {"action": "add_information", "add_information-body": "x"})
    assert response.status_code == 404
    assert others.events.count() == 1


# Service points in the admin


def test_administrator_adds_a_service_point_and_its_agents(client):
    client.force_login(user("admin"))
    add = reverse("feedback_servicepoint:add")
    form = client.get(add).content.decode()
    assert 'name="agents"' in form and "agent" in form
    response = client.post(
        add,
        {
            "code": "4001",
            "name": "Kariakoo Post Office",
            "name_sw": "Posta ya Kariakoo",
            "location": "Msimbazi Street",
            "host": Institution.objects.get(short_code="1811").pk,
            "is_active": "on",
            "agents": [user("agent").pk],
        },
    )
    assert response.status_code == 302
    point = ServicePoint.objects.get(code="4001")
    assert user("agent").staff_profile.service_point == point
    assert user("agent").staff_profile.history.latest().service_point_id == point.pk
    edit = reverse("feedback_servicepoint:edit", args=[point.pk])
    response = client.post(
        edit,
        {"code": "4001", "name": "Kariakoo Post Office", "is_active": "on", "agents": []},
    )
    assert response.status_code == 302
    assert user("agent").staff_profile.service_point is None


def test_only_agents_can_be_chosen(client, desk):
    client.force_login(user("admin"))
    edit = reverse("feedback_servicepoint:edit", args=[desk.pk])
    response = client.post(
        edit, {"code": desk.code, "name": desk.name, "agents": [user("officer").pk]}
    )
    assert response.status_code == 200  # the form again, with its error
    assert user("officer").staff_profile.service_point is None


def test_a_bad_keypad_code_is_refused_with_a_message(client):
    client.force_login(user("admin"))
    response = client.post(reverse("feedback_servicepoint:add"), {"code": "12a", "name": "X"})
    assert "Use 1 to 6 digits" in response.content.decode()
    assert not ServicePoint.objects.exists()


@pytest.mark.parametrize("username", ["agent", "officer", "lead", "auditor", "editor"])
def test_only_administrators_manage_service_points(client, username):
    client.force_login(user(username))
    response = client.get(reverse("feedback_servicepoint:add"))
    assert response.status_code in (302, 403)
    assert "/admin/feedback/servicepoint/new/" not in response.get("Location", "")
    client.post(reverse("feedback_servicepoint:add"), {"code": "4002", "name": "X"})
    assert not ServicePoint.objects.exists()
