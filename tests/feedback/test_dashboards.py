"""Every role's numbers on the admin's home page, each a link to the inbox filtered to exactly
those cases, in a fixed number of queries; the oversight dashboard's rows are the reports'
figures per child institution."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.views.home import RecentEditsPanel

from feedback import workflow
from feedback.models import Case, Directive, Institution, Role, Status
from feedback.reports.figures import compute_summaries
from feedback.workspace import dashboard_hooks, dashboards, queues
from tests.feedback.factories import (
    InstitutionFactory,
    actor,
    case_in,
    make_staff,
    submit_case,
    user,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def counts(tiles):
    return {tile.key: tile.count for tile in tiles}


def elsewhere(**kwargs):
    """A case of the health insurance fund (121): outside the water officer's view."""
    fund = Institution.objects.get(short_code="121")
    return submit_case(institution=fund, service=None, **kwargs)


@pytest.fixture
def water_work():
    """At the water utility (1111, below the officer's 111): an overdue case, one due in a
    day, one waiting for the citizen, one escalated to 111, one appealed (heard by 111)."""
    overdue = case_in(Status.SUBMITTED, now=NOW - timedelta(days=30))
    due_soon = case_in(Status.SUBMITTED, now=NOW - timedelta(minutes=30))
    waiting = case_in(Status.AWAITING_CITIZEN, now=NOW - timedelta(days=1))
    escalated = workflow.escalate(
        case_in(Status.IN_PROGRESS, now=NOW - timedelta(hours=3)),
        by=actor("lead"),
        reason="Needs the agency.",
        now=NOW - timedelta(hours=1),
    )
    appealed = case_in(Status.APPEALED, now=NOW - timedelta(hours=5))
    elsewhere(now=NOW - timedelta(days=30))  # overdue too, but not the officer's
    return {
        "overdue": overdue,
        "due_soon": due_soon,
        "waiting": waiting,
        "escalated": escalated,
        "appealed": appealed,
    }


def test_officer_counts_their_subtree_open_overdue_due_and_escalated(water_work):
    found = counts(dashboards.workload(user("officer"), NOW))
    assert found == {
        "disputed": 0,
        "open": 5,
        "overdue": 1,
        # the fresh submission (acknowledge tomorrow), the escalated case (a new charter
        # period of 5 working days at 111)
        "due_this_week": 2,
        "escalated_to_me": 1,
        "directives": 0,
        "assigned_to_me": 0,
    }


def test_lead_also_counts_appeals_outcomes_and_unassigned(water_work):
    found = counts(dashboards.workload(user("lead"), NOW))
    assert found["appeals"] == 1
    assert found["unassigned"] == 5
    assert found["outcomes"] == 0
    assert "assigned_to_me" not in found


def test_oversight_and_admin_count_their_level(water_work):
    ministry = counts(dashboards.workload(user("oversight"), NOW))
    assert (ministry["open"], ministry["overdue"], ministry["escalated_to_me"]) == (5, 1, 1)
    everything = counts(dashboards.workload(user("admin"), NOW))
    assert (everything["open"], everything["overdue"]) == (6, 2)


def test_directives_waiting_count_the_cases_with_an_open_directive(water_work):
    case = water_work["overdue"]
    # Given directly: the give_directive action arrives with the domain branch.
    for answered in (False, False, True):
        Directive.objects.create(
            case=case if not answered else water_work["waiting"],
            issued_by_institution=Institution.objects.get(short_code="11"),
            given_by=user("oversight"),
            given_at=NOW,
            instruction="Answer the citizen this week.",
            due=NOW + timedelta(days=3),
            answer="Done." if answered else "",
            answered_by=user("officer") if answered else None,
            answered_at=NOW if answered else None,
        )
    assert counts(dashboards.workload(user("officer"), NOW))["directives"] == 1


def test_a_case_escalated_above_the_officer_counts_for_the_level_that_has_it(water_work):
    workflow.escalate(
        water_work["escalated"], by=actor("admin"), reason="To the ministry.", now=NOW
    )
    officer = counts(dashboards.workload(user("officer"), NOW))
    assert (officer["open"], officer["escalated_to_me"]) == (4, 0)
    ministry = counts(dashboards.workload(user("oversight"), NOW))
    assert (ministry["open"], ministry["escalated_to_me"]) == (5, 1)


def test_cases_the_user_may_not_see_count_nowhere():
    elsewhere(now=NOW - timedelta(days=30))
    for name in ("officer", "lead", "oversight"):
        assert set(counts(dashboards.workload(user(name), NOW)).values()) == {0}, name
    assert dashboards.workload(user("editor"), NOW) == []
    assert dashboards.workload(user("agent"), NOW) == []


def test_each_number_links_to_the_inbox_filtered_to_it(water_work):
    tiles = {tile.key: tile for tile in dashboards.workload(user("lead"), NOW)}
    index = reverse("feedback_case:index")
    for key, tile in tiles.items():
        parts = urlsplit(tile.url)
        assert parts.path == index
        assert {k: v[0] for k, v in parse_qs(parts.query).items()} == dashboards.INBOX_FILTERS[key]
    assert tiles["overdue"].urgent and not tiles["open"].urgent


def test_due_this_week_matches_the_cases_the_condition_selects(water_work):
    until = dashboards.week_end(NOW)
    selected = set(
        Case.objects.visible_to(user("officer"))
        .filter(queues.due_within(NOW, until))
        .values_list("pk", flat=True)
    )
    assert selected == {water_work["due_soon"].pk, water_work["escalated"].pk}


def test_workload_runs_a_fixed_number_of_queries(water_work):
    officer = user("officer")  # a fresh user object: its profile not cached yet
    with CaptureQueriesContext(connection) as few:
        dashboards.workload(officer, NOW)
    for _n in range(5):
        case_in(Status.SUBMITTED, now=NOW - timedelta(days=20))
    officer = user("officer")
    with CaptureQueriesContext(connection) as many:
        dashboards.workload(officer, NOW)
    # The profile, the aggregate, the disputed cases (their own index), and one more at most.
    assert len(few.captured_queries) == len(many.captured_queries) <= 4


def test_agent_counts_what_they_submitted():
    agent = user("agent")
    mine = submit_case(by=workflow.staff(agent), now=NOW - timedelta(minutes=10)).case
    submit_case(now=NOW - timedelta(minutes=10))  # a citizen's own: not the agent's
    workflow.request_information(
        workflow.acknowledge(mine, by=actor("officer"), now=NOW - timedelta(minutes=5)),
        by=actor("officer"),
        question="Which meter?",
        now=NOW - timedelta(minutes=4),
    )
    tiles = dashboards.agent_numbers(agent, NOW)
    assert counts(tiles) == {"submitted_this_week": 1, "open": 1, "awaiting_citizen": 1}
    monday = dashboards.week_start(NOW).date().isoformat()
    assert f"show=all&submitted_after={monday}" in tiles[0].url


def test_screener_sees_the_queue_size_and_the_oldest():
    root = Institution.objects.get(short_code="1")
    first = submit_case(institution=root, service=None, now=NOW - timedelta(days=2)).case
    submit_case(institution=root, service=None, now=NOW - timedelta(hours=1))
    submit_case(now=NOW - timedelta(days=5))  # routed to the water utility: not screening
    queue = dashboards.screening_queue(user("screener"))
    assert (queue.size, queue.oldest) == (2, first.submitted_at)
    assert dashboards.screening_queue(user("officer")) is None


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("officer", ["Your cases", "Overdue", "Assigned to you"], ["Appeals to decide", "Audit"]),
        ("lead", ["Your cases", "Appeals to decide", "Oversight dashboard"], ["Assigned to you"]),
        ("oversight", ["Your cases", "Oversight dashboard"], ["Head of the audit chain"]),
        ("agent", ["Your service point", "Submitted by you this week"], ["Your cases"]),
        ("screener", ["Screening queue", "Waiting to be routed"], ["Your cases"]),
        ("auditor", ["Audit trail", "Head of the audit chain"], ["Your cases"]),
        ("editor", [], ["Your cases", "Audit trail", "Screening queue", "Your service point"]),
    ],
)
def test_each_role_sees_its_own_panel_on_the_admin_home(
    client, water_work, username, shown, hidden
):
    client.force_login(user(username))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    for text in shown:
        assert text in html, text
    for text in hidden:
        assert text not in html, text


def test_page_panels_go_for_case_roles_and_stay_for_editors(rf):
    for username, kept in (("officer", False), ("auditor", False), ("editor", True)):
        request = rf.get("/admin/")
        request.user = user(username)
        panels = [RecentEditsPanel()]
        dashboard_hooks.role_panels(request, panels)
        assert any(isinstance(p, RecentEditsPanel) for p in panels) is kept, username


# The oversight dashboard ---------------------------------------------------------------

OVERSIGHT = reverse("feedback_oversight_dashboard")


def test_oversight_rows_are_the_reports_figures_of_each_child(client, water_work):
    client.force_login(user("oversight"))
    response = client.get(OVERSIGHT)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.institution.short_code == "11"
    assert [row.institution.short_code for row in board.rows] == ["111"]
    date_from, date_to = response.context["date_from"], response.context["date_to"]
    assert (date_to - date_from).days > 330  # the last twelve months by default
    expected = compute_summaries([Institution.objects.get(short_code="111")], date_from, date_to)
    row = board.rows[0].summary
    assert (
        (row.received, row.open, row.overdue, row.appealed, row.escalated)
        == (
            expected["111"].received,
            expected["111"].open,
            expected["111"].overdue,
            expected["111"].appealed,
            expected["111"].escalated,
        )
        == (5, 5, 1, 1, 1)
    )
    html = response.content.decode()
    assert "?institution=111&amp;" in html  # down the tree to the agency's units


def test_oversight_follows_the_tree_down_but_not_outside_it(client):
    client.force_login(user("oversight"))
    response = client.get(OVERSIGHT, {"institution": "111"})
    assert [r.institution.short_code for r in response.context["board"].rows] == ["1111"]
    response = client.get(OVERSIGHT, {"institution": "121"})  # the health ministry's
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_oversight_refuses_a_reversed_period_and_keeps_what_was_typed(client):
    client.force_login(user("oversight"))
    response = client.get(OVERSIGHT, {"date_from": "2026-10-01", "date_to": "2026-09-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The last day must not be before the first day." in html
    assert "2026-10-01" in html
    response = client.get(OVERSIGHT, {"date_from": "not a date"})
    assert response.status_code == 400


@pytest.mark.parametrize("username", ["officer", "agent", "screener", "editor"])
def test_oversight_dashboard_is_refused_to_other_roles(client, username):
    client.force_login(user(username))
    response = client.get(OVERSIGHT)
    assert response.status_code == 403
    assert "oversight leaders" in response.content.decode()


def test_oversight_queries_do_not_grow_with_the_number_of_children(client, water_work):
    admin = user("admin")
    client.force_login(admin)
    # The session's first admin page also checks for a second-factor device and remembers it.
    assert client.get(OVERSIGHT, {"institution": "1"}).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get(OVERSIGHT, {"institution": "1"}).status_code == 200
    national = Institution.objects.get(short_code="1")
    for n in range(12):
        InstitutionFactory(short_code=str(700_000 + n), level="ministry", parent=national)
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERSIGHT, {"institution": "1"})
    assert len(response.context["board"].rows) == 15  # 11, 12, 18 and the twelve
    assert len(many.captured_queries) == len(few.captured_queries)


def test_oversight_lists_the_directives_they_gave_still_open(client, water_work):
    case = water_work["overdue"]
    Directive.objects.create(
        case=case,
        issued_by_institution=Institution.objects.get(short_code="11"),
        given_by=user("oversight"),
        given_at=NOW - timedelta(days=5),
        instruction="Call the citizen back.",
        due=NOW - timedelta(days=1),
    )
    client.force_login(user("oversight"))
    response = client.get(OVERSIGHT)
    given = response.context["directives"]
    assert [(g.directive.case_id, g.overdue) for g in given] == [(case.pk, True)]
    assert case.reference in response.content.decode()
    make_staff("oversight-2", Role.OVERSIGHT, "11")
    client.force_login(user("oversight-2"))
    assert client.get(OVERSIGHT).context["directives"] == []
