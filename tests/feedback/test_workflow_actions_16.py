"""The workflow's actions of the staff workspace (issue 16): resolve in one step, replies
public or internal by choice, directives, merging duplicates, the screening desk."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation

from feedback import references, sla, sms, workflow
from feedback.access import appeals_for, directives_waiting_for, screens
from feedback.models import CaseEvent, Directive, Institution, Role, Status
from feedback.reports.timings import case_timing_mismatches
from tests.feedback.factories import actor, case_in, make_staff, submit_case, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def citizen_tasks(case):
    from django_tasks_db.models import DBTaskResult

    return [
        row.args_kwargs["kwargs"]["action"]
        for row in DBTaskResult.objects.filter(task_path="feedback.notifications.notify_citizen")
        if row.args_kwargs["kwargs"]["case_id"] == case.pk
    ]


# Resolve in one step.


@pytest.mark.parametrize(
    ("status", "steps"),
    [
        (Status.SUBMITTED, ["acknowledge", "start", "resolve"]),
        (Status.ACKNOWLEDGED, ["start", "resolve"]),
        (Status.REOPENED, ["start", "resolve"]),
        (Status.IN_PROGRESS, ["resolve"]),
    ],
)
def test_resolve_takes_the_steps_on_the_way_each_recorded(status, steps):
    case = case_in(status)
    events_before = case.events.count()
    history_before = case.history.count()
    now = timezone.now()
    assert workflow.implied_steps("resolve", case, actor("officer"), now) == steps[:-1]
    case = workflow.perform("resolve", case, by=actor("officer"), response="Meter replaced.")
    assert case.status == Status.RESOLVED
    new = list(case.events.order_by("pk")[events_before:])
    assert [event.action for event in new] == steps
    assert [(e.from_status, e.to_status) for e in new][-1] == (Status.IN_PROGRESS, Status.RESOLVED)
    assert all(event.is_public and event.actor.username == "officer" for event in new)
    rows = list(case.history.order_by("chain_seq"))
    assert len(rows) == history_before + len(steps)
    assert [row.history_change_reason.split(":")[0] for row in rows[-len(steps) :]] == steps
    assert case.first_acknowledged_at is not None and case.first_resolved_at is not None
    assert case_timing_mismatches() == []


def test_resolving_a_submitted_case_tells_the_citizen_once(task_queue):
    case = case_in(Status.SUBMITTED)
    before = citizen_tasks(case)
    workflow.perform("resolve", case, by=actor("officer"), response="Meter replaced.")
    assert citizen_tasks(case)[len(before) :] == ["resolve"]


def test_resolve_in_one_step_is_all_or_nothing():
    case = case_in(Status.SUBMITTED)
    with pytest.raises(workflow.MissingInformation):
        workflow.resolve(case, by=actor("officer"), response="  ")
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.resolve(case, by=actor("auditor"), response="Done.")
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert list(case.events.values_list("action", flat=True)) == ["submit"]


def test_resolve_is_refused_where_no_step_leads_to_work():
    case = case_in(Status.AWAITING_CITIZEN)
    assert "resolve" not in workflow.allowed_actions(case, actor("officer"))
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.resolve(case, by=actor("officer"), response="Done.")


def test_a_failure_after_the_steps_rolls_them_back(monkeypatch):
    case = case_in(Status.SUBMITTED)
    from feedback.workflow import transitions

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(
        transitions,
        "record_case_timing",
        lambda c, name, now: broken() if name == "resolve" else None,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.resolve(case, by=actor("officer"), response="Done.")
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.first_acknowledged_at is None
    assert not case.events.filter(type=CaseEvent.Type.TRANSITION).exists()


# Replies: public or internal by an explicit choice (more in test_workflow.py).


def test_the_reply_form_has_no_visibility_preselected():
    from feedback.action_forms import action_form

    case = case_in(Status.IN_PROGRESS)
    form = action_form("reply", case, data={"reply-body": "Checking."})
    assert not form.is_valid()
    assert form.errors["visibility"] == [
        "Choose whether the citizen reads this message or only staff do."
    ]
    assert action_form("reply", case)["visibility"].value() in (None, "")


# Directives.


def working_day_after(days=3):
    return sla.local_date(sla.add_working_days(timezone.now(), days, sla.default_country()))


def test_a_leader_gives_a_directive_the_institution_answers_the_oldest(task_queue):
    case = case_in(Status.IN_PROGRESS)
    workflow.assign(case, by=actor("lead"), officer=user("officer"))
    due = working_day_after(3)
    workflow.perform(
        "give_directive", case, by=actor("oversight"), instruction="Report by Friday.", due=due
    )
    workflow.perform("give_directive", case, by=actor("admin"), instruction="And copy me.", due=due)
    first, second = Directive.objects.filter(case=case).order_by("pk")
    assert first.issued_by_institution.short_code == "11"  # the leader's level
    assert second.issued_by_institution.short_code == "1"  # admin: the root
    assert sla.local_date(first.due) == due and first.is_open
    events = case.events.filter(action="give_directive")
    assert events.count() == 2 and not events.filter(is_public=True).exists()
    assert citizen_tasks(case).count("give_directive") == 0
    assert set(directives_waiting_for(user("officer"))) == {first, second}
    assert set(directives_waiting_for(user("oversight"))) == {first}
    # The handling institution's leads and the assignee are told by e-mail (ids queued).
    from tests.feedback.test_notifications import run_worker

    mail.outbox.clear()
    run_worker()
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"lead@example.org", "officer@example.org"} <= recipients

    workflow.perform("answer_directive", case, by=actor("officer"), answer="Done on Tuesday.")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.answer, first.answered_by, second.is_open) == (
        "Done on Tuesday.",
        user("officer"),
        True,
    )
    assert first.history.count() == 2  # given, answered: chained
    workflow.perform("answer_directive", case, by=actor("lead"), answer="Copied.")
    assert "answer_directive" not in workflow.allowed_actions(case, actor("officer"))
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.perform("answer_directive", case, by=actor("officer"), answer="Again.")
    assert case.events.filter(action="answer_directive", is_public=False).count() == 2


@pytest.mark.parametrize(
    ("days", "instruction"),
    [(0, "Report."), (None, "Report."), (3, "  ")],
    ids=["today", "no-date", "no-instruction"],
)
def test_a_directive_needs_an_instruction_and_a_working_day_in_the_future(days, instruction):
    case = case_in(Status.IN_PROGRESS)
    due = None if days is None else sla.local_date(timezone.now()) + timedelta(days=days)
    with pytest.raises(workflow.MissingInformation):
        workflow.give_directive(case, by=actor("oversight"), instruction=instruction, due=due)
    assert not Directive.objects.filter(case=case).exists()


def test_a_directive_due_on_a_weekend_is_refused():
    case = case_in(Status.IN_PROGRESS)
    day = sla.local_date(timezone.now()) + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    with pytest.raises(workflow.MissingInformation) as refused:
        workflow.give_directive(case, by=actor("oversight"), instruction="Report.", due=day)
    assert "working day" in str(refused.value.message)


def test_only_leaders_above_the_case_give_directives():
    case = case_in(Status.IN_PROGRESS)
    nhif_leader = make_staff("nhif-oversight", Role.OVERSIGHT, "12")
    for who in ("officer", "lead", "auditor", "screener"):
        assert "give_directive" not in workflow.allowed_actions(case, actor(who)), who
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.give_directive(
            case, by=workflow.staff(nhif_leader), instruction="x", due=working_day_after()
        )


def test_an_overdue_directive_is_shown_but_does_not_move_the_case():
    case = case_in(Status.IN_PROGRESS)
    workflow.give_directive(
        case, by=actor("oversight"), instruction="Report.", due=working_day_after(1)
    )
    later = timezone.now() + timedelta(days=10)
    assert Directive.objects.overdue(later).filter(case=case).exists()
    level, due = case.escalation_level, case.resolve_due
    from feedback.escalation import sweep

    sweep(now=min(later, case.resolve_due - timedelta(minutes=1)))
    case.refresh_from_db()
    assert (case.escalation_level, case.resolve_due, case.status) == (
        level,
        due,
        Status.IN_PROGRESS,
    )


# Merge (duplicates).


def test_merge_rejects_the_duplicate_and_points_to_the_surviving_case(task_queue):
    surviving = case_in(Status.IN_PROGRESS)
    copy = case_in(Status.ACKNOWLEDGED)
    copy = workflow.perform("merge", copy, by=actor("officer"), into=surviving)
    assert (copy.status, copy.rejection_reason, copy.duplicate_of) == (
        Status.REJECTED,
        "duplicate",
        surviving,
    )
    event = copy.events.latest("pk")
    assert (event.action, event.is_public) == ("merge", True)
    assert citizen_tasks(copy)[-1] == "merge"
    from tests.feedback.test_notifications import run_worker

    run_worker()
    message = [m for m in sms.outbox if references.format_reference(copy.reference) in m.body][-1]
    assert references.format_reference(surviving.reference) in message.body
    with translation.override("sw"):  # the citizen's language (the factory's cases are sw)
        start = translation.gettext("Mrejesho %(ref)s: your case was joined to case %(into)s, ")
    assert message.body.startswith(start.split("%(ref)s")[0])


def test_merge_is_refused_with_a_clear_message():
    case = case_in(Status.SUBMITTED)
    closed = case_in(Status.CLOSED)
    merged = workflow.merge(
        case_in(Status.SUBMITTED), by=actor("officer"), into=case_in("in_progress")
    )
    elsewhere = submit_case(institution=Institution.objects.get(short_code="121"), service=None)
    above = submit_case(institution=Institution.objects.get(short_code="11"), service=None)
    for into, words in [
        (None, "Give the reference"),
        (case, "into itself"),
        (closed, "closed, rejected or merged"),
        (merged, "closed, rejected or merged"),
        (elsewhere.case, "another institution"),
        (above.case, "another institution"),  # the level above is not "the same or below"
    ]:
        with pytest.raises(workflow.MissingInformation) as refused:
            workflow.perform("merge", case, by=actor("officer"), into=into)
        assert words in str(refused.value.message), words
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_case_may_be_merged_into_one_of_a_unit_below():
    case = submit_case(institution=Institution.objects.get(short_code="111"), service=None).case
    below = case_in(Status.IN_PROGRESS)  # DAWASA Customer Care (1111), under DAWASA (111)
    case = workflow.merge(case, by=actor("lead"), into=below)
    assert case.duplicate_of == below


def test_reports_count_merges():
    from feedback.reports.figures import compute_figures

    surviving = case_in(Status.IN_PROGRESS)
    workflow.merge(case_in(Status.SUBMITTED), by=actor("officer"), into=surviving)
    workflow.reject(
        case_in(Status.SUBMITTED), by=actor("officer"), reason="abusive", explanation="Insults."
    )
    today = sla.local_date(timezone.now())
    figures = compute_figures(
        Institution.objects.get(short_code="1111"), today - timedelta(days=2), today
    )
    assert figures.merged == 1
    assert {t.key: t.count for t in figures.by_status}["rejected"] == 2


def test_the_duplicates_citizen_follows_the_surviving_case_after_the_pin(client):
    other = submit_case(
        contact=workflow.ContactDetails(name="Asha Other", phone="+255754000111", notify_by="sms"),
        subject="Burst pipe on Uhuru Street",
        description="The other citizen wrote this.",
    ).case
    officer = actor("officer")
    workflow.add_information(
        other, by=workflow.citizen_of(other), body="A message from the other citizen."
    )
    submission = submit_case()
    copy = workflow.merge(submission.case, by=officer, into=other)
    workflow.reply(other, by=officer, body="Engineers come on Monday.", visibility="public")
    workflow.reply(other, by=officer, body="Staff only note.", visibility="internal")
    url = f"/en/feedback/track/{copy.reference}/"
    before_pin = client.get(url).content.decode()
    assert 'data-testid="merged-into"' not in before_pin
    assert client.post(url, {"action": "pin", "pin": submission.pin}).status_code == 302
    html = client.get(url).content.decode()
    ref = references.format_reference(other.reference)
    assert f"Merged into case {ref}" in html
    assert "Engineers come on Monday." in html
    other.refresh_from_db()
    assert other.get_status_display() in html
    for private in (
        "Staff only note.",
        "Other's message.",
        "The other citizen's own words.",
        "Asha Other",
        "+255754000111",
        other.subject,
    ):
        assert private not in html, private
    workflow.resolve(other, by=officer, response="Pipe repaired.")
    html = client.get(url).content.decode()
    assert "Pipe repaired." in html


# The screening desk.


def in_queue(status=Status.SUBMITTED):
    case = submit_case(institution=Institution.objects.get(short_code="1"), service=None).case
    if status == Status.ACKNOWLEDGED:
        case = workflow.acknowledge(case, by=actor("admin"))
    return case


def test_the_screener_acts_only_on_the_queue():
    desk = actor("screener")
    queued = in_queue()
    assert set(workflow.allowed_actions(queued, desk)) == {"refer", "reply", "close_with_pointer"}
    elsewhere = case_in(Status.SUBMITTED)
    assert workflow.allowed_actions(elsewhere, desk) == []
    with pytest.raises(workflow.ActionNotPermitted):
        workflow.refer(
            elsewhere, by=desk, to=Institution.objects.get(short_code="121"), reason="NHIF."
        )
    case = workflow.refer(
        queued, by=desk, to=Institution.objects.get(short_code="121"), reason="Insurance."
    )
    assert case.institution.short_code == "121"
    assert workflow.allowed_actions(case, desk) == []  # out of the queue now
    assert not screens(user("screener"), case)


def test_close_with_pointer_tells_the_citizen_where_to_go(task_queue):
    case = in_queue(Status.ACKNOWLEDGED)
    with pytest.raises(workflow.MissingInformation):
        workflow.close_with_pointer(case, by=actor("screener"), right_body=" ", explanation="x")
    case = workflow.perform(
        "close_with_pointer",
        case,
        by=actor("screener"),
        right_body="the District Land and Housing Tribunal",
        explanation="A land dispute between neighbours is for the tribunal.",
    )
    assert (case.status, case.rejection_reason) == (Status.REJECTED, "out_of_scope")
    assert citizen_tasks(case)[-1] == "close_with_pointer"
    from tests.feedback.test_notifications import run_worker

    run_worker()
    (message,) = [m for m in sms.outbox if references.format_reference(case.reference) in m.body][
        -1:
    ]
    assert "the District Land and Housing Tribunal" in message.body
    with translation.override("sw"):
        start = translation.gettext(
            "Mrejesho %(ref)s: no public institution in this registry handles this matter. "
            "Please take it to: %(right_body)s. %(explanation)s"
        )
    assert message.body.startswith(start.split("%(ref)s")[0])
    assert start.split("%(right_body)s")[0].split("%(ref)s")[1] in message.body


def test_lead_may_not_close_with_a_pointer():
    case = in_queue()
    for who in ("lead", "officer", "oversight"):
        assert "close_with_pointer" not in workflow.allowed_actions(case, actor(who)), who


# The appeals queue.


def test_the_level_above_sees_the_appeals_it_hears():
    appealed = case_in(Status.APPEALED)  # answered by DAWASA Customer Care: DAWASA hears it
    assert appealed.appeal.institution.short_code == "111"
    assert list(appeals_for(user("lead"))) == [appealed]
    assert list(appeals_for(user("oversight"))) == []  # the ministry is not hearing it
    assert list(appeals_for(user("admin"))) == [appealed]
    assert list(appeals_for(user("screener"))) == []
    workflow.dismiss_appeal(appealed, by=actor("lead"), response="The bill was right.")
    assert list(appeals_for(user("lead"))) == []
