"""Every action, from every status, by every kind of actor, at the moments that matter.

Two checks: the rules written out by hand from the design (not read from the action table),
and a property: the table's `allowed_actions` offers an action exactly when performing it
succeeds, whatever the status, actor and time.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from feedback import sla, workflow
from feedback.models import Case, CaseEvent, Directive, Institution, PublicOutcome, Role, Status
from tests.feedback.factories import CaseFactory, make_staff, user

pytestmark = pytest.mark.django_db

# The rules, written out by hand from the design (not read from workflow.ACTIONS).
#   action: (statuses it may start from, roles that may take it)
# The case is handled by an agency (111) below the oversight leader's ministry (11): the
# leader directs, escalates, decides appeals and withdraws outcomes there, but the handling
# work is the agency's (a case that climbed to the ministry is the leader's to handle:
# tests/feedback/test_workflow_scope.py).
EXPECTED = {
    "acknowledge": ("submitted", "officer lead admin"),
    "request_information": ("acknowledged in_progress reopened", "officer lead admin"),
    "receive_information": ("awaiting_citizen", "officer lead admin"),
    "start": ("acknowledged reopened", "officer lead admin"),
    "resolve": (
        "submitted acknowledged in_progress reopened",
        "officer lead admin",
    ),
    "close": ("resolved", "citizen agent system lead admin"),
    "reopen": ("resolved", "citizen agent admin"),
    "dispute": ("resolved", "citizen agent admin"),
    "reject": ("submitted acknowledged", "officer lead admin"),
    "refer": (
        "submitted acknowledged in_progress reopened",
        "officer lead admin screener",
    ),
    "escalate": ("submitted acknowledged in_progress reopened", "system lead oversight admin"),
    "assign": (
        "submitted acknowledged awaiting_citizen in_progress reopened",
        "lead admin",
    ),
    "interim_reply": ("acknowledged in_progress reopened", "officer lead admin"),
    "appeal": ("closed rejected", "citizen agent admin"),
    "uphold_appeal": ("appealed", "lead oversight admin"),
    "dismiss_appeal": ("appealed", "lead oversight admin"),
    "escalate_appeal": ("appealed", "system oversight admin"),
    "reply": (
        "submitted acknowledged awaiting_citizen in_progress resolved closed reopened appealed",
        "officer lead admin screener",
    ),
    "merge": (
        "submitted acknowledged awaiting_citizen in_progress reopened",
        "officer lead admin",
    ),
    "close_with_pointer": ("submitted acknowledged", "screener admin"),
    "give_directive": (
        "submitted acknowledged awaiting_citizen in_progress reopened appealed",
        "oversight admin",
    ),
    "answer_directive": (
        "submitted acknowledged awaiting_citizen in_progress resolved closed reopened rejected "
        "appealed",
        "officer lead admin",
    ),
    "add_information": (
        "submitted acknowledged awaiting_citizen in_progress resolved reopened appealed",
        "citizen agent admin",
    ),
    "rate": ("resolved closed", "citizen agent admin"),
    "set_confidential": (
        "submitted acknowledged awaiting_citizen in_progress resolved closed reopened rejected "
        "appealed",
        "officer lead admin",
    ),
    "write_outcome": ("resolved closed", "officer lead admin"),
    "approve_outcome": ("resolved closed", "lead admin"),
    "send_back_outcome": (
        "submitted acknowledged awaiting_citizen in_progress resolved closed reopened rejected "
        "appealed",
        "lead admin",
    ),
    "withdraw_outcome": (
        "submitted acknowledged awaiting_citizen in_progress resolved closed reopened rejected "
        "appealed",
        "lead oversight admin",
    ),
}
# What an outcome action needs besides the status: the outcome it acts on (made directly,
# inside the attempt's rolled-back transaction). The cases here consented to publication.
OUTCOME_BEFORE = {
    "approve_outcome": "draft",
    "send_back_outcome": "draft",
    "withdraw_outcome": "published",
}
# Likewise, answering a directive needs one waiting on the case.
DIRECTIVE_BEFORE = {"answer_directive"}
SURVIVOR = "The case a duplicate is merged into"


@pytest.fixture(autouse=True)
def survivor():
    """The open case of the same institution that `merge` merges into."""
    return CaseFactory(status=Status.IN_PROGRESS, subject=SURVIVOR)


# Actors who may never act on this case, whatever the table's roles say.
STRANGERS = [
    "stranger",  # a citizen proved for another case
    "stray_agent",  # an agent who neither submitted the case nor was given its PIN
    "outsider",  # an officer of another institution
    "screener",  # the screening desk, on a case that is not in its queue
]
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
    *STRANGERS,
]


def consented_case_in(status):
    return CaseFactory(status=status, consent_to_publish=True)


def _actor(role, case):
    if role == "citizen":
        return workflow.citizen_of(case)
    if role == "stranger":
        return workflow.Actor("citizen", case_id=case.pk + 10_000)
    if role == "system":
        return workflow.SYSTEM
    if role == "agent":
        return workflow.citizen_of(case, agent=user("agent"))
    if role == "stray_agent":
        return workflow.staff(user("agent"))
    if role == "outsider":
        outsider = get_user_model().objects.filter(username="nhif-officer").first()
        return workflow.staff(outsider or make_staff("nhif-officer", Role.OFFICER, "121"))
    return workflow.staff(user(role))


def _officer_for(case):
    """An officer of the level that handles the case now (made if the world has none)."""
    handling = case.handling_institution
    username = f"officer-{handling.short_code}"
    existing = get_user_model().objects.filter(username=username).first()
    return existing or make_staff(username, Role.OFFICER, handling.short_code)


def _params(action, case):
    """Valid parameters, so only status, actor and time can refuse the action."""
    if action == "assign":
        return {"officer": _officer_for(case)}
    if action == "refer":
        return {"to": Institution.objects.get(short_code="121"), "reason": "Insurance."}
    if action == "merge":
        return {"into": Case.objects.get(subject=SURVIVOR)}
    if action == "give_directive":
        # Far enough that every moment the tests try (the case's deadlines) comes before it.
        due = sla.add_working_days(timezone.now(), 120, sla.default_country())
        return {"instruction": "Report by Friday.", "due": sla.local_date(due)}
    if action == "interim_reply":
        due = timezone.localtime(case.resolve_due or timezone.now())
        return {
            "message": "Waiting for the meter test.",
            "expected_by": (due + timedelta(days=10)).date(),
        }
    return {
        "acknowledge": {},
        "request_information": {"question": "Which meter?"},
        "receive_information": {"information": "Meter 42."},
        "start": {},
        "resolve": {"response": "Fixed."},
        "close": {},
        "reopen": {"reason": "Not fixed."},
        "dispute": {"reason": "Still no water."},
        "reject": {"reason": "out_of_scope", "explanation": "Private dispute."},
        "escalate": {"reason": "Needs the ministry."},
        "appeal": {"reason": "Outcome is wrong."},
        "uphold_appeal": {"response": "The meter was never read."},
        "dismiss_appeal": {"response": "The bill was right."},
        "escalate_appeal": {"reason": "Too slow."},
        "reply": {"body": "We are on it.", "visibility": "public"},
        "add_information": {"body": "Meter 42."},
        "rate": {"score": 4, "comment": "Quick"},
        "set_confidential": {"reason": "Names a minor.", "confidential": True},
        "write_outcome": {"summary": "Bill too high.", "response": "Corrected.", "language": "en"},
        "approve_outcome": {},
        "send_back_outcome": {"note": "Say which month."},
        "withdraw_outcome": {"reason": "Wrong case."},
        "close_with_pointer": {
            "right_body": "the District Land and Housing Tribunal",
            "explanation": "A land dispute between neighbours.",
        },
        "answer_directive": {"answer": "Done on Tuesday."},
    }[action]


def _prepare(action, case):
    """The outcome or directive the action needs, if any (inside the caller's transaction)."""
    if action in DIRECTIVE_BEFORE:
        Directive.objects.create(
            case=case,
            issued_by_institution=Institution.objects.get(short_code="11"),
            given_by=user("oversight"),
            given_at=timezone.now(),
            instruction="Report by Friday.",
            due=timezone.now() + timedelta(days=3),
        )
    state = OUTCOME_BEFORE.get(action)
    if state is not None:
        PublicOutcome.objects.update_or_create(
            case=case,
            defaults={
                "state": state,
                "language": "en",
                "summary": "Bill too high.",
                "response": "Corrected.",
                "written_at": timezone.now(),
                "published_at": timezone.now() if state == "published" else None,
            },
        )


def _moment_it_may_happen(action, case, by):
    """A time at which the action's time guard lets this actor through, if any does."""
    now = timezone.now()
    if by.kind != "system":
        return now
    if action == "close" and case.reopen_until:
        return case.reopen_until + timedelta(days=1)
    if action == "escalate":
        due = case.acknowledge_due if case.status == Status.SUBMITTED else case.resolve_due
        return due + timedelta(days=1)
    if action == "escalate_appeal" and case.status == Status.APPEALED:
        return case.appeal.due + timedelta(days=1)
    return now


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
        fresh.satisfaction,
        fresh.is_confidential,
        CaseEvent.objects.filter(case=case).count(),
        fresh.history.count(),
        PublicOutcome.history.filter(case_id=case.pk).count(),
        list(Directive.objects.filter(case=case).values_list("answered_at", flat=True)),
    )


def _attempt(action, case, by, now, pristine):
    """Perform the action inside a rolled-back transaction: (result or exception, snapshot).
    `pristine` is the case's snapshot before any attempt: every attempt must leave it so."""
    outcome = None
    try:
        with transaction.atomic():
            _prepare(action, case)
            preparing = action in OUTCOME_BEFORE or action in DIRECTIVE_BEFORE
            before = _snapshot(case) if preparing else pristine
            try:
                outcome = workflow.perform(action, case, by=by, now=now, **_params(action, case))
                outcome = (outcome, _snapshot(case))
            except workflow.WorkflowError as error:
                outcome = error
            raise Rollback
    except Rollback:
        pass
    assert _snapshot(case) == pristine, f"{action} by {by} left a change after rollback"
    assert not PublicOutcome.objects.filter(case=case).exists(), f"{action} left an outcome"
    assert not Directive.objects.filter(case=case).exists(), f"{action} left a directive"
    return outcome, before


def test_the_table_lists_exactly_the_actions_written_out_here():
    assert set(workflow.ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_action_is_allowed_exactly_for_listed_statuses_and_roles(status):
    case = consented_case_in(status)  # one case per status, every action and actor tried on it
    pristine = _snapshot(case)
    for action, (allowed_from, allowed_roles) in EXPECTED.items():
        allowed_from, allowed_roles = allowed_from.split(), allowed_roles.split()
        for role in ROLES:
            by = _actor(role, case)
            outcome, before = _attempt(
                action, case, by, _moment_it_may_happen(action, case, by), pristine
            )
            where = f"{role} {action} from {status}"
            if status not in allowed_from:
                assert isinstance(outcome, workflow.TransitionNotAllowed), (where, outcome)
            elif role not in allowed_roles or role in STRANGERS:
                assert isinstance(outcome, workflow.ActionNotPermitted), (where, outcome)
            else:
                assert not isinstance(outcome, Exception), f"{where}: {outcome}"
                _changed, after = outcome
                assert after != before, f"{where} changed nothing"


# The property: offered exactly when it works, at any moment. Time guards change their mind
# only at the case's own deadlines, so every action is tried by every actor now (before the
# first of them) and just after each of them, from every status it may start from; from the
# other statuses the status alone refuses, which the test above covers.


def _deadlines(case):
    appeal = case.appeal if case.status == Status.APPEALED else None
    return [
        moment
        for moment in (
            case.acknowledge_due,
            case.resolve_due,
            case.reopen_until,
            case.expected_by,
            workflow.appeal_deadline(case),
            appeal.due if appeal else None,
        )
        if moment is not None
    ]


def _outcome(action, case, by, now, offered):
    """(offered, refusal): whether the table offers the action, and what performing it says.
    An outcome action is asked about with its outcome in place."""
    try:
        with transaction.atomic():
            if action in OUTCOME_BEFORE or action in DIRECTIVE_BEFORE:
                _prepare(action, case)
                offered = workflow.allowed_actions(case, by, now)
            try:
                workflow.perform(action, case, by=by, now=now, **_params(action, case))
            except workflow.WorkflowError as error:
                return action in offered, error
            raise Rollback
    except Rollback:
        return action in offered, None


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_allowed_actions_holds_an_action_exactly_when_performing_it_succeeds(status):
    case = consented_case_in(status)
    moments = [timezone.now()] + [deadline + timedelta(minutes=1) for deadline in _deadlines(case)]
    actions = [name for name, action in workflow.ACTIONS.items() if status in action.sources]
    tried = 0
    for role in ROLES:
        by = _actor(role, case)
        for now in moments:
            offered = workflow.allowed_actions(case, by, now)
            for action in actions:
                was_offered, error = _outcome(action, case, by, now, offered)
                assert was_offered == (error is None), (
                    f"{action} by {role} at {now}: offered={was_offered}, refused={error}"
                )
                if error is not None and action not in {*OUTCOME_BEFORE, *DIRECTIVE_BEFORE}:
                    assert type(error) is type(workflow.refusal(action, case, by, now))
                tried += 1
    assert tried >= len(ROLES) * len(actions)
