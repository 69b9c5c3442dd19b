"""Facts the reports need survive later transitions; the database itself refuses a status
that contradicts its fields; confidential cases (issue 13, items 13 and 15)."""

import pytest
from django.db import IntegrityError, transaction

from feedback import workflow
from feedback.models import Case, Institution, Status
from tests.feedback.factories import actor, case_in, submit_case

pytestmark = pytest.mark.django_db


def test_referral_keeps_the_first_acknowledgement_escalations_and_promised_dates():
    case = case_in(Status.ACKNOWLEDGED)
    first_ack = case.acknowledged_at
    promised = (case.original_acknowledge_due, case.original_resolve_due)
    assert first_ack is not None and all(promised)
    case = workflow.escalate(case, by=actor("admin"), reason="Slow.")
    case = workflow.refer(
        case, by=actor("admin"), to=Institution.objects.get(short_code="121"), reason="NHIF."
    )
    assert case.acknowledged_at is None and case.escalation_level == 0  # starts afresh there
    assert case.first_acknowledged_at == first_ack
    assert case.escalation_count == 1
    assert (case.original_acknowledge_due, case.original_resolve_due) == promised
    assert case.resolve_due != case.original_resolve_due


def test_reopening_keeps_the_first_resolution():
    case = case_in(Status.RESOLVED)
    first = case.resolved_at
    case = workflow.reopen(case, by=workflow.citizen_of(case), reason="Still wrong.")
    assert case.resolved_at is None
    assert case.first_resolved_at == first
    case = workflow.start(case, by=actor("admin"))
    case = workflow.resolve(case, by=actor("admin"), response="Now fixed.")
    assert case.first_resolved_at == first and case.resolved_at > first


def test_upholding_an_appeal_against_a_merge_clears_what_no_longer_holds():
    original = submit_case().case
    case = submit_case().case
    case = workflow.merge(case, by=actor("admin"), into=original)
    assert (case.rejection_reason, case.duplicate_of) == ("duplicate", original)
    case = workflow.appeal(case, by=workflow.citizen_of(case), reason="It is not the same.")
    case = workflow.uphold_appeal(case, by=actor("admin"), response="Indeed different.")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert (case.rejection_reason, case.duplicate_of, case.closed_at) == ("", None, None)


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        (Status.IN_PROGRESS, {"rejection_reason": "duplicate"}),
        (Status.REJECTED, {"rejection_reason": ""}),
        (Status.REJECTED, {"duplicate_of_id": None, "rejection_reason": "duplicate"}),
        (Status.IN_PROGRESS, {"closed_at": "submitted_at"}),
        (Status.CLOSED, {"closed_at": None}),
        (Status.AWAITING_CITIZEN, {"paused_at": None}),
        (Status.IN_PROGRESS, {"paused_at": "submitted_at"}),
        (Status.RESOLVED, {"resolved_at": None}),
        (Status.IN_PROGRESS, {"escalation_level": 1}),
    ],
)
def test_database_refuses_a_status_that_contradicts_its_fields(status, fields):
    case = case_in(status)
    values = {
        name: getattr(case, value) if isinstance(value, str) and value.endswith("_at") else value
        for name, value in fields.items()
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**values)


def test_confidential_case_is_marked_through_the_workflow_and_never_publishable():
    case = submit_case(consent_to_publish=True).case
    assert Case.objects.publishable().filter(pk=case.pk).exists()
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.set_confidential(case, by=actor("auditor"), reason="Names a minor.")
    case = workflow.set_confidential(case, by=actor("officer"), reason="Names a minor.")
    assert case.is_confidential
    assert not Case.objects.publishable().filter(pk=case.pk).exists()
    event = case.events.latest("pk")
    assert (event.action, event.is_public) == ("set_confidential", False)
