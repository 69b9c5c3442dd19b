"""Who may act on a case: the level that handles it now, agents for their own citizens,
citizens only on the case they proved (issue 13, items 2 to 4)."""

import pytest

from feedback import workflow
from feedback.access import cases_visible_to
from feedback.models import Institution, Role, Status
from tests.feedback.factories import actor, case_in, make_staff, submit_case, user

pytestmark = pytest.mark.django_db


def _escalated_to_the_ministry(status=Status.IN_PROGRESS):
    """A DAWASA case (unit 1111) that climbed past DAWASA (111) to the Ministry of Water (11)."""
    case = case_in(status)
    admin = actor("admin")
    case = workflow.escalate(case, by=admin, reason="Late.")
    case = workflow.escalate(case, by=admin, reason="Late again.")
    assert case.handling_institution.short_code == "11"
    return case


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("resolve", {"response": "Done."}),
        ("reject", {"reason": "out_of_scope", "explanation": "Not ours."}),
        ("refer", {"to": "121", "reason": "Insurance."}),
        ("reply", {"body": "We are looking.", "visibility": "public"}),
        ("request_information", {"question": "Meter?"}),
    ],
)
def test_level_escalated_past_can_no_longer_act(action, params):
    status = Status.ACKNOWLEDGED if action == "reject" else Status.IN_PROGRESS
    case = _escalated_to_the_ministry(status)
    if "to" in params:
        params = {**params, "to": Institution.objects.get(short_code=params["to"])}
    officer = actor("officer")  # DAWASA (111): still sees the case, no longer handles it
    assert action not in workflow.allowed_actions(case, officer)
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.perform(action, case, by=officer, **params)
    case.refresh_from_db()
    assert (case.status, case.escalation_level) == (status, 2)
    # The ministry, which handles it now, may.
    assert action in workflow.allowed_actions(case, actor("oversight"))


def test_officer_of_the_level_escalated_past_still_sees_the_case():
    case = _escalated_to_the_ministry()
    assert cases_visible_to(user("officer")).filter(pk=case.pk).exists()


def test_assignment_goes_to_an_officer_of_the_level_that_handles_the_case_now():
    case = _escalated_to_the_ministry()
    with pytest.raises(workflow.MissingInformation):
        workflow.assign(case, by=actor("admin"), officer=user("officer"))
    ministry_officer = make_staff("mow-officer", Role.OFFICER, "11")
    case = workflow.assign(case, by=actor("admin"), officer=ministry_officer)
    assert case.assigned_to == ministry_officer


def test_agent_acts_only_for_citizens_they_served_or_who_gave_them_the_pin():
    agent = user("agent")
    stray = workflow.staff(agent)
    served = submit_case(by=stray, channel="service_point").case
    someone_elses = case_in(Status.AWAITING_CITIZEN)

    with pytest.raises(workflow.ActionNotPermitted):
        workflow.add_information(someone_elses, by=stray, body="I speak for them.")
    assert "add_information" not in workflow.allowed_actions(someone_elses, stray)

    # The citizen gives the agent the PIN: bound to that case, the agent may act on it.
    with_pin = workflow.citizen_of(someone_elses, agent=agent)
    case = workflow.add_information(someone_elses, by=with_pin, body="Meter 42.")
    assert case.status == Status.IN_PROGRESS
    # ... and on that case only.
    assert workflow.refusal("add_information", served, with_pin) is None  # served by them
    other = case_in(Status.RESOLVED)
    assert isinstance(workflow.refusal("reopen", other, with_pin), workflow.ActionNotPermitted)

    # A case the agent submitted themselves needs no PIN.
    workflow.add_information(served, by=stray, body="More detail.")


@pytest.mark.parametrize(
    "who",
    [workflow.Actor("citizen"), workflow.Actor("citizen", case_id=0)],
    ids=["unproved", "proved-for-another-case"],
)
def test_citizen_who_did_not_prove_this_case_cannot_act_on_it(who):
    case = case_in(Status.RESOLVED)
    for action in ("reopen", "close", "rate", "add_information"):
        assert isinstance(workflow.refusal(action, case, who), workflow.ActionNotPermitted)
    assert workflow.allowed_actions(case, who) == []
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.reopen(case, by=who, reason="Not fixed.")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_submission_binds_the_submitter_to_the_new_case_only():
    submission = submit_case()
    assert submission.actor.is_bound_to(submission.case)
    assert not submission.actor.is_bound_to(submit_case().case)
