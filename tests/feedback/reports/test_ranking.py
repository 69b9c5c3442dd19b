"""The ranking's index on figures of known shape (a pure function: no database), and the
grouped figures it reads (figures.compute_summaries) against compute_figures, one by one."""

from dataclasses import fields
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import Institution
from feedback.reports import periods
from feedback.reports.figures import Summary, compute_figures, compute_summaries
from feedback.reports.ranking import INDICATORS, MIN_CASES, TOTAL_WEIGHT, rank, score
from tests.feedback.factories import InstitutionFactory
from tests.feedback.reports.conftest import FROM, NOW, TO


def figures(
    received=40,
    due=20,
    on_time=20,
    average="5.00",
    answered=20,
    upheld=0,
    resolved=20,
    reopened=0,
    code="x",
):
    share = None if not due else Decimal(on_time) / Decimal(due)
    return SimpleNamespace(
        institution_code=code,
        received=received,
        resolution_due=due,
        resolved_within_charter_share=share,
        average_satisfaction=None if average is None else Decimal(average),
        answered=answered,
        appeals_upheld=upheld,
        resolved=resolved,
        reopened=reopened,
    )


def test_the_weights_are_published_and_add_up_to_100():
    assert {i.key: i.weight for i in INDICATORS} == {
        "timeliness": 40,
        "satisfaction": 30,
        "appeals_upheld": 15,
        "reopened": 15,
    }
    assert TOTAL_WEIGHT == 100


def test_a_perfect_institution_scores_100_and_a_worst_one_0():
    assert score(figures())[1] == Decimal("100.0")
    worst = figures(on_time=0, average="1.00", upheld=20, reopened=20)
    values, total = score(worst)
    assert total == Decimal("0.0")
    assert values == dict.fromkeys(values, Decimal("0.0"))


def test_each_indicator_counts_by_its_weight_and_lower_is_better_is_inverted():
    # Half on time (20 of 40 points), rating 3 of 5 (half of 30), a quarter of answered cases
    # upheld on appeal (0.75 x 15), a tenth of resolved cases reopened (0.9 x 15).
    values, total = score(figures(on_time=10, average="3.00", upheld=5, reopened=2))
    assert values == {
        "timeliness": Decimal("50.0"),
        "satisfaction": Decimal("50.0"),
        "appeals_upheld": Decimal("75.0"),
        "reopened": Decimal("90.0"),
    }
    assert total == Decimal("59.8")  # 20 + 15 + 11.25 + 13.5 = 59.75, rounded half up


def test_a_measure_with_nothing_to_count_is_left_out_and_the_weights_rescaled():
    values, total = score(figures(on_time=10, average=None))
    assert values["satisfaction"] is None
    # (40 x 0.5 + 15 + 15) / 70 x 100 = 71.43
    assert total == Decimal("71.4")


def test_too_few_cases_are_not_ranked():
    assert score(figures(received=MIN_CASES - 1))[1] is None
    assert score(figures(received=MIN_CASES))[1] is not None
    nothing = figures(due=0, average=None, answered=0, resolved=0)
    assert score(nothing)[1] is None


def test_the_order_best_first_with_ties_sharing_a_rank_listed_by_name():
    entries = [
        ("Delta", figures(on_time=10)),  # 80.0
        ("charlie", figures()),  # 100.0
        ("Bravo", figures(on_time=10)),  # 80.0, tied with Delta
        ("Alpha", figures(on_time=5)),  # 70.0
        ("Echo", figures(received=3)),  # too few
        ("Able", figures(received=0, due=0, average=None, answered=0, resolved=0)),
    ]
    ranked, unranked = rank(entries)
    assert [(r.rank, r.name, r.score, r.tied) for r in ranked] == [
        (1, "charlie", Decimal("100.0"), False),
        (2, "Bravo", Decimal("80.0"), True),
        (2, "Delta", Decimal("80.0"), True),
        (4, "Alpha", Decimal("70.0"), False),
    ]
    assert [(r.name, r.rank, r.score) for r in unranked] == [
        ("Able", None, None),
        ("Echo", None, None),
    ]


def test_scores_equal_only_after_rounding_are_tied():
    # 40 x 29/40 + 60 = 89.0; 40 x 28.99/40 would differ only in the second decimal.
    a = figures(due=40, on_time=29)
    b = figures(due=4000, on_time=2899)
    assert score(a)[1] == score(b)[1] == Decimal("89.0")
    ranked, _ = rank([("B", b), ("A", a)])
    assert [(r.rank, r.name) for r in ranked] == [(1, "A"), (1, "B")]


@pytest.mark.django_db
def test_grouped_summaries_equal_compute_figures_for_each_institution(seeded):
    codes = ["111", "121", "1811", "11", "1", "1111"]  # four depths, nested
    institutions = list(Institution.objects.filter(short_code__in=codes))
    summaries = compute_summaries(institutions, FROM, TO, now=NOW)
    assert set(summaries) == set(codes)
    names = [f.name for f in fields(Summary)]
    for institution in institutions:
        single = compute_figures(institution, FROM, TO, subunits=True, now=NOW)
        assert {n: getattr(single, n) for n in names} == {
            n: getattr(summaries[institution.short_code], n) for n in names
        }, institution.short_code
    assert summaries["111"].received == 11
    assert summaries["1811"].received == 0


@pytest.mark.django_db
def test_grouped_summaries_run_one_query_per_depth_whatever_the_number(seeded):
    ministry = Institution.objects.get(short_code="12")
    for n in range(30):
        InstitutionFactory(short_code=str(800_000 + n), level="agency", parent=ministry)
    agencies = list(Institution.objects.filter(level="agency"))
    assert len(agencies) > 30
    with CaptureQueriesContext(connection) as queries:
        compute_summaries(agencies, FROM, TO, now=NOW)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        compute_summaries(Institution.objects.filter(level__in=["agency", "district"]), FROM, TO)
    assert len(queries) == 3  # the institutions themselves, then one per depth


def test_periods_count_whole_months_and_stop_today():
    today = date(2026, 12, 15)
    assert periods.last_twelve_months(today) == (date(2026, 1, 1), today)
    assert periods.last_twelve_months(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert periods.calendar_year(2025, today) == (date(2025, 1, 1), date(2025, 12, 31))
    assert periods.calendar_year(2026, today) == (date(2026, 1, 1), today)
    assert periods.previous_month(date(2026, 1, 10)) == date(2025, 12, 1)
    assert periods.calendar_month(date(2026, 2, 1), today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods.calendar_month(date(2026, 12, 1), today) == (date(2026, 12, 1), today)
