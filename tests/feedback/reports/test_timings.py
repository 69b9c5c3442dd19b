"""The per-case working days: written with the fact by the transition frame, equal to what
a rebuild from the chained facts gives, and a check that catches any difference."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback import notifications, workflow
from feedback.models import CaseTiming
from feedback.reports.timings import (
    case_timing_mismatches,
    derived_timings,
    rebuild_case_timings,
    stored_timings,
)
from tests.feedback.factories import actor
from tests.feedback.reports.conftest import at, water

pytestmark = pytest.mark.django_db


def test_the_transitions_store_working_days_once_when_the_facts_happen(seeded):
    timing = CaseTiming.objects.get(case=seeded["C"])
    # Acknowledged on the day (0); first resolved on 22 October: 13, 15, 16, 19, 20, 21, 22
    # October (14 October is a public holiday). Resolving it again later changes nothing.
    assert (timing.acknowledge_days, timing.resolve_days) == (0, 7)
    b = CaseTiming.objects.get(case=seeded["B"])
    assert (b.acknowledge_days, b.resolve_days, b.interim_replies_kept) == (3, 9, 1)
    j = CaseTiming.objects.get(case=seeded["J"])
    assert (j.interim_replies_kept, j.promises_pending) == (0, [])  # resolved after the date
    assert not CaseTiming.objects.filter(case__in=[seeded["D"], seeded["H"]]).exists()


def test_a_pending_interim_reply_is_neither_kept_nor_broken_until_the_case_is_resolved():
    admin = actor("admin")
    case = water(at(11, 2))
    case = workflow.acknowledge(case, by=admin, now=at(11, 2, 10))
    case = workflow.interim_reply(
        case, by=admin, message="Parts.", expected_by=date(2026, 11, 20), now=at(11, 3)
    )
    timing = CaseTiming.objects.get(case=case)
    assert timing.interim_replies_kept == 0 and len(timing.promises_pending) == 1
    case = workflow.start(case, by=admin, now=at(11, 4))
    workflow.resolve(case, by=admin, response="Done.", now=at(11, 20, 23, 0))
    timing.refresh_from_db()
    assert (timing.interim_replies_kept, timing.promises_pending) == (1, [])


def test_the_stored_rows_equal_a_rebuild_from_the_chained_facts(seeded):
    assert stored_timings() == derived_timings()
    assert case_timing_mismatches() == []
    before = stored_timings()
    assert rebuild_case_timings() == len(before)
    assert stored_timings() == before


def test_the_check_finds_a_tampered_row_and_the_rebuild_repairs_it(seeded):
    CaseTiming.objects.filter(case=seeded["A"]).update(resolve_days=40)
    CaseTiming.objects.filter(case=seeded["B"]).delete()
    assert case_timing_mismatches() == sorted([seeded["A"].pk, seeded["B"].pk])
    with pytest.raises(CommandError, match="2 case timings differ"):
        call_command("rebuild_case_timings", "--check")
    call_command("rebuild_case_timings")
    call_command("rebuild_case_timings", "--check")
    assert CaseTiming.objects.get(case=seeded["A"]).resolve_days == 2


def test_an_action_that_changes_no_timing_costs_no_query_for_it():
    case = water(at(11, 2))
    with CaptureQueriesContext(connection) as queries:
        workflow.reply(
            case, by=actor("admin"), body="We are on it.", visibility="public", now=at(11, 2, 10)
        )
    assert not any("casetiming" in q["sql"].lower() for q in queries.captured_queries)


def test_a_failed_transition_leaves_no_timing_behind(monkeypatch):
    case = water(at(11, 2))

    def refuse(*args, **kwargs):
        raise RuntimeError("notification failed")

    monkeypatch.setattr(notifications, "case_changed", refuse)  # after the hook has run
    with pytest.raises(RuntimeError):
        workflow.acknowledge(case, by=actor("admin"), now=at(11, 2, 10))
    assert not CaseTiming.objects.filter(case=case).exists()
