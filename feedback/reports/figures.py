"""Every figure of the accountability reports, from database aggregates: the one source that
the PDF, the CSV, the admin dashboards and the public pages all read.

`compute_figures(institution, date_from, date_to, subunits=..., now=...)` returns a frozen
`Figures`. It runs a fixed number of queries whatever the number of cases (about a dozen:
one aggregate over the cases, the overdue rule among its counts, one per breakdown, one for
the trend, and the percentiles), and never loops over cases in Python.
`compute_summaries(institutions, ...)` gives the figures of that first aggregate for many
institutions (each with its sub-units) in one grouped query per tree depth: the public ranking
and the oversight dashboard read it.

The period is [date_from, date_to], whole days in the project's time zone (settings.TIME_ZONE,
the same zone feedback.sla counts working days in), by the date the case was submitted. The
institution is the case's institution now (a referred case counts where it was referred to);
with `subunits`, every institution below it in the tree counts too.

Deadlines are measured against the facts the core never rewrites: `original_acknowledge_due`
and `original_resolve_due` (the charter's first promise at submission) and
`first_acknowledged_at` / `first_resolved_at`, so a referral, an escalation or a reopening
never improves or spoils a figure after the fact.

Working days: per-case values computed once, not arithmetic in the database. Counting working
days needs the country's public holidays (the `holidays` package, through feedback.sla),
which the database does not know; doing it there would mean a calendar table kept in step
with that package and a join per date on every report, and a second implementation of the
rule that the deadlines themselves were computed with. Instead, when a case is first
acknowledged or first resolved, the transition frame stores the working days it took
(feedback.reports.timings: the very function, `sla.working_days_between`, that sets the
deadlines), in a derived table outside the audit chain (`CaseTiming`), written in the same
transaction as the fact, rebuilt from the chained facts by `manage.py rebuild_case_timings`
and checked by its `--check`. The reports then aggregate plain integers: the median and 90th
percentile are one query on PostgreSQL (`percentile_disc`) and an `ORDER BY ... LIMIT 1 OFFSET
k` each on SQLite, cheap at 100,000 cases.

Percentiles are discrete (PostgreSQL's percentile_disc): the p-th percentile of n values is
the value at position ceil(p x n) in ascending order (p a double, as PostgreSQL computes it),
so it is always a number of working days some case actually took.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Aggregate, Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from feedback.models import (
    OPEN_STATUSES,
    Appeal,
    Case,
    CaseEvent,
    Channel,
    Institution,
    Kind,
    Status,
    overdue_condition,
)

MEDIAN = 0.5
P90 = 0.9
SHARE_PLACES = Decimal("0.0001")
AVERAGE_PLACES = Decimal("0.01")


class InvalidPeriod(ValueError):
    """The period's first day is after its last."""


@dataclass(frozen=True)
class Tally:
    """One line of a breakdown: a key (a stored value, a service id, an institution code),
    its names in English and Swahili, and how many cases."""

    key: str
    count: int
    name: str
    name_sw: str = ""

    @property
    def label(self) -> str:
        if get_language() == "sw" and self.name_sw:
            return self.name_sw
        return str(self.name)


@dataclass(frozen=True)
class Month:
    month: date  # the first day of the month
    received: int
    resolved_within_charter: int


@dataclass(frozen=True)
class Figures:
    institution_code: str
    institution_name: str
    institution_name_sw: str
    subunits: bool
    date_from: date
    date_to: date
    now: datetime

    received: int
    by_kind: tuple[Tally, ...]
    by_status: tuple[Tally, ...]
    by_channel: tuple[Tally, ...]
    by_service: tuple[Tally, ...]
    by_subunit: tuple[Tally, ...]

    acknowledged: int
    acknowledgement_due: int
    acknowledged_within_charter: int
    acknowledged_within_charter_share: Decimal | None
    resolved: int
    resolution_due: int
    resolved_within_charter: int
    resolved_within_charter_share: Decimal | None
    median_days_to_acknowledge: int | None
    p90_days_to_acknowledge: int | None
    median_days_to_resolve: int | None
    p90_days_to_resolve: int | None

    open: int
    overdue: int
    escalated: int
    referred: int
    merged: int
    reopened: int
    disputes: int
    appealed: int
    appeals_upheld: int
    interim_replies_sent: int
    interim_replies_kept: int

    rated: int
    average_satisfaction: Decimal | None
    answered: int
    disputed: int
    disputed_share: Decimal | None

    trend: tuple[Month, ...]


# The headline figures, in the order reports show them: (attribute, name, definition).
HEADLINE = [
    ("received", _("Received"), _("Cases submitted in the period.")),
    (
        "acknowledged",
        pgettext_lazy("report figure: cases acknowledged", "Acknowledged"),
        _("Cases received in the period that have been acknowledged at least once."),
    ),
    (
        "acknowledgement_due",
        _("Acknowledgement due"),
        _(
            "Cases received in the period that were acknowledged, or whose first promised "
            "acknowledgement date has passed without one (rejected cases excepted): the cases "
            "the acknowledgement share is measured over."
        ),
    ),
    (
        "acknowledged_within_charter",
        _("Acknowledged within the charter"),
        _(
            "Cases whose first acknowledgement came no later than the date the charter first "
            "promised at submission."
        ),
    ),
    (
        "acknowledged_within_charter_share",
        _("Share acknowledged within the charter"),
        _("Acknowledged within the charter divided by acknowledgement due (0 to 1)."),
    ),
    (
        "resolved",
        _("Resolved"),
        _("Cases received in the period that have been resolved at least once."),
    ),
    (
        "resolution_due",
        _("Resolution due"),
        _(
            "Cases received in the period that were resolved, or whose first promised "
            "resolution date has passed without one (rejected cases excepted): the cases the "
            "resolution share is measured over."
        ),
    ),
    (
        "resolved_within_charter",
        _("Resolved within the charter"),
        _(
            "Cases whose first resolution came no later than the date the charter first "
            "promised at submission; a later referral or reopening does not change it."
        ),
    ),
    (
        "resolved_within_charter_share",
        _("Share resolved within the charter"),
        _("Resolved within the charter divided by resolution due (0 to 1)."),
    ),
    (
        "median_days_to_acknowledge",
        _("Median working days to acknowledge"),
        _(
            "Working days from submission to the first acknowledgement (public holidays "
            "excluded, the day of submission not counted); half the acknowledged cases took "
            "no longer. Discrete: the value at position ceil(0.5 x n) in ascending order."
        ),
    ),
    (
        "p90_days_to_acknowledge",
        _("90th percentile working days to acknowledge"),
        _(
            "Nine in ten acknowledged cases took no longer: the value at position "
            "ceil(0.9 x n) in ascending order."
        ),
    ),
    (
        "median_days_to_resolve",
        _("Median working days to resolve"),
        _(
            "Working days from submission to the first resolution; half the resolved cases "
            "took no longer. Discrete: the value at position ceil(0.5 x n) in ascending order."
        ),
    ),
    (
        "p90_days_to_resolve",
        _("90th percentile working days to resolve"),
        _(
            "Nine in ten resolved cases took no longer: the value at position ceil(0.9 x n) "
            "in ascending order."
        ),
    ),
    (
        "open",
        pgettext_lazy("report figure: cases still open", "Open"),
        _(
            "Cases received in the period still waiting for an answer, a decision or the "
            "citizen when the report was made."
        ),
    ),
    (
        "overdue",
        _("Overdue"),
        _(
            "Open cases past their current deadline (and past any date an interim reply "
            "promised) when the report was made; a case waiting for the citizen is not overdue."
        ),
    ),
    ("escalated", _("Escalated"), _("Cases escalated at least once.")),
    ("referred", _("Referred"), _("Cases referred to another institution at least once.")),
    (
        "merged",
        _("Merged"),
        _(
            "Cases merged into another case as duplicates: rejected, their citizen following "
            "the case that goes on (counted apart from the other rejections)."
        ),
    ),
    ("reopened", _("Reopened"), _("Cases the citizen reopened at least once.")),
    (
        "disputes",
        _("Resolutions disputed"),
        _(
            'Times a citizen answered "not resolved" to the message saying the case was '
            "resolved (by SMS, USSD or the API), reopening it with priority; a case can be "
            "disputed more than once. Each dispute is a reopening too."
        ),
    ),
    ("appealed", _("Appealed"), _("Cases whose outcome the citizen appealed.")),
    (
        "appeals_upheld",
        _("Appeals upheld"),
        _("Appeals decided in the citizen's favour, reopening the case."),
    ),
    (
        "interim_replies_sent",
        _("Interim replies sent"),
        _("Interim replies telling the citizen a deadline would be missed, with a new date."),
    ),
    (
        "interim_replies_kept",
        _("Interim replies kept"),
        _(
            "Interim replies whose promise was kept: the case's next resolution came no later "
            "than the end of the day the reply named. A reply whose case has not been resolved "
            "since is not counted."
        ),
    ),
    ("rated", _("Rated"), _("Cases the citizen rated (1 to 5).")),
    (
        "average_satisfaction",
        _("Average satisfaction"),
        _("The mean of the citizens' ratings, 1 (poor) to 5 (very good)."),
    ),
    (
        "answered",
        _("Answered"),
        _("Cases resolved at least once, closed, rejected or appealed: those a citizen can judge."),
    ),
    (
        "disputed",
        _("Disputed"),
        _("Answered cases the citizen disputed: rated 1 or 2, reopened, or appealed."),
    ),
    (
        "disputed_share",
        _("Share disputed"),
        _("Disputed divided by answered (0 to 1)."),
    ),
]
BREAKDOWNS = [
    ("by_kind", _("By kind"), _("Cases received, by kind of feedback.")),
    ("by_status", _("By status"), _("Cases received, by their status when the report was made.")),
    ("by_channel", _("By channel"), _("Cases received, by the channel they came through.")),
    ("by_service", _("By service"), _("Cases received, by service (none: no service named).")),
    (
        "by_subunit",
        _("By sub-unit"),
        _(
            "Cases received, by the institution directly below the one reported on that "
            "holds them (or the institution itself)."
        ),
    ),
]
TREND = [
    ("received", _("Received in the month"), _("Cases submitted in that month.")),
    (
        "resolved_within_charter",
        _("Resolved within the charter, of those received in the month"),
        _("Cases submitted in that month whose first resolution met the first promised date."),
    ),
]


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, stop): from the first instant of date_from to the first instant after date_to,
    in the project's time zone."""
    if date_from > date_to:
        raise InvalidPeriod(_("The period's first day is after its last day."))
    zone = timezone.get_default_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    stop = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, stop


def cases_in_scope(
    institution: Institution, date_from: date, date_to: date, *, subunits: bool = False
):
    """The cases a report counts: submitted in the period, held by the institution (or, with
    `subunits`, by it or any institution below it). The figures and the CSV share it."""
    start, stop = period_bounds(date_from, date_to)
    cases = Case.objects.filter(submitted_at__gte=start, submitted_at__lt=stop)
    if subunits:
        return cases.filter(institution__path__startswith=institution.path)
    return cases.filter(institution=institution)


class PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if fraction not in (MEDIAN, P90):
            raise ValueError(f"unsupported fraction {fraction!r}")
        super().__init__(
            expression, fraction=repr(float(fraction)), output_field=IntegerField(), **extra
        )


def percentile_position(fraction: float, n: int) -> int:
    """The 0-based position percentile_disc picks among n ascending values."""
    return max(math.ceil(fraction * n), 1) - 1


def share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


# Conditions the aggregate and the CSV both use, so a row's yes/no adds up to the figure.
ACK_WITHIN = Q(
    first_acknowledged_at__isnull=False,
    first_acknowledged_at__lte=F("original_acknowledge_due"),
)
RES_WITHIN = Q(first_resolved_at__isnull=False, first_resolved_at__lte=F("original_resolve_due"))


def acknowledgement_due(now: datetime) -> Q:
    return Q(first_acknowledged_at__isnull=False) | (
        Q(original_acknowledge_due__lt=now) & ~Q(status=Status.REJECTED)
    )


def resolution_due(now: datetime) -> Q:
    return Q(first_resolved_at__isnull=False) | (
        Q(original_resolve_due__lt=now) & ~Q(status=Status.REJECTED)
    )


ANSWERED = Q(first_resolved_at__isnull=False) | Q(closed_at__isnull=False) | Q(appeal__isnull=False)
DISPUTED = Q(satisfaction__lte=2) | Q(reopen_count__gt=0) | Q(appeal__isnull=False)


def dispute_count():
    """Per case: how many times its citizen disputed a resolution (events "dispute"). Summed
    over the cases only where `disputed_at` is set (a case never disputed runs no subquery)."""
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), action="dispute")
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def _percentiles(cases, measured: dict[str, int]) -> dict[str, int | None]:
    wanted = {
        "median_days_to_acknowledge": ("timing__acknowledge_days", MEDIAN),
        "p90_days_to_acknowledge": ("timing__acknowledge_days", P90),
        "median_days_to_resolve": ("timing__resolve_days", MEDIAN),
        "p90_days_to_resolve": ("timing__resolve_days", P90),
    }
    if connection.vendor == "postgresql":
        return cases.aggregate(
            **{name: PercentileDisc(field, p) for name, (field, p) in wanted.items()}
        )
    result: dict[str, int | None] = {}
    for name, (field, p) in wanted.items():
        n = measured[field]
        if n == 0:
            result[name] = None
            continue
        k = percentile_position(p, n)
        result[name] = (
            cases.filter(**{f"{field}__isnull": False})
            .order_by(field)
            .values_list(field, flat=True)[k : k + 1]
            .get()
        )
    return result


def _tallies(rows, choices) -> tuple[Tally, ...]:
    labels = dict(choices)
    return tuple(
        Tally(key=key, count=n, name=labels.get(key, key))
        for key, n in sorted(rows, key=lambda row: (-row[1], row[0]))
    )


def _by(cases, field: str):
    return cases.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n")


def _by_service(cases) -> tuple[Tally, ...]:
    rows = (
        cases.order_by()
        .values_list(
            "service__institution__short_code", "service__code", "service__name", "service__name_sw"
        )
        .annotate(n=Count("pk"))
    )
    # A service's code is unique within its institution: the key names both.
    tallies = [
        Tally(
            key=f"{institution}/{code}" if code else "",
            count=n,
            name=name or _("No service"),
            name_sw=name_sw or "",
        )
        for institution, code, name, name_sw, n in rows
    ]
    return tuple(sorted(tallies, key=lambda t: (-t.count, t.key)))


def _by_subunit(cases, institution: Institution) -> tuple[Tally, ...]:
    width = Institution.steplen * (institution.depth + 1)
    rows = list(
        cases.order_by()
        .annotate(branch=Substr("institution__path", 1, width))
        .values_list("branch")
        .annotate(n=Count("pk"))
        .values_list("branch", "n")
    )
    if not rows:
        return ()
    names = {
        path: (code, name, name_sw)
        for path, code, name, name_sw in Institution.objects.filter(
            path__in=[branch for branch, _n in rows]
        ).values_list("path", "short_code", "name", "name_sw")
    }
    tallies = []
    for branch, n in rows:
        code, name, name_sw = names.get(branch, (branch, branch, ""))
        tallies.append(Tally(key=code, count=n, name=name, name_sw=name_sw))
    return tuple(sorted(tallies, key=lambda t: (-t.count, t.key)))


def _months(date_from: date, date_to: date) -> list[date]:
    months, month = [], date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _trend(cases, date_from: date, date_to: date) -> tuple[Month, ...]:
    zone = timezone.get_default_timezone()
    rows = (
        cases.order_by()
        .annotate(month=TruncMonth("submitted_at", tzinfo=zone))
        .values_list("month")
        .annotate(received=Count("pk"), within=Count("pk", filter=RES_WITHIN))
        .values_list("month", "received", "within")
    )
    counted = {}
    for month, received, within in rows:
        counted[timezone.localtime(month, zone).date()] = (received, within)
    return tuple(Month(m, *counted.get(m, (0, 0))) for m in _months(date_from, date_to))


def _totals(now: datetime) -> dict:
    """The aggregate expressions of every count one pass over the cases gives: compute_figures
    runs them over one scope, compute_summaries over many at once (GROUP BY)."""
    return {
        "received": Count("pk"),
        "acknowledged": Count("pk", filter=Q(first_acknowledged_at__isnull=False)),
        "acknowledgement_due": Count("pk", filter=acknowledgement_due(now)),
        "acknowledged_within_charter": Count("pk", filter=ACK_WITHIN),
        "resolved": Count("pk", filter=Q(first_resolved_at__isnull=False)),
        "resolution_due": Count("pk", filter=resolution_due(now)),
        "resolved_within_charter": Count("pk", filter=RES_WITHIN),
        "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "overdue": Count("pk", filter=overdue_condition(now)),
        "escalated": Count("pk", filter=Q(escalation_count__gt=0)),
        "referred": Count("pk", filter=Q(referral_count__gt=0)),
        # Rejected as a duplicate by a merge (feedback.workflow.merge); an upheld appeal undoes it.
        "merged": Count("pk", filter=Q(duplicate_of__isnull=False)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "disputes": Sum(dispute_count(), filter=Q(disputed_at__isnull=False), default=0),
        "appealed": Count("appeal"),
        "appeals_upheld": Count("appeal", filter=Q(appeal__decision=Appeal.Decision.UPHELD)),
        "interim_replies_sent": Sum("interim_reply_count", default=0),
        "interim_replies_kept": Sum("timing__interim_replies_kept", default=0),
        "rated": Count("satisfaction"),
        "satisfaction_total": Sum("satisfaction", default=0),
        "answered": Count("pk", filter=ANSWERED),
        "disputed": Count("pk", filter=ANSWERED & DISPUTED),
        "acknowledge_measured": Count("timing__acknowledge_days"),
        "resolve_measured": Count("timing__resolve_days"),
    }


SUMS_ONLY = {"satisfaction_total", "acknowledge_measured", "resolve_measured"}


def _with_ratios(totals: dict) -> dict:
    """The counts of _totals with the shares and the average derived from them (the working
    sums that served only to derive them dropped)."""
    counts = {k: v for k, v in totals.items() if k not in SUMS_ONLY}
    rated, satisfaction_total = counts["rated"], totals["satisfaction_total"]
    return counts | {
        "acknowledged_within_charter_share": share(
            counts["acknowledged_within_charter"], counts["acknowledgement_due"]
        ),
        "resolved_within_charter_share": share(
            counts["resolved_within_charter"], counts["resolution_due"]
        ),
        "average_satisfaction": (
            (Decimal(satisfaction_total) / Decimal(rated)).quantize(
                AVERAGE_PLACES, rounding=ROUND_HALF_UP
            )
            if rated
            else None
        ),
        "disputed_share": share(counts["disputed"], counts["answered"]),
    }


@dataclass(frozen=True)
class Summary:
    """The figures of Figures that one aggregate pass gives (no percentiles, breakdowns or
    trend), for many institutions at once: compute_summaries."""

    institution_code: str
    received: int
    acknowledged: int
    acknowledgement_due: int
    acknowledged_within_charter: int
    acknowledged_within_charter_share: Decimal | None
    resolved: int
    resolution_due: int
    resolved_within_charter: int
    resolved_within_charter_share: Decimal | None
    open: int
    overdue: int
    escalated: int
    referred: int
    merged: int
    reopened: int
    disputes: int
    appealed: int
    appeals_upheld: int
    interim_replies_sent: int
    interim_replies_kept: int
    rated: int
    average_satisfaction: Decimal | None
    answered: int
    disputed: int
    disputed_share: Decimal | None


def compute_summaries(
    institutions, date_from: date, date_to: date, *, now: datetime | None = None
) -> dict[str, Summary]:
    """The Summary of each institution with its sub-units, by short code: what
    compute_figures(institution, ..., subunits=True) gives for the same figures, in one
    grouped query per depth of the tree among the institutions (not one report each), so
    ranking many institutions costs a few queries. Nested institutions (at different depths)
    are each counted with everything below them."""
    now = now or timezone.now()
    start, stop = period_bounds(date_from, date_to)
    by_depth: dict[int, dict[str, str]] = {}
    for institution in institutions:
        by_depth.setdefault(institution.depth, {})[institution.path] = institution.short_code
    found: dict[str, dict] = {}
    for depth, codes in sorted(by_depth.items()):
        rows = (
            Case.objects.filter(submitted_at__gte=start, submitted_at__lt=stop)
            .annotate(branch=Substr("institution__path", 1, Institution.steplen * depth))
            .filter(branch__in=list(codes))
            .order_by()
            .values("branch")
            .annotate(**_totals(now))
        )
        for row in rows:
            found[codes[row.pop("branch")]] = row
    empty = dict.fromkeys(_totals(now), 0)
    return {
        code: Summary(institution_code=code, **_with_ratios(found.get(code, empty)))
        for codes in by_depth.values()
        for code in codes.values()
    }


def compute_figures(
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool = False,
    now: datetime | None = None,
) -> Figures:
    """Every figure for the institution (with its sub-units, if asked) and the period;
    `now` is the moment open and overdue cases are counted at (default: now)."""
    now = now or timezone.now()
    cases = cases_in_scope(institution, date_from, date_to, subunits=subunits)
    totals = cases.aggregate(**_totals(now))
    percentiles = _percentiles(
        cases,
        {
            "timing__acknowledge_days": totals["acknowledge_measured"],
            "timing__resolve_days": totals["resolve_measured"],
        },
    )
    return Figures(
        institution_code=institution.short_code,
        institution_name=institution.name,
        institution_name_sw=institution.name_sw,
        subunits=subunits,
        date_from=date_from,
        date_to=date_to,
        now=now,
        by_kind=_tallies(_by(cases, "kind"), Kind.choices),
        by_status=_tallies(_by(cases, "status"), Status.choices),
        by_channel=_tallies(_by(cases, "channel"), Channel.choices),
        by_service=_by_service(cases),
        by_subunit=_by_subunit(cases, institution) if subunits else (),
        trend=_trend(cases, date_from, date_to),
        **_with_ratios(totals),
        **percentiles,
    )
