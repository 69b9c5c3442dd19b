"""Every transition, from every status, by every role: allowed exactly where the charter says."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from feedback import workflow
from feedback.models import Case, CaseEvent, Institution, Role, Status
from tests.feedback.factories import case_in, make_staff, user

pytestmark = pytest.mark.django_db

# The rules, written out by hand from the design (not read from workflow.RULES).
#   action: (statuses it may start from, roles that may do it)
EXPECTED = {
    "acknowledge": ("submitted", "officer lead oversight admin"),
    "request_information": ("acknowledged in_progress reopened", "officer lead oversight admin"),
    "receive_information": ("awaiting_citizen", "citizen agent officer lead admin"),
    "start": ("acknowledged reopened", "officer lead oversight admin"),
    "resolve": ("in_progress", "officer lead oversight admin"),
    "close": ("resolved", "citizen system lead admin"),
    "reopen": ("resolved", "citizen agent admin"),
    "reject": ("submitted acknowledged", "officer lead oversight admin"),
    "refer": ("submitted acknowledged in_progress reopened", "officer lead oversight admin"),
    "escalate": ("submitted acknowledged in_progress reopened", "system lead oversight admin"),
    "assign": (
        "submitted acknowledged awaiting_citizen in_progress reopened",
        "lead oversight admin",
    ),
    "interim_reply": ("acknowledged in_progress reopened", "officer lead oversight admin"),
    "appeal": ("closed rejected", "citizen agent admin"),
    "decide_appeal": ("appealed", "lead oversight admin"),
    "escalate_appeal": ("appealed", "system oversight admin"),
}
ROLES = [
    "citizen",
    "system",
    "agent",
    "officer",
    "lead",
    "oversight",
    "auditor",
    "editor",
    "admin",
    "outsider",  # an officer of another institution
]


def _actor(role):
    if role == "citizen":
        return workflow.CITIZEN
    if role == "system":
        return workflow.SYSTEM
    if role == "outsider":
        return workflow.staff(make_staff("nhif-officer", Role.OFFICER, "121"))
    return workflow.staff(user(role))


def _call(action, case, by):
    """Invoke one transition with valid arguments, so only status and role can refuse it."""
    later = (case.reopen_until or case.resolve_due or timezone.now()) + timedelta(days=1)
    calls = {
        "acknowledge": lambda: workflow.acknowledge(case, by=by),
        "request_information": lambda: workflow.request_information(
            case, by=by, question="Which meter?"
        ),
        "receive_information": lambda: workflow.receive_information(
            case, by=by, information="Meter 42."
        ),
        "start": lambda: workflow.start(case, by=by),
        "resolve": lambda: workflow.resolve(case, by=by, response="Fixed."),
        # The system closes only once the reopening window has passed.
        "close": lambda: workflow.close(case, by=by, now=later if by.kind == "system" else None),
        "reopen": lambda: workflow.reopen(case, by=by, reason="Not fixed."),
        "reject": lambda: workflow.reject(
            case, by=by, reason="out_of_scope", explanation="Private dispute."
        ),
        "refer": lambda: workflow.refer(
            case, by=by, to=Institution.objects.get(short_code="121"), reason="Insurance."
        ),
        "escalate": lambda: workflow.escalate(case, by=by, reason="Needs the ministry."),
        "assign": lambda: workflow.assign(case, by=by, officer=user("officer")),
        "appeal": lambda: workflow.appeal(case, by=by, reason="Outcome is wrong."),
        "decide_appeal": lambda: workflow.decide_appeal(
            case, by=by, decision="dismissed", response="The bill was right."
        ),
        "escalate_appeal": lambda: workflow.escalate_appeal(case, by=by, reason="Too slow."),
        "interim_reply": lambda: workflow.interim_reply(
            case,
            by=by,
            message="Waiting for the meter test.",
            expected_by=(timezone.localtime(case.resolve_due) + timedelta(days=10)).date(),
        ),
    }
    return calls[action]()


class Rollback(Exception):
    pass


def _snapshot(case):
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.institution_id,
        fresh.escalation_level,
        fresh.assigned_to_id,
        fresh.resolve_due,
        CaseEvent.objects.filter(case=case).count(),
        fresh.history.count(),
    )


@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("action", list(EXPECTED))
def test_transition_is_allowed_exactly_for_listed_statuses_and_roles(action, status):
    case = case_in(status)
    allowed_from, allowed_roles = (part.split() for part in EXPECTED[action])
    for role in ROLES:
        by = _actor(role)
        before = _snapshot(case)
        try:
            with transaction.atomic():
                if status not in allowed_from:
                    with pytest.raises(workflow.TransitionNotAllowed):
                        _call(action, case, by)
                elif role not in allowed_roles:
                    with pytest.raises(workflow.ActionNotPermitted):
                        _call(action, case, by)
                else:
                    changed = _call(action, case, by)
                    assert _snapshot(changed) != before, f"{role} {action} changed nothing"
                    event = CaseEvent.objects.filter(case=case).latest("pk")
                    assert event.action == action
                    assert event.from_status == status
                    assert event.actor == (by.user if by.kind == "staff" else None)
                raise Rollback
        except Rollback:
            pass
        # A refused transition leaves no trace; an allowed one was rolled back for the next role.
        assert _snapshot(case) == before, f"{role} {action} from {status} left a change"
