"""Disputed resolutions (issue 18): the citizen's "not resolved" (workflow.dispute) as staff and
auditors see it: the inbox's filter and marker, the banner on the case page, the dashboards'
count, the reports' figure and case column; and the web's tracking page, which keeps "reopen"
and does not offer "dispute" beside it."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import references, tracking, workflow
from feedback.models import Case, CaseEvent, Channel, Institution, Status
from feedback.reports.csv import case_csv
from feedback.reports.figures import compute_figures, compute_summaries
from feedback.workspace import dashboards, queues
from feedback.workspace.case_page import open_dispute
from feedback.workspace.inbox import markers_for
from tests.feedback.factories import actor, case_in, user

pytestmark = pytest.mark.django_db

INBOX = "/admin/feedback/case/"


def client_for(username: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user(username))
    return client


def dispute(case: Case, reason: str = "The tap is still dry.") -> Case:
    return workflow.perform("dispute", case, by=workflow.citizen_of(case), reason=reason)


def resolve(case: Case) -> Case:
    return workflow.perform(
        "resolve", case, by=actor("admin"), response="The valve was replaced again."
    )


def disputed_ids() -> set[int]:
    return set(Case.objects.filter(queues.disputed()).values_list("pk", flat=True))


@pytest.fixture
def cases():
    """A disputed case, a plainly reopened one, an ordinary open one, a resolved one."""
    disputed = dispute(case_in(Status.RESOLVED))
    plain = case_in(Status.RESOLVED)
    reopened = workflow.perform(
        "reopen", plain, by=workflow.citizen_of(plain), reason="Still wrong."
    )
    return {
        "disputed": disputed,
        "reopened": reopened,
        "open": case_in(Status.IN_PROGRESS),
        "resolved": case_in(Status.RESOLVED),
    }


# The queue's rule ------------------------------------------------------------------------


def test_a_dispute_reopens_and_only_the_disputed_case_is_in_the_queue(cases):
    case = cases["disputed"]
    assert case.status == Status.REOPENED and case.disputed_at is not None
    assert disputed_ids() == {case.pk}


def test_a_resolution_after_the_dispute_ends_the_priority_even_if_reopened_again(cases):
    case = resolve(cases["disputed"])
    assert case.disputed_at is not None  # the fact stays
    assert disputed_ids() == set()
    case = workflow.perform("reopen", case, by=workflow.citizen_of(case), reason="Again.")
    assert case.status == Status.REOPENED
    assert disputed_ids() == set()  # an ordinary reopening now
    case = resolve(case)
    case = dispute(case, "Still nothing.")
    assert disputed_ids() == {case.pk}  # disputed again: first again


# The inbox -------------------------------------------------------------------------------


def test_the_disputed_filter_lists_exactly_the_disputed_cases(cases):
    response = client_for("officer").get(INBOX, {"disputed": "on"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["object_list"]] == [cases["disputed"].pk]
    everything = client_for("officer").get(INBOX)
    listed = {c.pk for c in everything.context["object_list"]}
    assert {cases["disputed"].pk, cases["reopened"].pk, cases["open"].pk} <= listed


def test_the_disputed_marker_is_a_word_on_the_disputed_row_only(cases):
    html = client_for("officer").get(INBOX).content.decode()

    def row(case):
        start = html.index(references.format_reference(case.reference))
        return html[start : html.index("</tr>", start)]

    assert "Disputed by the citizen" in row(cases["disputed"])
    assert "Disputed" not in row(cases["reopened"])
    assert "Disputed" not in row(cases["open"])


def test_the_filter_is_offered_first_among_the_checkboxes(cases):
    html = client_for("officer").get(INBOX).content.decode()
    assert html.index('name="disputed"') < html.index('name="overdue"')
    assert "Disputed by the citizen" in html


def test_markers_run_two_queries_and_agree_with_the_queue_rule(cases):
    case = resolve(cases["disputed"])  # resolved since the dispute: no longer disputed
    case = workflow.perform("reopen", case, by=workflow.citizen_of(case), reason="Again.")
    again = dispute(case_in(Status.RESOLVED))
    page = [cases["open"], cases["reopened"], case, again]
    with CaptureQueriesContext(connection) as queries:
        found = markers_for(page, timezone.now())
    assert len(queries) == 2  # as before disputes existed
    assert {c.pk for c in page if found[c.pk].disputed} == disputed_ids() == {again.pk}


# The case page ---------------------------------------------------------------------------


def test_the_case_page_shows_why_when_and_the_channel(cases):
    case = cases["disputed"]
    event = CaseEvent.objects.get(case=case, action="dispute")
    assert open_dispute(case) == event
    html = client_for("officer").get(f"/admin/feedback/case/{case.pk}/workspace/").content
    html = html.decode()
    assert "Disputed: the citizen says the case is not resolved" in html
    assert "The tap is still dry." in html
    assert timezone.localtime(event.created_at).strftime("%Y") in html
    assert f"came in by {Channel(case.channel).label}" in html


def test_no_banner_once_resolved_again_nor_on_a_plain_reopening(cases):
    case = resolve(cases["disputed"])
    assert open_dispute(case) is None
    for other in (case, cases["reopened"]):
        html = client_for("officer").get(f"/admin/feedback/case/{other.pk}/workspace/")
        assert "the citizen says the case is not resolved" not in html.content.decode()


def test_a_dispute_without_words_stores_none_and_the_banner_says_so():
    case = dispute(case_in(Status.RESOLVED), reason="")
    assert open_dispute(case).body == ""
    html = client_for("officer").get(f"/admin/feedback/case/{case.pk}/workspace/")
    assert "The citizen gave no reason." in html.content.decode()


# The dashboards --------------------------------------------------------------------------


def test_officers_leads_and_oversight_count_the_open_disputed_cases(cases):
    for name in ("officer", "lead", "oversight", "admin"):
        tiles = {tile.key: tile for tile in dashboards.workload(user(name))}
        assert tiles["disputed"].count == 1, name
        assert tiles["disputed"].urgent
        assert tiles["disputed"].url == f"{INBOX}?disputed=true"
        assert next(iter(tiles)) == "disputed"
    resolve(cases["disputed"])
    tiles = {tile.key: tile for tile in dashboards.workload(user("officer"))}
    assert tiles["disputed"].count == 0 and not tiles["disputed"].urgent


def test_the_dashboard_link_lists_what_the_number_counts(cases):
    tile = next(t for t in dashboards.workload(user("lead")) if t.key == "disputed")
    response = client_for("lead").get(tile.url)
    assert len(response.context["object_list"]) == tile.count == 1


def test_the_disputed_count_is_one_query_of_its_own_beside_the_aggregate(cases):
    lead = user("lead")
    with CaptureQueriesContext(connection) as queries:
        dashboards.workload(lead)
    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert len(counted) == 2
    assert sum("disputed_at" in sql for sql in counted) == 1


# The reports -----------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def test_the_reports_count_dispute_events_beside_reopenings(cases):
    case = resolve(cases["disputed"])
    dispute(case, "Still nothing.")  # twice: two disputes, one case
    water = Institution.objects.get(short_code="111")
    period = (_today() - timedelta(days=40), _today() + timedelta(days=1))
    figures = compute_figures(water, *period, subunits=True)
    assert figures.disputes == 2 == CaseEvent.objects.filter(action="dispute").count()
    assert figures.reopened == 2  # the disputed case and the plainly reopened one
    summary = compute_summaries([water], *period)["111"]
    assert summary.disputes == 2
    rows = case_csv(water, *period, subunits=True).decode().splitlines()
    header = rows[0].split(",")
    column = header.index("Resolutions disputed")
    assert header[column - 1] == "Reopenings"
    by_reference = {row.split(",")[0]: row.split(",")[column] for row in rows[1:]}
    assert by_reference[cases["disputed"].reference] == "2"
    assert by_reference[cases["reopened"].reference] == "0"
    assert sum(int(value) for value in by_reference.values()) == figures.disputes
    elsewhere = Institution.objects.get(short_code="121")
    assert compute_figures(elsewhere, *period, subunits=True).disputes == 0


def test_the_public_performance_page_shows_the_disputes(client, cases):
    html = client.get("/en/performance/111/").content.decode()
    assert "Resolutions disputed" in html


# The web's tracking page -----------------------------------------------------------------


def _tracking(client, case) -> str:
    session = client.session
    tracking.remember_proven(session, case.reference)
    session.save()
    return f"/en/feedback/track/{case.reference}/"


def test_the_web_offers_reopen_and_not_dispute(client):
    case = case_in(Status.RESOLVED)
    assert "dispute" in workflow.allowed_actions(case, workflow.citizen_of(case))
    url = _tracking(client, case)
    html = client.get(url).content.decode()
    assert 'value="reopen"' in html
    assert 'value="dispute"' not in html
    response = client.post(url, {"action": "dispute", "dispute-reason": "Not fixed"})
    assert response.status_code == 409
    case.refresh_from_db()
    assert (case.status, case.disputed_at) == (Status.RESOLVED, None)
