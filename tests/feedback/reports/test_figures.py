"""Each headline figure recomputed independently, with plain SQL on the seeded cases, and
compared with figures.py and with the case-level CSV; on SQLite and on PostgreSQL."""

import csv
import io
import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import sla, workflow
from feedback.models import OPEN_STATUSES, Institution
from feedback.reports.csv import case_csv, figures_csv
from feedback.reports.figures import compute_figures, period_bounds
from tests.feedback.factories import actor
from tests.feedback.reports.conftest import FROM, NOW, TO, at, water

pytestmark = pytest.mark.django_db

# (institution, subunits): a unit alone, an agency alone and with its unit, the whole tree.
SCOPES = [("111", True), ("111", False), ("1111", False), ("1", True)]

BASE = """
    FROM feedback_case c
    JOIN feedback_institution i ON i.id = c.institution_id
    LEFT JOIN feedback_appeal a ON a.case_id = c.id
    WHERE c.submitted_at >= %s AND c.submitted_at < %s AND {scope}
"""
OPEN = "c.status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATUSES))
ANSWERED = "(c.first_resolved_at IS NOT NULL OR c.closed_at IS NOT NULL OR a.id IS NOT NULL)"
DISPUTED = "(c.satisfaction <= 2 OR c.reopen_count > 0 OR a.id IS NOT NULL)"
# Each count, as the figure's definition words it; %s after the scope stands for `now`.
COUNTS = {
    "received": "1 = 1",
    "acknowledged": "c.first_acknowledged_at IS NOT NULL",
    "acknowledgement_due": "c.first_acknowledged_at IS NOT NULL "
    "OR (c.original_acknowledge_due < %s AND c.status <> 'rejected')",
    "acknowledged_within_charter": "c.first_acknowledged_at <= c.original_acknowledge_due",
    "resolved": "c.first_resolved_at IS NOT NULL",
    "resolution_due": "c.first_resolved_at IS NOT NULL "
    "OR (c.original_resolve_due < %s AND c.status <> 'rejected')",
    "resolved_within_charter": "c.first_resolved_at <= c.original_resolve_due",
    "open": OPEN,
    # Case.objects.overdue(now), written out again by hand.
    "overdue": "(c.status = 'submitted' AND c.acknowledge_due < %s) OR (c.status IN "
    "('acknowledged', 'in_progress', 'reopened') AND c.resolve_due < %s "
    "AND (c.expected_by IS NULL OR c.expected_by < %s))",
    "escalated": "c.escalation_count > 0",
    "referred": "c.referral_count > 0",
    "merged": "c.duplicate_of_id IS NOT NULL",
    "reopened": "c.reopen_count > 0",
    "appealed": "a.id IS NOT NULL",
    "appeals_upheld": "a.decision = 'upheld'",
    "rated": "c.satisfaction IS NOT NULL",
    "answered": ANSWERED,
    "disputed": f"{ANSWERED} AND {DISPUTED}",
}


def db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def aware(value) -> datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


class Scope:
    """The WHERE clause and parameters of one report's cases, in plain SQL."""

    def __init__(self, code: str, subunits: bool):
        self.institution = Institution.objects.get(short_code=code)
        self.subunits = subunits
        start, stop = period_bounds(FROM, TO)
        if subunits:
            clause, value = "i.path LIKE %s", self.institution.path + "%"
        else:
            clause, value = "i.id = %s", self.institution.pk
        self.base = BASE.format(scope=clause)
        self.params = [db_time(start), db_time(stop), value]

    def rows(self, select: str, condition: str = "1 = 1", order: str = "") -> list[tuple]:
        params = self.params + [db_time(NOW)] * condition.count("%s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {select} {self.base} AND ({condition}) {order}", params)
            return cursor.fetchall()

    def count(self, condition: str) -> int:
        return self.rows("COUNT(*)", condition)[0][0]


def working_days(pairs) -> list[int]:
    return sorted(
        sla.working_days_between(aware(start), aware(end), "TZ")
        for start, end in pairs
        if end is not None
    )


def percentile(values: list[int], p: float) -> int | None:
    return values[max(math.ceil(p * len(values)), 1) - 1] if values else None


def ratio(part, whole, places="0.0001") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def kept_interim_replies(scope: Scope) -> int:
    """Replies whose case's next resolution (in the chained history) met the date named."""
    history = "feedback_historicalcase"
    condition = f"""EXISTS (
        SELECT 1 FROM {history} r
        WHERE r.id = h.id AND r.history_change_reason LIKE 'resolve%%'
          AND r.resolved_at <= h.expected_by
          AND r.chain_seq = (
            SELECT MIN(r2.chain_seq) FROM {history} r2
            WHERE r2.id = h.id AND r2.history_change_reason LIKE 'resolve%%'
              AND r2.chain_seq > h.chain_seq))"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*) FROM {history} h WHERE h.history_change_reason LIKE
            'interim_reply%%' AND h.id IN (SELECT c.id {scope.base}) AND {condition}""",
            scope.params,
        )
        return cursor.fetchone()[0]


def dispute_events(scope: Scope) -> int:
    """Events "dispute" (the citizen's "not resolved") on the report's cases."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*) FROM feedback_caseevent e WHERE e.action = 'dispute'
            AND e.case_id IN (SELECT c.id {scope.base})""",
            scope.params,
        )
        return cursor.fetchone()[0]


def expected_by_sql(scope: Scope) -> dict[str, object]:
    expected = {name: scope.count(condition) for name, condition in COUNTS.items()}
    ack = working_days(scope.rows("c.submitted_at, c.first_acknowledged_at"))
    res = working_days(scope.rows("c.submitted_at, c.first_resolved_at"))
    ((sent, rating_total),) = scope.rows("SUM(c.interim_reply_count), SUM(c.satisfaction)")
    expected |= {
        "acknowledged_within_charter_share": ratio(
            expected["acknowledged_within_charter"], expected["acknowledgement_due"]
        ),
        "resolved_within_charter_share": ratio(
            expected["resolved_within_charter"], expected["resolution_due"]
        ),
        "median_days_to_acknowledge": percentile(ack, 0.5),
        "p90_days_to_acknowledge": percentile(ack, 0.9),
        "median_days_to_resolve": percentile(res, 0.5),
        "p90_days_to_resolve": percentile(res, 0.9),
        "interim_replies_sent": sent or 0,
        "interim_replies_kept": kept_interim_replies(scope),
        "average_satisfaction": ratio(rating_total, expected["rated"], "0.01"),
        "disputed_share": ratio(expected["disputed"], expected["answered"]),
        "disputes": dispute_events(scope),
    }
    return expected


def by_sql(scope: Scope, column: str) -> dict[str, int]:
    return dict(scope.rows(f"{column}, COUNT(*)", order=f"GROUP BY {column}"))


def test_the_seeded_shape_gives_the_figures_worked_out_by_hand(seeded, dawasa):
    figures = compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    assert figures.received == 11
    assert (figures.acknowledged_within_charter, figures.acknowledgement_due) == (7, 10)
    assert (figures.resolved_within_charter, figures.resolution_due) == (4, 10)
    assert figures.resolved_within_charter_share == Decimal("0.4000")
    # Acknowledged after 0,0,0,0,0,0,0,3 working days; resolved after 1,1,2,3,7,9,10
    # (C's first resolution counts, not the one after it was reopened).
    assert (figures.median_days_to_acknowledge, figures.p90_days_to_acknowledge) == (0, 3)
    assert (figures.median_days_to_resolve, figures.p90_days_to_resolve) == (3, 10)
    assert (figures.open, figures.overdue) == (4, 4)
    assert (figures.escalated, figures.referred, figures.reopened) == (3, 1, 1)
    assert (figures.appealed, figures.appeals_upheld) == (2, 1)
    assert (figures.interim_replies_sent, figures.interim_replies_kept) == (2, 1)
    assert (figures.rated, figures.average_satisfaction) == (3, Decimal("3.67"))
    assert (figures.disputed, figures.answered) == (4, 8)
    assert [(m.month.month, m.received, m.resolved_within_charter) for m in figures.trend] == [
        (10, 3, 1),
        (11, 8, 3),
    ]
    assert {t.key: t.count for t in figures.by_subunit} == {"1111": 9, "111": 2}


@pytest.mark.parametrize(("code", "subunits"), SCOPES)
def test_every_headline_figure_matches_plain_sql(seeded, code, subunits):
    scope = Scope(code, subunits)
    figures = compute_figures(scope.institution, FROM, TO, subunits=subunits, now=NOW)
    expected = expected_by_sql(scope)
    assert {name: getattr(figures, name) for name in expected} == expected


@pytest.mark.parametrize(("code", "subunits"), SCOPES)
def test_breakdowns_and_trend_match_plain_sql(seeded, code, subunits):
    scope = Scope(code, subunits)
    figures = compute_figures(scope.institution, FROM, TO, subunits=subunits, now=NOW)
    assert {t.key: t.count for t in figures.by_kind} == by_sql(scope, "c.kind")
    assert {t.key: t.count for t in figures.by_status} == by_sql(scope, "c.status")
    assert {t.key: t.count for t in figures.by_channel} == by_sql(scope, "c.channel")
    assert sorted(t.count for t in figures.by_service) == sorted(
        by_sql(scope, "c.service_id").values()
    )
    months: dict[tuple[int, int], list[int]] = {}
    for submitted, first_resolved, promised in scope.rows(
        "c.submitted_at, c.first_resolved_at, c.original_resolve_due"
    ):
        local = timezone.localtime(aware(submitted))
        counts = months.setdefault((local.year, local.month), [0, 0])
        counts[0] += 1
        counts[1] += first_resolved is not None and aware(first_resolved) <= aware(promised)
    trend = {
        (m.month.year, m.month.month): [m.received, m.resolved_within_charter]
        for m in figures.trend
    }
    assert {key: value for key, value in trend.items() if value != [0, 0]} == months


def read_csv(content: bytes) -> list[dict[str, str]]:
    from feedback.reports.csv import CASE_COLUMNS

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    keys = [key for key, _header, _meaning in CASE_COLUMNS]
    return [dict(zip(keys, row, strict=True)) for row in rows[1:]]


def figures_from_csv(rows: list[dict[str, str]]) -> dict[str, object]:
    """The headline figures an auditor can recompute from the case-level file alone."""

    def count(test) -> int:
        return sum(1 for row in rows if test(row))

    def days(column) -> list[int]:
        return sorted(int(row[column]) for row in rows if row[column])

    ratings = [int(row["satisfaction"]) for row in rows if row["satisfaction"]]
    out = {
        "received": len(rows),
        "acknowledged": count(lambda r: r["first_acknowledged_at"]),
        "acknowledgement_due": count(lambda r: r["acknowledged_within_charter"]),
        "acknowledged_within_charter": count(lambda r: r["acknowledged_within_charter"] == "yes"),
        "resolved": count(lambda r: r["first_resolved_at"]),
        "resolution_due": count(lambda r: r["resolved_within_charter"]),
        "resolved_within_charter": count(lambda r: r["resolved_within_charter"] == "yes"),
        "median_days_to_acknowledge": percentile(days("working_days_to_acknowledge"), 0.5),
        "p90_days_to_acknowledge": percentile(days("working_days_to_acknowledge"), 0.9),
        "median_days_to_resolve": percentile(days("working_days_to_resolve"), 0.5),
        "p90_days_to_resolve": percentile(days("working_days_to_resolve"), 0.9),
        "open": count(lambda r: r["status"] in OPEN_STATUSES),
        "overdue": count(lambda r: r["overdue"] == "yes"),
        "escalated": count(lambda r: int(r["escalations"]) > 0),
        "referred": count(lambda r: int(r["referrals"]) > 0),
        "merged": count(lambda r: r["merged_into"]),
        "reopened": count(lambda r: int(r["reopenings"]) > 0),
        "disputes": sum(int(r["disputes"]) for r in rows),
        "appealed": count(lambda r: r["appeal"]),
        "appeals_upheld": count(lambda r: r["appeal"] == "upheld"),
        "interim_replies_sent": sum(int(r["interim_replies"]) for r in rows),
        "interim_replies_kept": sum(int(r["interim_replies_kept"]) for r in rows),
        "rated": len(ratings),
        "average_satisfaction": ratio(sum(ratings), len(ratings), "0.01"),
        "answered": count(lambda r: r["disputed"]),
        "disputed": count(lambda r: r["disputed"] == "yes"),
    }
    out["acknowledged_within_charter_share"] = ratio(
        out["acknowledged_within_charter"], out["acknowledgement_due"]
    )
    out["resolved_within_charter_share"] = ratio(
        out["resolved_within_charter"], out["resolution_due"]
    )
    out["disputed_share"] = ratio(out["disputed"], out["answered"])
    return out


@pytest.mark.parametrize(("code", "subunits"), SCOPES)
def test_the_case_csv_adds_up_to_the_same_figures_as_plain_sql(seeded, code, subunits):
    scope = Scope(code, subunits)
    rows = read_csv(case_csv(scope.institution, FROM, TO, subunits=subunits, now=NOW))
    expected = expected_by_sql(scope)
    assert figures_from_csv(rows) == expected
    references = [reference for (reference,) in scope.rows("c.reference", order="ORDER BY 1")]
    assert [row["reference"] for row in rows] == references  # one row per case, by reference


def test_the_figures_csv_has_one_row_per_figure_with_its_value(seeded, dawasa):
    figures = compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    rows = list(csv.reader(io.StringIO(figures_csv(figures).decode(), newline="")))
    assert rows[0] == ["Figure", "Name", "Value", "Definition"]
    values = {row[0]: row[2] for row in rows[1:]}
    assert values["received"] == "11"
    assert values["resolved_within_charter_share"] == "0.4000"
    assert values["average_satisfaction"] == "3.67"
    assert values["by_kind:complaint"] == "9"
    assert values["by_subunit:1111"] == "9"
    assert values["by_service:none"] == "1"
    assert values["trend:2026-10:received"] == "3"
    assert values["trend:2026-11:resolved_within_charter"] == "3"
    assert all(row[3] for row in rows[1:])  # every figure says what it means


def add_resolved_cases(count: int) -> None:
    admin = actor("admin")
    for n in range(count):
        case = water(at(10, 19 + n % 5, 8, n))
        case = workflow.acknowledge(case, by=admin, now=at(10, 26, 9, n))
        case = workflow.start(case, by=admin, now=at(10, 26, 10, n))
        workflow.resolve(case, by=admin, response="Done.", now=at(10, 27, 9, n))


def test_query_count_stays_flat_as_cases_grow(seeded, dawasa, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    with CaptureQueriesContext(connection) as csv_few:
        case_csv(dawasa, FROM, TO, subunits=True, now=NOW)
    add_resolved_cases(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        more = compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    with django_assert_max_num_queries(len(csv_few.captured_queries)):
        case_csv(dawasa, FROM, TO, subunits=True, now=NOW)
    assert more.received == 23
    assert len(few.captured_queries) <= 15
    assert len(csv_few.captured_queries) <= 2
