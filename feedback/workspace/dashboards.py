"""What each role's dashboard counts, and where each number leads: plain functions over
`Case.objects.visible_to(user)` and the workflow's own rules (the overdue rule, working days
from feedback.sla), one aggregate query per panel (and one for the disputed cases, through
their own index), so a test calls them without HTTP.

Every number is a link to the inbox (`feedback_case:index`) filtered to exactly the cases it
counts: `INBOX_FILTERS` names the inbox's filter parameters for each number, and both the
inbox's filters and these counts apply the conditions of feedback.workspace.queues, so the
two cannot drift apart. The oversight dashboard's rows are the
reports' figures (feedback.reports.figures.compute_summaries), not counted again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import sla
from feedback.access import EVERYWHERE, profile_of, role_of
from feedback.models import (
    OPEN_STATUSES,
    Case,
    Directive,
    Institution,
    Role,
    Status,
    overdue_condition,
)
from feedback.reports.figures import Summary, compute_summaries
from feedback.reports.generation import REPORT_ROLES
from feedback.reports.periods import last_twelve_months
from feedback.workflow import ACTIONS
from feedback.workspace.queues import (
    OUTCOME_AWAITING_APPROVAL,
    appeals_to_decide,
    awaiting_directive_answer,
    disputed,
    due_within,
    escalated_to_me,
    handled_here,
)

# "Due this week": a rolling working week, so Friday's dashboard still shows next week's work.
DUE_WORKING_DAYS = 5
# Roles whose dashboard is an institution's workload (their institution and everything below).
WORKLOAD_ROLES = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
# The oversight dashboard shows the reports' figures: the same people may see it.
OVERSIGHT_ROLES = REPORT_ROLES

# The inbox's filter parameters for each number (feedback_case:index, its InboxFilterSet). With
# no "show" or "status", the inbox lists the open cases handled at the user's level
# (`handled_here`); "show=all" lifts that, for numbers that count closed or resolved cases too.
INBOX_FILTERS: dict[str, dict[str, str]] = {
    "disputed": {"disputed": "true"},
    "open": {},
    "overdue": {"overdue": "true"},
    "due_this_week": {"due_this_week": "true"},
    "escalated_to_me": {"escalated_to_me": "true"},
    "directives": {"open_directives": "true"},
    "appeals": {"appeals_to_decide": "true"},
    "outcomes": {"show": "all", "outcome_to_approve": "true"},
    "unassigned": {"unassigned": "true"},
    "assigned_to_me": {"mine": "true"},
    "awaiting_citizen": {"status": Status.AWAITING_CITIZEN},
    # and submitted_after=<this Monday>: see agent_numbers
    "submitted_this_week": {"show": "all"},
    "screening": {},
}

LABELS = {
    "disputed": _("Disputed by the citizen"),
    "open": _("Open cases"),
    "overdue": _("Overdue"),
    "due_this_week": _("Due in the next 5 working days"),
    "escalated_to_me": _("Escalated to your level"),
    "directives": _("Directives waiting for an answer"),
    "appeals": _("Appeals to decide"),
    "outcomes": _("Outcomes awaiting approval"),
    "unassigned": _("Unassigned"),
    "assigned_to_me": _("Assigned to you"),
    "awaiting_citizen": _("Waiting for the citizen"),
    "submitted_this_week": _("Submitted by you this week"),
    "screening": _("Waiting in the screening queue"),
}


@dataclass(frozen=True)
class Tile:
    """One number on a dashboard and the inbox listing that shows exactly its cases."""

    key: str
    count: int
    url: str
    urgent: bool = False

    @property
    def label(self) -> str:
        return str(LABELS[self.key])


def inbox_url(key: str, **extra: str) -> str:
    query = urlencode(INBOX_FILTERS[key] | extra)
    index = reverse("feedback_case:index")
    return f"{index}?{query}" if query else index


def week_end(now: datetime) -> datetime:
    """The end of the fifth working day after today: the horizon of "due this week"."""
    return sla.add_working_days(now, DUE_WORKING_DAYS, sla.default_country())


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the current week, in the project's time zone."""
    today = sla.local_date(now)
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday, time.min, tzinfo=timezone.get_default_timezone())


def submitted_since(user, start: datetime) -> Q:
    return Q(submitted_by=user, submitted_at__gte=start)


def _tiles(counts: dict[str, int], urgent: frozenset[str] = frozenset()) -> list[Tile]:
    return [
        Tile(key, count, inbox_url(key), urgent=key in urgent and count > 0)
        for key, count in counts.items()
    ]


def workload(user, now: datetime | None = None) -> list[Tile]:
    """Officers, leads, oversight leaders and administrators: the open work of the cases
    they may see, in one aggregate query. Leading roles also see appeals, outcomes and the
    unassigned cases; the escalation count is of their own level and below."""
    role = role_of(user)
    if role not in WORKLOAD_ROLES:
        return []
    now = now or timezone.now()
    # What the inbox lists before any filter: open cases handled at this level.
    here = Q(status__in=OPEN_STATUSES) & handled_here(user)
    counts = {
        "open": Count("pk", filter=here),
        "overdue": Count("pk", filter=here & overdue_condition(now)),
        "due_this_week": Count("pk", filter=here & due_within(now, week_end(now))),
        "escalated_to_me": Count("pk", filter=here & escalated_to_me(user)),
        "directives": Count("pk", filter=here & awaiting_directive_answer()),
    }
    # Who decides appeals, approves outcomes and assigns is the action table's say.
    if role in ACTIONS["uphold_appeal"].roles:
        counts["appeals"] = Count("pk", filter=here & appeals_to_decide(user))
    if role in ACTIONS["approve_outcome"].roles:
        # Resolved cases: the inbox shows them with "show=all", so no narrowing here either.
        counts["outcomes"] = Count("pk", filter=OUTCOME_AWAITING_APPROVAL)
    if role in ACTIONS["assign"].roles:
        counts["unassigned"] = Count("pk", filter=here & Q(assigned_to__isnull=True))
    elif role == Role.OFFICER:
        counts["assigned_to_me"] = Count("pk", filter=here & Q(assigned_to=user))
    found = Case.objects.visible_to(user).order_by().aggregate(**counts)
    # First: cases the citizen said were not resolved (workflow.dispute), not resolved since.
    # A query of its own, through the partial index on disputed_at: 29 ms for 1,004 disputed
    # cases among 1,000,000, where a FILTER in the aggregate above ran its NOT EXISTS for
    # every row and made it 850 ms instead of 480 ms (bench/inbox.py's data).
    found["disputed"] = Case.objects.visible_to(user).filter(here & disputed()).count()
    order = [key for key in INBOX_FILTERS if key in found]
    urgent = frozenset({"disputed", "overdue", "directives"})
    return _tiles({key: found[key] for key in order}, urgent)


def agent_numbers(user, now: datetime | None = None) -> list[Tile]:
    """A service-point agent: what they submitted this week, what is open, what waits for
    the citizen (whom the agent may need to call back)."""
    if role_of(user) != Role.AGENT:
        return []
    now = now or timezone.now()
    monday = week_start(now)
    found = (
        Case.objects.visible_to(user)
        .order_by()
        .aggregate(
            submitted_this_week=Count("pk", filter=submitted_since(user, monday)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            awaiting_citizen=Count("pk", filter=Q(status=Status.AWAITING_CITIZEN)),
        )
    )
    tiles = _tiles(found)
    # The inbox's date filter (django-filter's range, "_after") takes the day: this Monday.
    week = inbox_url("submitted_this_week", submitted_after=monday.date().isoformat())
    return [Tile(t.key, t.count, week) if t.key == "submitted_this_week" else t for t in tiles]


@dataclass(frozen=True)
class Queue:
    size: int
    oldest: datetime | None
    url: str

    @property
    def oldest_waiting(self) -> timedelta | None:
        return timezone.now() - self.oldest if self.oldest else None


def screening_queue(user) -> Queue | None:
    """The screening desk: how many cases wait to be routed, and since when the oldest."""
    if role_of(user) != Role.SCREENER:
        return None
    found = (
        Case.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .aggregate(size=Count("pk"), oldest=Min("submitted_at"))
    )
    return Queue(found["size"], found["oldest"], inbox_url("screening"))


def numbers(user, now: datetime | None = None) -> dict[str, int]:
    """Every number on this user's dashboard by its label (seed_demo prints them)."""
    found = {tile.label: tile.count for tile in workload(user, now) + agent_numbers(user, now)}
    queue = screening_queue(user)
    if queue is not None:
        found[str(LABELS["screening"])] = queue.size
    return found


# The oversight dashboard ---------------------------------------------------------------


def may_see_oversight(user) -> bool:
    return role_of(user) in OVERSIGHT_ROLES


def default_institution(user) -> Institution | None:
    """Where the oversight dashboard starts: the user's own institution, or the top of the
    tree for those who see everything."""
    profile = profile_of(user)
    if profile is not None and profile.institution is not None:
        return profile.institution
    return Institution.get_first_root_node() if role_of(user) in EVERYWHERE else None


def default_period(today: date) -> tuple[date, date]:
    return last_twelve_months(today)


@dataclass(frozen=True)
class Row:
    institution: Institution
    summary: Summary
    has_children: bool


@dataclass(frozen=True)
class Oversight:
    institution: Institution
    total: Summary
    rows: list[Row]
    ancestors: list[Institution]


def oversight(
    institution: Institution, date_from: date, date_to: date, *, now: datetime | None = None
) -> Oversight:
    """One row per child institution (each with everything below it) and the institution's
    own total, from the reports' grouped figures: one query per depth, not one per child."""
    children = list(institution.get_children().order_by("path"))
    summaries = compute_summaries([institution, *children], date_from, date_to, now=now)
    return Oversight(
        institution=institution,
        total=summaries[institution.short_code],
        rows=[Row(child, summaries[child.short_code], child.numchild > 0) for child in children],
        ancestors=list(institution.get_ancestors()),
    )


@dataclass(frozen=True)
class GivenDirective:
    directive: Directive
    overdue: bool


def directives_given_open(user, now: datetime | None = None) -> list[GivenDirective]:
    """The directives this leader gave that still wait for an answer, the most overdue first."""
    now = now or timezone.now()
    rows = (
        Directive.objects.open()
        .filter(given_by=user, case__in=Case.objects.visible_to(user))
        .select_related("case", "case__institution")
        .order_by("due", "pk")
    )
    return [GivenDirective(row, row.due < now) for row in rows]
