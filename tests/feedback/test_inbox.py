"""The inbox (feedback.workspace.inbox): scope, the default view, every filter and marker,
search, sort, bulk assignment, export, the stored next deadline, and a query count that does
not grow with the page or the table."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import references, workflow
from feedback.models import (
    Case,
    CaseEvent,
    Directive,
    Institution,
    Service,
    Status,
)
from feedback.workflow import due_soon_limit
from feedback.workspace.inbox import CappedPaginator, InboxView
from tests.feedback.factories import actor, case_in, submit_case, user

pytestmark = pytest.mark.django_db

INBOX = "/admin/feedback/case/"


def client_for(username: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user(username))
    return client


def listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [case.pk for case in response.context["object_list"]]


def inbox(username: str, **params) -> list[int]:
    return listed(client_for(username).get(INBOX, params))


def nhif_case(**overrides) -> Case:
    """A case at another ministry's agency (121): outside the officer's and lead's view."""
    fields = {
        "institution": Institution.objects.get(short_code="121"),
        "service": Service.objects.get(institution__short_code="121"),
        "subject": "Claim refused at the hospital",
        "description": "The water pump at the clinic is broken and my claim refused.",
        **overrides,
    }
    return submit_case(**fields).case


@pytest.fixture
def world():
    """Water cases (111's subtree) in several states, and an NHIF case with the same words."""
    now = timezone.now()
    overdue = submit_case(now=now - timedelta(days=30), subject="Overdue meter").case
    fresh = submit_case(subject="Fresh complaint", kind="inquiry").case
    closed = case_in(Status.CLOSED)
    nhif = nhif_case()
    return {"overdue": overdue, "fresh": fresh, "closed": closed, "nhif": nhif, "now": now}


# The stored next deadline ---------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_stored_next_due_follows_the_workflow_and_agrees_with_is_overdue(status):
    case = case_in(status)
    assert case.next_due == workflow.next_due(case)
    stored = Case.objects.get(pk=case.pk)
    assert stored.next_due == workflow.next_due(stored)
    for moment in (timezone.now(), timezone.now() + timedelta(days=60)):
        overdue = stored.next_due is not None and stored.next_due < moment
        assert overdue == workflow.is_overdue(stored, moment), (status, moment)
        in_queryset = Case.objects.overdue(moment).filter(pk=case.pk).exists()
        assert in_queryset == workflow.is_overdue(stored, moment)


def test_next_due_is_the_acknowledgement_then_the_later_of_resolution_and_interim_promise():
    case = submit_case().case
    assert case.next_due == case.acknowledge_due
    case = workflow.acknowledge(case, by=actor("officer"))
    assert case.next_due == case.resolve_due
    promised = (case.resolve_due + timedelta(days=10)).date()
    case = workflow.interim_reply(
        case, by=actor("officer"), message="Waiting for the meter test.", expected_by=promised
    )
    assert case.next_due == case.expected_by > case.resolve_due
    case = workflow.request_information(case, by=actor("officer"), question="Meter number?")
    assert case.next_due is None  # the clock is stopped
    assert Case.objects.get(pk=case.pk).next_due is None


def test_next_due_is_left_out_of_the_chained_history():
    case = submit_case().case
    assert "next_due" not in {field.name for field in case.history.model._meta.fields}


# Scope and the default view ---------------------------------------------------------------


def test_officer_default_inbox_is_the_open_cases_handled_here(world):
    shown = inbox("officer")
    assert world["overdue"].pk in shown and world["fresh"].pk in shown
    assert world["closed"].pk not in shown  # not open
    assert world["nhif"].pk not in shown  # another institution's
    everything = inbox("officer", show="all")
    assert world["closed"].pk in everything and world["nhif"].pk not in everything


def test_a_case_escalated_above_the_officer_leaves_the_default_inbox_but_stays_visible(world):
    case = workflow.escalate(world["fresh"], by=actor("admin"), reason="Too slow.")
    case = workflow.escalate(case, by=actor("admin"), reason="Still too slow.")
    assert case.escalated_to.short_code == "11"
    assert case.pk not in inbox("officer")
    assert case.pk in inbox("officer", show="all")
    assert case.pk in inbox("oversight")  # the ministry handles it now


def test_agent_sees_the_cases_they_submitted_and_the_screener_the_queue(world):
    agent = user("agent")
    taken = submit_case(by=workflow.staff(agent), channel="service_point").case
    assert inbox("agent") == [taken.pk]
    queued = submit_case(
        service=None, institution=Institution.objects.get(short_code="1"), subject="Where?"
    ).case
    assert inbox("screener") == [queued.pk]


@pytest.mark.parametrize("username", ["admin", "auditor"])
def test_admins_and_auditors_see_every_open_case(world, username):
    shown = inbox(username)
    assert {world["overdue"].pk, world["fresh"].pk, world["nhif"].pk} <= set(shown)
    assert world["closed"].pk not in shown


def test_editor_sees_no_case(world):
    response = client_for("editor").get(INBOX)
    assert response.status_code in (302, 403) or listed(response) == []


FILTERS = [
    {},
    {"show": "all"},
    {"status": "submitted"},
    {"kind": "complaint"},
    {"channel": "web"},
    {"language": "sw"},
    {"overdue": "on"},
    {"due_soon": "on"},
    {"mine": "on"},
    {"unassigned": "on"},
    {"escalation_level": "0"},
    {"submitted_from": "2000-01-01", "submitted_to": "2100-01-01"},
    {"appeals_to_decide": "on"},
    {"open_directives": "on"},
    {"q": "water pump"},
    {"q": "claim"},
    {"ordering": "-submitted_at"},
]


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("username", ["officer", "lead", "agent", "screener"])
def test_no_filter_search_or_sort_reaches_another_institutions_case(world, username, params):
    nhif = world["nhif"]
    Directive.objects.create(
        case=nhif,
        issued_by_institution=Institution.objects.get(short_code="12"),
        given_by=user("admin"),
        given_at=timezone.now(),
        instruction="Answer.",
        due=timezone.now() + timedelta(days=3),
    )
    response = client_for(username).get(INBOX, {**params, "show": "all"} if params else {})
    assert nhif.pk not in listed(response)
    html = response.content.decode()
    assert nhif.reference not in html
    assert references.format_reference(nhif.reference) not in html
    by_reference = client_for(username).get(
        INBOX, {"q": references.format_reference(nhif.reference)}
    )
    assert listed(by_reference) == []


def test_an_undeclared_lookup_changes_nothing(world):
    client = client_for("officer")
    plain = listed(client.get(INBOX))
    assert listed(client.get(INBOX, {"institution__short_code": "121", "reference": "x"})) == plain


@pytest.mark.parametrize(
    "params",
    [
        {"submitted_from": "not a date"},
        {"escalation_level": "abc"},
        {"status": "nonsense"},
        {"service": "99999999"},
        {"p": "abc"},
        {"ordering": "contact__phone"},
        {"q": "x" * 300},
    ],
)
def test_bad_filter_input_answers_the_default_inbox_not_a_500(world, params):
    response = client_for("officer").get(INBOX, params)
    assert response.status_code == 200
    shown = listed(response)
    assert world["nhif"].pk not in shown and world["closed"].pk not in shown


# Each filter narrows as it says ---------------------------------------------------------


def test_each_filter_narrows(world):
    overdue, fresh, closed = world["overdue"], world["fresh"], world["closed"]
    assert inbox("officer", overdue="on") == [overdue.pk]
    assert fresh.pk in inbox("officer", due_soon="on") and overdue.pk not in inbox(
        "officer", due_soon="on"
    )
    assert inbox("officer", kind="inquiry") == [fresh.pk]
    assert set(inbox("officer", status="closed")) == {closed.pk}
    assert inbox("officer", channel="sms") == []
    assert set(inbox("officer", channel="web")) == {overdue.pk, fresh.pk}
    assert inbox("officer", language="en") == []
    assert inbox("officer", escalation_level="1") == []
    today = timezone.localdate().isoformat()
    assert set(inbox("officer", submitted_from=today)) == {fresh.pk}
    water = Service.objects.get(institution__short_code="1111")
    assert set(inbox("officer", service=water.pk)) == {overdue.pk, fresh.pk}
    workflow.assign(fresh, by=actor("lead"), officer=user("officer"))
    assert inbox("officer", mine="on") == [fresh.pk]
    assert inbox("officer", unassigned="on") == [overdue.pk]


def test_the_service_filter_offers_only_services_the_user_sees(world):
    response = client_for("officer").get(INBOX)
    offered = set(response.context["view"].filters.form.fields["service"].queryset)
    assert offered == {Service.objects.get(institution__short_code="1111")}
    nhif_service = Service.objects.get(institution__short_code="121")
    response = client_for("officer").get(INBOX, {"service": nhif_service.pk})
    assert world["nhif"].pk not in listed(response)


def test_appeals_to_decide_lists_undecided_appeals_heard_at_the_users_level():
    appealed = case_in(Status.APPEALED)
    assert appealed.appeal.institution.short_code == "111"
    assert inbox("lead", appeals_to_decide="on") == [appealed.pk]
    assert inbox("oversight", appeals_to_decide="on") == [appealed.pk]  # heard below: in view
    workflow.dismiss_appeal(appealed, by=actor("lead"), response="The bill was right.")
    assert inbox("lead", appeals_to_decide="on", show="all") == []


def test_open_directives_filter_and_marker(world):
    directive = Directive.objects.create(
        case=world["fresh"],
        issued_by_institution=Institution.objects.get(short_code="11"),
        given_by=user("oversight"),
        given_at=timezone.now(),
        instruction="Report by Friday.",
        due=timezone.now() + timedelta(days=3),
    )
    response = client_for("officer").get(INBOX, {"open_directives": "on"})
    assert listed(response) == [world["fresh"].pk]
    assert "Open directive" in response.content.decode()
    directive.answer, directive.answered_by = "Done.", user("officer")
    directive.answered_at = timezone.now()
    directive.save()
    assert inbox("officer", open_directives="on") == []


# Markers --------------------------------------------------------------------------------


def row_of(html: str, reference: str) -> str:
    start = html.index(references.format_reference(reference))
    return html[start : html.index("</tr>", start)]


def test_markers_are_words_overdue_due_soon_and_no_reply_yet(world):
    html = client_for("officer").get(INBOX).content.decode()
    overdue_row = row_of(html, world["overdue"].reference)
    assert "Overdue" in overdue_row and "Due within 2 working days" not in overdue_row
    fresh_row = row_of(html, world["fresh"].reference)
    assert world["fresh"].next_due <= due_soon_limit(timezone.now())
    assert "Due within 2 working days" in fresh_row and "No reply yet" in fresh_row
    assert "Overdue" not in fresh_row
    workflow.reply(
        world["fresh"], by=actor("officer"), body="We are looking into it.", visibility="public"
    )
    html = client_for("officer").get(INBOX).content.decode()
    assert "No reply yet" not in row_of(html, world["fresh"].reference)


def test_an_internal_note_is_not_a_reply(world):
    workflow.reply(
        world["fresh"], by=actor("officer"), body="Call the depot.", visibility="internal"
    )
    assert CaseEvent.objects.filter(case=world["fresh"], is_public=False).exists()
    html = client_for("officer").get(INBOX).content.decode()
    assert "No reply yet" in row_of(html, world["fresh"].reference)


def test_the_reference_links_to_the_case_page(world):
    html = client_for("officer").get(INBOX).content.decode()
    assert f"/admin/feedback/case/{world['fresh'].pk}/workspace/" in html


# Search and sort ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["{ref}", "{spaced}", "{dashed}", " {spaced} "])
def test_search_by_reference_however_typed(world, typed):
    reference = world["fresh"].reference
    spaced = references.format_reference(reference)
    text = typed.format(ref=reference, spaced=spaced, dashed=spaced.replace(" ", "-"))
    assert inbox("officer", q=text) == [world["fresh"].pk]


def test_search_by_words_in_subject_or_description(world):
    assert inbox("officer", q="fresh") == [world["fresh"].pk]
    assert set(inbox("officer", q="march bill")) == {world["overdue"].pk, world["fresh"].pk}
    assert inbox("officer", q="march nowhere") == []


def test_default_sort_is_soonest_deadline_first_then_submitted_and_reference():
    later = submit_case().case
    sooner = submit_case(now=timezone.now() - timedelta(days=3)).case
    paused = case_in(Status.AWAITING_CITIZEN)
    assert inbox("officer") == [sooner.pk, later.pk, paused.pk]  # no deadline: last
    assert inbox("officer", ordering="-submitted_at")[:2] == [later.pk, paused.pk]
    by_reference = sorted([later, sooner, paused], key=lambda case: case.reference)
    assert inbox("officer", ordering="reference") == [case.pk for case in by_reference]


# Bulk assignment ------------------------------------------------------------------------


def bulk_url(*cases) -> str:
    ids = "&".join(f"id={case.pk}" for case in cases)
    return f"/admin/bulk/feedback/case/assign/?next={INBOX}&{ids}"


def test_lead_assigns_in_bulk_one_history_record_per_case_and_refusals_listed(world):
    overdue, fresh, closed = world["overdue"], world["fresh"], world["closed"]
    client = client_for("lead")
    page = client.get(bulk_url(overdue, fresh, closed))
    assert page.status_code == 200
    text = page.content.decode()
    assert closed.reference in text and "cannot be" in text  # the table's reason
    history_before = {c.pk: c.history.count() for c in (overdue, fresh)}
    response = client.post(bulk_url(overdue, fresh, closed), {"officer": user("officer").pk})
    assert response.status_code == 302
    for case in (overdue, fresh):
        case.refresh_from_db()
        assert case.assigned_to == user("officer")
        assert case.history.count() == history_before[case.pk] + 1
        assert case.events.filter(type=CaseEvent.Type.ASSIGNED).count() == 1
    closed.refresh_from_db()
    assert closed.assigned_to is None


def test_bulk_assign_reports_a_case_the_workflow_refuses_at_execution(world):
    """An officer of another subtree is refused by workflow.assign, case by case."""
    client = client_for("admin")
    nhif_officer = user("officer")  # works at 111: not assignable to the NHIF case
    response = client.post(bulk_url(world["fresh"], world["nhif"]), {"officer": nhif_officer.pk})
    assert response.status_code == 302
    world["fresh"].refresh_from_db()
    world["nhif"].refresh_from_db()
    assert world["fresh"].assigned_to == nhif_officer
    assert world["nhif"].assigned_to is None
    shown = client.get(INBOX).content.decode()
    assert f"Case {world['nhif'].reference} was not assigned" in shown


def test_bulk_assign_never_reaches_a_case_out_of_scope(world):
    client = client_for("lead")
    assert client.get(bulk_url(world["nhif"])).status_code == 404
    response = client.post(bulk_url(world["nhif"]), {"officer": user("officer").pk})
    assert response.status_code == 404
    world["nhif"].refresh_from_db()
    assert world["nhif"].assigned_to is None
    assert client.get("/admin/bulk/feedback/case/assign/?id=abc").status_code == 404


@pytest.mark.parametrize("username", ["officer", "agent", "auditor", "editor"])
def test_only_those_the_table_lets_assign_may_bulk_assign(world, username):
    client = client_for(username)
    response = client.post(bulk_url(world["fresh"]), {"officer": user("officer").pk})
    # Wagtail answers a refused permission with a redirect to the dashboard (or the login).
    assert response.status_code == 302 and response["Location"].startswith("/admin/")
    world["fresh"].refresh_from_db()
    assert world["fresh"].assigned_to is None
    if username == "officer":
        assert 'data-bulk-action-footer="CASE"' not in client.get(INBOX).content.decode()


# Export ---------------------------------------------------------------------------------


def test_auditor_exports_declared_columns_without_personal_data(world):
    response = client_for("auditor").get(INBOX, {"export": "csv", "show": "all"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Reference"
    references_out = {row[0] for row in rows[1:]}
    assert {world["fresh"].reference, world["nhif"].reference} <= references_out
    for secret in ("+255712345678", "Water bill", "Fresh complaint", "March bill"):
        assert secret not in body


def test_export_of_a_case_with_no_service_leaves_its_code_empty(world):
    screened = submit_case(institution=None, service=None).case  # the screening queue
    response = client_for("auditor").get(INBOX, {"export": "csv", "show": "all"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    code = rows[0].index("Service code")
    row = next(row for row in rows if row[0] == screened.reference)
    assert row[code] == ""
    water = next(row for row in rows if row[0] == world["fresh"].reference)
    assert water[code] == world["fresh"].service.code


def test_lead_export_keeps_to_the_leads_scope(world):
    response = client_for("lead").get(INBOX, {"export": "csv", "show": "all"})
    body = b"".join(response.streaming_content).decode()
    assert world["fresh"].reference in body and world["nhif"].reference not in body


def test_officer_may_not_export(world):
    client = client_for("officer")
    refused = client.get(INBOX, {"export": "csv"})
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert "export=csv" not in client.get(INBOX).content.decode()


def test_xlsx_export_answers(world):
    response = client_for("auditor").get(INBOX, {"export": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheet" in response["Content-Type"]


# Query count ----------------------------------------------------------------------------


def queries_for(username: str, params: dict) -> int:
    client = client_for(username)
    client.get(INBOX, params)  # warm: sessions, the user's profile, Wagtail's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(INBOX, params)
    assert response.status_code == 200
    return len(captured)


def add_cases(count: int) -> None:
    for index in range(count):
        case = submit_case(subject=f"Case number {index}").case
        if index % 3 == 0:
            workflow.assign(case, by=actor("lead"), officer=user("officer"))
        if index % 4 == 0:
            workflow.reply(case, by=actor("officer"), body="On it.", visibility="public")


PARAMS = [{}, {"overdue": "on"}, {"q": "case number"}, {"show": "all", "ordering": "reference"}]


@pytest.mark.parametrize("username", ["officer", "lead"])
def test_query_count_does_not_grow_with_cases_or_page_size(username, monkeypatch):
    add_cases(5)
    small = [queries_for(username, params) for params in PARAMS]
    add_cases(55)
    large = [queries_for(username, params) for params in PARAMS]
    assert small == large
    for size in (50, 5):
        monkeypatch.setattr(InboxView, "get_paginate_by", lambda view, queryset, n=size: n)
        assert [queries_for(username, params) for params in PARAMS] == large
    assert [queries_for(username, params) for params in PARAMS] == large
    assert max(large) <= 30


# The paginator: a capped count, and each page's cases found by their ids first -----------


def test_each_page_holds_the_cases_of_the_ordered_listing_read_by_their_ids(world):
    for _ in range(3):
        submit_case(subject="Another meter")
    ordered = Case.objects.order_by("next_due", "pk")
    expected = list(ordered.values_list("pk", flat=True))
    paginator = CappedPaginator(ordered, 2)
    pages = []
    for number in paginator.page_range:
        with CaptureQueriesContext(connection) as queries:
            pages.extend(case.pk for case in paginator.page(number).object_list)
        (sql,) = [query["sql"] for query in queries.captured_queries]
        # The ids sorted and cut in a subquery; the whole rows read for those ids only.
        assert re.search(r'WHERE .*\."id" IN \(SELECT .* LIMIT \d+( OFFSET \d+)?\)', sql), sql
    assert pages == expected and len(pages) == 7


def test_the_count_stops_at_its_cap_and_says_more_than(world):
    paginator = CappedPaginator(Case.objects.order_by("next_due", "pk"), 2)
    paginator.cap = 3
    assert paginator.count == 3 and paginator.num_pages == 2
    assert paginator.items_count_label == "More than 3 cases"
    everything = CappedPaginator(Case.objects.order_by("pk"), 2)
    assert everything.count == 4 and everything.items_count_label == "4 cases"
