"""The sweep: the overdue check is made under the row lock, and each case and each step fails
alone (issue 13, item 12). Two sweeps at once: tests/feedback/test_concurrency.py."""

from datetime import timedelta

import pytest

from feedback import escalation, workflow
from feedback.models import Status
from tests.feedback.factories import actor, case_in

pytestmark = pytest.mark.django_db


def test_case_answered_between_the_sweeps_query_and_its_lock_is_left_alone(monkeypatch):
    answered, late_one, resolved = (
        case_in(Status.IN_PROGRESS),
        case_in(Status.IN_PROGRESS),
        case_in(Status.RESOLVED),
    )
    late = max(answered.resolve_due, late_one.resolve_due, resolved.reopen_until)
    late += timedelta(hours=1)
    seen = list(escalation.overdue_cases(late).filter(pk__in=[answered.pk, late_one.pk]))
    assert len(seen) == 2
    # The officer answers after the sweep read its list, before it locks the row.
    workflow.request_information(answered, by=actor("officer"), question="Meter photo?")
    monkeypatch.setattr(escalation, "overdue_cases", lambda now: _Listing(seen))

    result = escalation.sweep(now=late)

    assert result.counts["skipped"] == 1 and result.counts["escalated"] == 1
    answered.refresh_from_db()
    late_one.refresh_from_db()
    resolved.refresh_from_db()
    assert (answered.status, answered.escalation_level) == (Status.AWAITING_CITIZEN, 0)
    assert late_one.escalation_level == 1
    assert resolved.status == Status.CLOSED  # the later steps still ran
    assert result.failed_steps == []


def test_a_failing_step_does_not_stop_the_others(monkeypatch):
    resolved = case_in(Status.RESOLVED)

    def broken(now, result):
        raise RuntimeError("drafts table is gone")

    monkeypatch.setattr(
        escalation,
        "STEPS",
        [("delete abandoned drafts", broken), *escalation.STEPS],
    )
    result = escalation.sweep(now=resolved.reopen_until + timedelta(hours=1))
    assert result.failed_steps == ["delete abandoned drafts"]
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED


def test_a_failing_case_does_not_stop_the_others(monkeypatch):
    first, second = case_in(Status.IN_PROGRESS), case_in(Status.IN_PROGRESS)
    late = max(first.resolve_due, second.resolve_due) + timedelta(hours=1)
    real = workflow.escalate

    def escalate(case, **kwargs):
        if case.pk == first.pk:
            raise RuntimeError("gateway exploded")
        return real(case, **kwargs)

    monkeypatch.setattr(workflow, "escalate", escalate)
    result = escalation.sweep(now=late)
    second.refresh_from_db()
    assert result.counts["failed"] >= 1 and second.escalation_level == 1


class _Listing(list):
    """A stale list of cases standing in for the sweep's query (select_related, iterator)."""

    def select_related(self, *fields):
        return self

    def iterator(self):
        return iter(self)


def test_a_late_appeal_already_at_the_top_counts_as_overdue_at_the_top():
    case = case_in(Status.APPEALED)
    for _ in range(2):  # DAWASA (111) -> Ministry of Water (11) -> the national level (1)
        case = workflow.escalate_appeal(case, by=actor("admin"), reason="Too slow.")
    assert case.appeal.institution.get_parent() is None
    result = escalation.sweep(now=case.appeal.due + timedelta(hours=1))
    assert (result.counts["at_top"], result.counts["skipped"]) == (1, 0)
