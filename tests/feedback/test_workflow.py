"""What each transition does besides changing the status: deadlines, referrals, escalation."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from feedback import sla, workflow
from feedback.escalation import sweep
from feedback.models import CaseEvent, Institution, Status
from tests.feedback.factories import actor, case_in, submit_case, user

pytestmark = pytest.mark.django_db
DAR = ZoneInfo("Africa/Dar_es_Salaam")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=DAR)


def test_submission_gets_charter_deadlines_in_working_days():
    # Friday 4 Dec 2026: water bills promise 1 day (complaint term) to acknowledge, 5 to resolve;
    # Wednesday 9 Dec is Independence Day.
    case = submit_case(now=at(2026, 12, 4, 15, 0)).case
    assert timezone.localtime(case.acknowledge_due).date().isoformat() == "2026-12-07"
    assert timezone.localtime(case.resolve_due).date().isoformat() == "2026-12-14"
    assert case.status == Status.SUBMITTED
    assert case.events.get().type == CaseEvent.Type.SUBMITTED


def test_pause_while_waiting_for_citizen_moves_the_deadline_by_paused_working_days():
    case = submit_case(now=at(2026, 11, 2, 9, 0)).case  # Monday
    officer = actor("officer")
    case = workflow.acknowledge(case, by=officer, now=at(2026, 11, 2, 10, 0))
    due_before = case.resolve_due
    case = workflow.request_information(
        case, by=officer, question="Send the meter photo.", now=at(2026, 11, 3, 9, 0)
    )
    assert case.status == Status.AWAITING_CITIZEN and case.paused_at is not None
    # Citizen answers the following Monday: Wed, Thu, Fri, Mon = 4 working days paused.
    case = workflow.add_information(
        case, by=workflow.citizen_of(case), body="Photo attached.", now=at(2026, 11, 9, 8, 0)
    )
    assert case.status == Status.IN_PROGRESS
    assert case.paused_at is None
    assert sla.working_days_between(due_before, case.resolve_due, "TZ") == 4
    assert timezone.localtime(case.resolve_due).date().isoformat() == "2026-11-13"


def test_waiting_case_is_never_escalated_by_the_sweep():
    case = case_in(Status.AWAITING_CITIZEN)
    result = sweep(now=case.resolve_due + timedelta(days=60))
    case.refresh_from_db()
    assert result.counts["escalated"] == 0
    assert case.escalation_level == 0


def test_sweep_escalates_overdue_case_one_level_and_gives_that_level_a_full_charter():
    case = case_in(Status.IN_PROGRESS)
    late = case.resolve_due + timedelta(hours=1)
    assert sweep(now=late).counts["escalated"] == 1
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert case.escalated_to == Institution.objects.get(short_code="111")  # DAWASA above its unit
    assert case.resolve_due > late
    event = case.events.latest("pk")
    assert (event.action, event.actor, event.actor_kind) == ("escalate", None, "system")
    # Not overdue any more: a second sweep at the same moment leaves it alone.
    assert sweep(now=late).counts["escalated"] == 0
    # Next time it is overdue, it climbs again: DAWASA -> Ministry of Water.
    sweep(now=case.resolve_due + timedelta(hours=1))
    case.refresh_from_db()
    assert case.escalated_to.short_code == "11" and case.escalation_level == 2


def test_unacknowledged_case_escalates_after_the_acknowledgement_deadline():
    case = submit_case(now=at(2026, 11, 2, 9, 0)).case
    assert sweep(now=case.acknowledge_due - timedelta(minutes=1)).counts["escalated"] == 0
    assert sweep(now=case.acknowledge_due + timedelta(minutes=1)).counts["escalated"] == 1


def test_case_at_the_top_of_the_tree_stays_overdue_without_error():
    top = Institution.get_first_root_node()
    case = submit_case(institution=top, service=None).case
    result = sweep(now=case.acknowledge_due + timedelta(days=1))
    assert (result.counts["escalated"], result.counts["at_top"]) == (0, 1)


def test_resolved_case_closes_itself_when_the_reopening_window_passes():
    case = case_in(Status.RESOLVED)
    assert sweep(now=case.reopen_until - timedelta(minutes=1)).counts["closed"] == 0
    assert sweep(now=case.reopen_until + timedelta(minutes=1)).counts["closed"] == 1
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_citizen_cannot_reopen_after_the_window():
    case = case_in(Status.RESOLVED)
    with pytest.raises(workflow.TransitionNotAllowed, match="appeal"):
        workflow.reopen(
            case,
            by=workflow.citizen_of(case),
            reason="Late",
            now=case.reopen_until + timedelta(seconds=1),
        )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_reopen_escalates_one_level_and_counts():
    case = case_in(Status.REOPENED)
    assert case.reopen_count == 1
    assert case.escalation_level == 1
    assert case.escalated_to.short_code == "111"
    case = workflow.start(case, by=actor("officer"))
    assert case.status == Status.IN_PROGRESS


def test_referral_names_the_receiving_institution_and_counts():
    case = case_in(Status.ACKNOWLEDGED)
    with pytest.raises(workflow.MissingInformation):
        workflow.refer(case, by=actor("officer"), to=None, reason="Not ours")
    nhif = Institution.objects.get(short_code="121")
    case = workflow.refer(case, by=actor("officer"), to=nhif, reason="Insurance claim")
    assert (case.institution, case.status, case.referral_count) == (nhif, Status.SUBMITTED, 1)
    assert case.service is None  # the water service is not NHIF's
    assert case.acknowledged_at is None
    # The officer who referred it no longer sees it; NHIF starts over.
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.acknowledge(case, by=actor("officer"))
    case = workflow.refer(
        case, by=actor("admin"), to=Institution.objects.get(short_code="122"), reason="Hospital"
    )
    assert case.referral_count == 2


def test_referral_to_the_same_institution_is_refused():
    case = case_in(Status.SUBMITTED)
    with pytest.raises(workflow.MissingInformation):
        workflow.refer(case, by=actor("officer"), to=case.institution, reason="Same")


@pytest.mark.parametrize(
    ("reason", "explanation"),
    [("", "Explained"), ("out_of_scope", "  "), ("duplicate", "Same issue")],
    ids=["no-reason", "no-explanation", "duplicate-is-a-merge-now"],
)
def test_rejection_needs_a_reason_and_an_explanation(reason, explanation):
    case = case_in(Status.SUBMITTED)
    with pytest.raises(workflow.MissingInformation):
        workflow.reject(case, by=actor("officer"), reason=reason, explanation=explanation)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_reject_offers_out_of_scope_and_abusive_only():
    (reason,) = [p for p in workflow.ACTIONS["reject"].params if p.name == "reason"]
    assert [value for value, _label in reason.choices] == ["out_of_scope", "abusive"]
    assert "duplicate_of" not in {p.name for p in workflow.ACTIONS["reject"].params}


def test_assignment_only_to_an_officer_who_can_see_the_case():
    case = case_in(Status.ACKNOWLEDGED)
    with pytest.raises(workflow.MissingInformation):
        workflow.assign(case, by=actor("lead"), officer=user("auditor"))
    case = workflow.assign(case, by=actor("lead"), officer=user("officer"))
    assert case.assigned_to == user("officer")
    assert case.events.latest("pk").is_public is False


def test_resolution_needs_a_response_and_sets_the_reopening_window():
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(workflow.MissingInformation):
        workflow.resolve(case, by=actor("officer"), response=" ")
    case = workflow.resolve(case, by=actor("officer"), response="Meter replaced.")
    assert case.reopen_until > case.resolved_at


def test_citizen_rates_a_resolved_case_but_not_an_open_one():
    open_case = case_in(Status.IN_PROGRESS)
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.rate(open_case, by=workflow.citizen_of(open_case), score=5)
    resolved = case_in(Status.RESOLVED)
    with pytest.raises(workflow.MissingInformation):
        workflow.rate(resolved, by=workflow.citizen_of(resolved), score=9)
    rated = workflow.rate(resolved, by=workflow.citizen_of(resolved), score=4, comment="Quick")
    assert (rated.satisfaction, rated.status) == (4, Status.RESOLVED)


def test_pin_is_checked_against_its_keyed_digest():
    submission = submit_case()
    assert workflow.check_pin(submission.case, submission.pin)
    assert not workflow.check_pin(submission.case, "000000" if submission.pin != "000000" else "1")
    assert submission.pin not in submission.case.pin_digest


def test_agent_submits_for_a_citizen_and_is_recorded():
    submission = submit_case(by=actor("agent"), channel="service_point")
    assert submission.case.submitted_by == user("agent")
    assert submission.case.events.get().actor == user("agent")


def test_auditor_may_not_submit_for_a_citizen():
    with pytest.raises(workflow.ActionNotPermitted):
        submit_case(by=actor("auditor"))


def test_staff_reply_is_public_and_internal_note_is_not():
    case = case_in(Status.IN_PROGRESS)
    workflow.reply(case, by=actor("officer"), body="We are checking.", visibility="public")
    workflow.reply(case, by=actor("officer"), body="Suspect meter fraud.", visibility="internal")
    public = list(case.events.filter(is_public=True).values_list("body", flat=True))
    assert "We are checking." in public and "Suspect meter fraud." not in public
    note = case.events.get(body="Suspect meter fraud.")
    assert note.type == CaseEvent.Type.NOTE


@pytest.mark.parametrize("visibility", ["", None, "Internal", "yes"])
def test_a_reply_without_an_explicit_visibility_is_refused(visibility):
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(workflow.MissingInformation) as refused:
        workflow.perform(
            "reply", case, by=actor("officer"), body="Checking.", visibility=visibility
        )
    assert "only staff" in str(refused.value.message)
    with pytest.raises(workflow.MissingInformation):
        workflow.perform("reply", case, by=actor("officer"), body="Checking.")
    assert not case.events.filter(body="Checking.").exists()


def _interim(case, days_after_deadline=10, now=None):
    promised = timezone.localtime(case.resolve_due).date() + timedelta(days=days_after_deadline)
    return workflow.interim_reply(
        case, by=actor("officer"), message="Lab test pending.", expected_by=promised, now=now
    )


def test_interim_reply_holds_escalation_until_the_promised_date_and_is_counted():
    case = _interim(case_in(Status.IN_PROGRESS))
    assert case.interim_reply_count == 1
    deadline = case.resolve_due
    assert case.expected_by > deadline
    assert sweep(now=deadline + timedelta(days=1)).counts["escalated"] == 0
    case.refresh_from_db()
    assert case.resolve_due == deadline  # the charter deadline itself never moves
    assert sweep(now=case.expected_by + timedelta(minutes=1)).counts["escalated"] == 1


def test_interim_reply_must_come_before_the_deadline_and_promise_a_later_date():
    case = case_in(Status.IN_PROGRESS)
    with pytest.raises(workflow.TransitionNotAllowed, match="already passed"):
        _interim(case, now=case.resolve_due + timedelta(hours=1))
    with pytest.raises(workflow.MissingInformation, match="no interim reply needed"):
        _interim(case, days_after_deadline=-1)
    case.refresh_from_db()
    assert (case.interim_reply_count, case.expected_by) == (0, None)


def test_appeal_is_heard_by_the_level_above_the_one_that_answered():
    case = case_in(Status.APPEALED)
    hearing = case.appeal
    assert hearing.institution.short_code == "111"  # above DAWASA Customer Care (1111)
    assert hearing.due > hearing.lodged_at
    assert case.reopen_count == 0  # an appeal is counted apart from reopening


def test_upheld_appeal_reopens_the_case_at_the_appeal_level():
    case = case_in(Status.APPEALED)
    case = workflow.uphold_appeal(case, by=actor("lead"), response="The meter was never read.")
    assert case.status == Status.IN_PROGRESS
    assert (case.escalated_to.short_code, case.escalation_level) == ("111", 1)
    assert case.appeal.decided_by == user("lead")


def test_dismissed_appeal_closes_the_case_again_and_no_second_appeal():
    case = case_in(Status.APPEALED)
    case = workflow.dismiss_appeal(case, by=actor("oversight"), response="The bill was right.")
    assert case.status == Status.CLOSED and case.closed_at is not None
    with pytest.raises(workflow.TransitionNotAllowed, match="already been appealed"):
        workflow.appeal(case, by=workflow.citizen_of(case), reason="Again")


def test_staff_whose_answer_is_appealed_cannot_decide_the_appeal():
    dawasa = Institution.objects.get(short_code="111")
    case = submit_case(institution=dawasa, service=None).case
    admin = actor("admin")
    case = workflow.reject(case, by=admin, reason="out_of_scope", explanation="Private matter.")
    case = workflow.appeal(case, by=workflow.citizen_of(case), reason="It is a public water main.")
    assert case.appeal.institution.short_code == "11"  # the Ministry of Water hears it
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.uphold_appeal(case, by=actor("lead"), response="Yes")
    workflow.uphold_appeal(case, by=actor("oversight"), response="Yes")


def test_appeal_after_the_window_is_refused():
    case = case_in(Status.CLOSED)
    late = workflow.appeal_deadline(case) + timedelta(seconds=1)
    with pytest.raises(workflow.TransitionNotAllowed, match="time to appeal"):
        workflow.appeal(case, by=workflow.citizen_of(case), reason="Late", now=late)


def test_undecided_appeal_past_its_deadline_climbs_one_level():
    case = case_in(Status.APPEALED)
    due = case.appeal.due
    assert sweep(now=due - timedelta(minutes=1)).counts["appeals_escalated"] == 0
    assert sweep(now=due + timedelta(minutes=1)).counts["appeals_escalated"] == 1
    case.refresh_from_db()
    assert case.appeal.institution.short_code == "11"  # DAWASA -> Ministry of Water
    assert case.appeal.due > due
    assert case.status == Status.APPEALED
