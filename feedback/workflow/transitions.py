"""The transitions: the only code that changes a case's status.

Each action of the table (feedback.workflow.actions) is one function here, named after it.
It locks the case, checks the table's rule against the locked row (status, role, scope,
time), records who did it, when and why (a CaseEvent and a chained history row), recomputes
the deadlines and queues the notifications, all in one transaction: an illegal move raises
and changes nothing.
"""

from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import notifications, references, sla
from feedback.access import covers, profile_of, role_of
from feedback.models import (
    Appeal,
    Case,
    CaseEvent,
    Contact,
    Directive,
    Institution,
    PublicOutcome,
    RejectionReason,
    Role,
    Status,
)
from feedback.reports.timings import record_case_timing
from feedback.scrubbing import scrub
from feedback.workflow.actions import (
    ACTIONS,
    INTERNAL,
    PUBLIC,
    implied_steps,
    next_due,
    open_directive,
    outcome_of,
    refusal,
)
from feedback.workflow.actors import Actor
from feedback.workflow.errors import MissingInformation
from search import indexing

S = Status

# Set while the steps implied by another action are taken: they are recorded like any step,
# but the citizen is told once, of the action they led to.
_on_the_way: ContextVar[bool] = ContextVar("on_the_way", default=False)


def require(value, message) -> None:
    if not (value.strip() if isinstance(value, str) else value):
        raise MissingInformation(message)


def charter_days(case: Case) -> tuple[int, int, int]:
    """(acknowledge, resolve, reopen window) in working days for this case's service and kind."""
    defaults = settings.DEFAULT_CHARTER_DAYS
    if case.service is None:
        return defaults["acknowledge"], defaults["resolve"], defaults["reopen_window"]
    acknowledge, resolve = case.service.charter_for(case.kind)
    return acknowledge, resolve, case.service.reopen_window_days


def working_days_from(now: datetime, days: int) -> datetime:
    return sla.add_working_days(now, days, sla.default_country())


def set_fresh_deadlines(case: Case, now: datetime) -> None:
    acknowledge, resolve, _window = charter_days(case)
    case.expected_by = None
    case.acknowledge_due = working_days_from(now, acknowledge)
    case.resolve_due = working_days_from(now, resolve)


def _event_actor(actor: Actor) -> tuple[object, str]:
    if actor.kind == "staff":
        return actor.user, CaseEvent.ActorKind.STAFF
    return None, actor.kind


def record_event(case, actor: Actor, *, type, action="", before="", body="", public=True, now):
    user, kind = _event_actor(actor)
    return CaseEvent.objects.create(
        case=case,
        type=type,
        action=action,
        from_status=before,
        to_status=case.status,
        actor=user,
        actor_kind=kind,
        body=body,
        is_public=public,
        created_at=now,
    )


def locked_case(case: Case) -> Case:
    """The case's row, locked until the transaction ends (lock order: the case row first,
    then the audit chain head, which every history write takes after it)."""
    return Case.objects.select_for_update(of=("self",)).select_related("service").get(pk=case.pk)


def transition(
    name: str,
    case: Case,
    actor: Actor,
    now: datetime | None,
    change,
    *,
    body: str = "",
    public: bool = True,
    event_type: str = CaseEvent.Type.TRANSITION,
) -> Case:
    """Lock, check, change, record: the frame every action shares.

    A case whose outcome is public (before or after the change) goes to the search index's
    queue in the same transaction: its status, counts or outcome are part of what the public
    reads, and a withdrawn outcome must leave the index."""
    now = now or timezone.now()
    action = ACTIONS[name]
    with transaction.atomic():
        locked = locked_case(case)
        problem = refusal(name, locked, actor, now)
        if problem is not None:
            raise problem
        was_public = _outcome_is_published(locked)
        before = locked.status
        if action.target is not None:
            locked.status = action.target
        change(locked, now)
        locked.next_due = next_due(locked)
        locked._history_user = actor.user if actor.kind == "staff" else None
        locked._change_reason = f"{name}: {body}" if body else name
        locked.save()
        record_case_timing(locked, name, now)  # the reports' working days, with the fact
        event = record_event(
            locked,
            actor,
            type=event_type,
            action=name,
            before=before,
            body=body,
            public=public,
            now=now,
        )
        if event.is_public and not _on_the_way.get():
            notifications.case_changed(locked, name, event)
        if was_public or _outcome_is_published(locked):
            indexing.outcome_changed(locked.pk)
    return locked


def _outcome_is_published(case: Case) -> bool:
    return PublicOutcome.objects.filter(
        case_id=case.pk, state=PublicOutcome.State.PUBLISHED
    ).exists()


def _unchanged(case, now):
    return None


def acknowledge(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    def change(c, now):
        c.acknowledged_at = now
        c.first_acknowledged_at = c.first_acknowledged_at or now

    return transition("acknowledge", case, by, now, change, body=message)


def request_information(case: Case, *, by: Actor, question: str, now=None) -> Case:
    require(question, _("Say what information you need from the citizen."))

    def change(c, now):
        c.paused_at = now

    return transition("request_information", case, by, now, change, body=question)


def _resume(c: Case, now: datetime) -> None:
    """The citizen answered: the clock restarts and the deadline moves by the paused days."""
    if c.paused_at is not None and c.resolve_due is not None:
        c.resolve_due = sla.extend_for_pause(c.resolve_due, c.paused_at, now, sla.default_country())
    c.paused_at = None


def receive_information(case: Case, *, by: Actor, information: str, now=None) -> Case:
    require(information, _("Write the information you are adding."))
    return transition("receive_information", case, by, now, _resume, body=information)


def start(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    return transition("start", case, by, now, _unchanged, body=message)


def take_implied_steps(name: str, case: Case, by: Actor, now: datetime) -> Case:
    """Inside the caller's transaction, lock the case and take the steps the table says lead
    to a status `name` is taken from (acknowledge, start...), each its own event and history
    row; the citizen is not told of them. Returns the case as they left it (still locked)."""
    locked = locked_case(case)
    problem = refusal(name, locked, by, now)
    if problem is not None:
        raise problem
    token = _on_the_way.set(True)
    try:
        for step in implied_steps(name, locked, by, now) or []:
            locked = globals()[step](locked, by=by, now=now)  # the step's own function
    finally:
        _on_the_way.reset(token)
    return locked


def resolve(case: Case, *, by: Actor, response: str, now=None) -> Case:
    """Resolve with a response, in one step from any status the table allows: the steps on
    the way (acknowledge, start) are taken and recorded first, in the same transaction."""
    require(response, _("Write the response the citizen will read."))
    now = now or timezone.now()

    def change(c, now):
        _a, _r, window = charter_days(c)
        c.resolved_at = now
        c.first_resolved_at = c.first_resolved_at or now
        c.reopen_until = working_days_from(now, window)

    with transaction.atomic():
        case = take_implied_steps("resolve", case, by, now)
        return transition("resolve", case, by, now, change, body=response)


def close(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    """The citizen confirms, or the system closes once the reopening window has passed."""

    def change(c, now):
        c.closed_at = now
        c.reopen_until = None

    return transition("close", case, by, now, change, body=message)


def _climb(c: Case) -> None:
    parent = c.handling_institution.get_parent()
    if parent is not None:
        c.escalated_to = parent
        c.escalation_level += 1
        c.escalation_count += 1


def _reopened(c, now):
    """A resolved case back to work, one level higher, with a fresh deadline."""
    c.reopen_count += 1
    c.reopen_until = None
    c.resolved_at = None
    _climb(c)  # at the top already, the top level takes it again
    c.expected_by = None
    c.resolve_due = working_days_from(now, charter_days(c)[1])


def reopen(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Unhappy with the answer: back to work, one level higher, with a fresh deadline."""
    require(reason, _("Say why the answer did not resolve your case."))
    return transition("reopen", case, by, now, _reopened, body=reason)


def dispute(case: Case, *, by: Actor, reason: str = "", now=None) -> Case:
    """The citizen answers "not resolved" to the message that said it was (an SMS NO/HAPANA,
    the USSD menu): reopened like `reopen`, and marked disputed, which puts it first in the
    officer's work (Case.disputed_at); the event says why, in the citizen's words if any."""

    def change(c, now):
        _reopened(c, now)
        c.disputed_at = now

    # No reason given: the event has no text (staff pages say so in their own language).
    return transition("dispute", case, by, now, change, body=reason.strip())


def reject(case: Case, *, by: Actor, reason: str, explanation: str, now=None) -> Case:
    """Out of scope or abusive; a duplicate is merged instead (`merge`)."""
    if reason not in (RejectionReason.OUT_OF_SCOPE, RejectionReason.ABUSIVE):
        raise MissingInformation(_("Choose why the case is rejected."))
    require(explanation, _("Explain the rejection to the citizen."))

    def change(c, now):
        c.rejection_reason = reason
        c.closed_at = now

    return transition("reject", case, by, now, change, body=explanation)


def merge_refusal(case: Case, into: Case | None) -> MissingInformation | None:
    """Why `case` may not be merged into `into` (None: it may). The surviving case is another
    case, still going (not rejected, closed or itself merged), of the institution that
    handles this one or of one below it."""
    if into is None:
        return MissingInformation(_("Give the reference of the case this one duplicates."))
    if into.pk == case.pk:
        return MissingInformation(_("A case cannot be merged into itself."))
    if into.status in (S.REJECTED, S.CLOSED) or into.duplicate_of_id is not None:
        return MissingInformation(
            _("Case %(ref)s is closed, rejected or merged itself: merge into a case that goes on.")
            % {"ref": references.format_reference(into.reference)}
        )
    handling = case.handling_institution
    if not into.institution.path.startswith(handling.path):
        return MissingInformation(
            _(
                "Case %(ref)s belongs to another institution: merge only into a case of "
                "%(place)s or of an institution below it."
            )
            % {"ref": references.format_reference(into.reference), "place": handling}
        )
    return None


def merge(case: Case, *, by: Actor, into: Case | None = None, now=None) -> Case:
    """The case duplicates another: it is rejected as a duplicate pointing to the surviving
    case, whose progress its citizen follows from then on. Both rows are locked (in id order,
    so two merges crossing each other cannot deadlock) and the surviving one checked under
    its lock."""
    problem = merge_refusal(case, into)
    if problem is not None:
        raise problem
    now = now or timezone.now()
    with transaction.atomic():
        list(Case.objects.select_for_update().filter(pk__in=[case.pk, into.pk]).order_by("pk"))
        surviving = Case.objects.select_related("institution").get(pk=into.pk)
        reference = references.format_reference(surviving.reference)

        def change(c, now):
            problem = merge_refusal(c, surviving)
            if problem is not None:
                raise problem
            c.rejection_reason = RejectionReason.DUPLICATE
            c.duplicate_of = surviving
            c.closed_at = now
            c.paused_at = None
            c.expected_by = None

        return transition("merge", case, by, now, change, body=reference)


def close_with_pointer(
    case: Case, *, by: Actor, right_body: str, explanation: str, now=None
) -> Case:
    """The screening desk closes a case that is no public institution's business, telling the
    citizen (in their language) which body handles it: rejected as out of scope."""
    require(right_body, _("Say which body handles this matter."))
    require(explanation, _("Explain to the citizen why it goes there."))
    # One line naming the body, then the explanation: the event keeps both, as the citizen
    # reads them.
    right_body, explanation = " ".join(right_body.split()), explanation.strip()

    def change(c, now):
        c.rejection_reason = RejectionReason.OUT_OF_SCOPE
        c.closed_at = now

    return transition(
        "close_with_pointer", case, by, now, change, body=f"{right_body}\n{explanation}"
    )


def refer(case: Case, *, by: Actor, to: Institution | None, reason: str, now=None) -> Case:
    """Hand the case to another institution, which starts from "submitted" with fresh deadlines."""
    if to is None:
        raise MissingInformation(_("Choose the institution that should handle this case."))
    require(reason, _("Say why the case belongs to that institution."))
    if to.pk == case.handling_institution.pk:
        raise MissingInformation(_("The case is already with that institution."))
    if not to.is_active:
        raise MissingInformation(_("That institution no longer takes cases."))

    def change(c, now):
        c.institution = to
        if c.service is not None and not c.service.institution.path.startswith(to.path):
            c.service = None
        c.referral_count += 1
        c.assigned_to = None
        # The new institution starts afresh; first acknowledgement and the escalations
        # counted so far stay on the case for the reports.
        c.escalation_level = 0
        c.escalated_to = None
        c.acknowledged_at = None
        c.paused_at = None
        set_fresh_deadlines(c, now)

    return transition("refer", case, by, now, change, body=f"{to.name}: {reason}")


def escalate(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Move responsibility one level up the tree; that level gets a full charter period."""
    require(reason, _("Say why the case is escalated."))

    def change(c, now):
        _climb(c)
        c.expected_by = None
        acknowledge_days, resolve_days, _w = charter_days(c)
        if c.status == S.SUBMITTED:
            c.acknowledge_due = working_days_from(now, acknowledge_days)
        c.resolve_due = working_days_from(now, resolve_days)

    return transition("escalate", case, by, now, change, body=reason)


def assignable(officer, case: Case) -> bool:
    """An officer or lead whose part of the tree holds the level that handles the case now."""
    return role_of(officer) in (Role.OFFICER, Role.LEAD) and covers(
        officer, case.handling_institution
    )


def assign(case: Case, *, by: Actor, officer, now=None) -> Case:
    if officer is None or not assignable(officer, case):
        raise MissingInformation(_("Assign the case to an officer who works on it."))

    def change(c, now):
        c.assigned_to = officer

    return transition(
        "assign",
        case,
        by,
        now,
        change,
        body=officer.get_full_name() or officer.get_username(),
        public=False,
        event_type=CaseEvent.Type.ASSIGNED,
    )


def interim_reply(case: Case, *, by: Actor, message: str, expected_by, now=None) -> Case:
    """Before the deadline passes, tell the citizen why it will be missed and when to expect
    an answer. The case is not escalated before that date; reports count these replies."""
    require(message, _("Explain to the citizen why more time is needed."))
    if expected_by is None:
        raise MissingInformation(_("Give the date by which the citizen can expect an answer."))

    def change(c, now):
        promised = sla.end_of_day(expected_by)
        if c.resolve_due is not None and promised <= c.resolve_due:
            raise MissingInformation(
                _("The charter deadline is already on or after that date: no interim reply needed.")
            )
        c.expected_by = promised
        c.interim_reply_count += 1

    return transition("interim_reply", case, by, now, change, body=message)


def appeal(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Not satisfied after closure: the level above the one that answered hears the appeal."""
    require(reason, _("Say why you appeal against the outcome."))

    def change(c, now):
        handling = c.handling_institution
        Appeal.objects.create(
            case=c,
            institution=handling.get_parent() or handling,
            reason=reason.strip(),
            lodged_at=now,
            due=working_days_from(now, charter_days(c)[1]),
        )
        c.closed_at = None

    return transition("appeal", case, by, now, change, body=reason)


def _decide(c: Case, by: Actor, decision: str, response: str, now: datetime) -> Appeal:
    hearing = c.appeal  # read under the case's row lock, so no one else decides it
    hearing.decision = decision
    hearing.decided_at = now
    hearing.decided_by = by.user if by.kind == "staff" else None
    hearing.response = response.strip()
    hearing._history_user = hearing.decided_by
    hearing.save()
    return hearing


def uphold_appeal(case: Case, *, by: Actor, response: str, now=None) -> Case:
    """The appeal succeeds: the case reopens at the appeal's level, and what the overturned
    outcome said (a rejection, its reason, a duplicate) no longer holds."""
    require(response, _("Give the reasons for the decision."))

    def change(c, now):
        hearing = _decide(c, by, Appeal.Decision.UPHELD, response, now)
        if hearing.institution != c.handling_institution:
            c.escalated_to = hearing.institution
            c.escalation_level += 1
            c.escalation_count += 1
        c.rejection_reason = ""
        c.duplicate_of = None
        c.closed_at = None
        c.resolved_at = None
        c.resolve_due = working_days_from(now, charter_days(c)[1])
        c.expected_by = None

    return transition("uphold_appeal", case, by, now, change, body=response)


def dismiss_appeal(case: Case, *, by: Actor, response: str, now=None) -> Case:
    """The appeal fails: the outcome stands and the case is closed again."""
    require(response, _("Give the reasons for the decision."))

    def change(c, now):
        _decide(c, by, Appeal.Decision.DISMISSED, response, now)
        c.closed_at = now

    return transition("dismiss_appeal", case, by, now, change, body=response)


def escalate_appeal(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """The appeal moves to the level above the one that let its deadline pass."""
    require(reason, _("Say why the appeal is escalated."))

    def change(c, now):
        hearing = c.appeal
        hearing.institution = hearing.institution.get_parent()
        hearing.due = working_days_from(now, charter_days(c)[1])
        hearing._history_user = by.user if by.kind == "staff" else None
        hearing._change_reason = f"escalate_appeal: {reason}"
        hearing.save()

    return transition("escalate_appeal", case, by, now, change, body=reason)


def reply(case: Case, *, by: Actor, body: str, visibility: str = "", now=None) -> Case:
    """A staff message to the citizen, or an internal note, as the writer chose (there is
    no default: leaving it out is refused); the status stays."""
    require(body, _("Write a message."))
    if visibility not in (PUBLIC, INTERNAL):
        raise MissingInformation(
            _("Choose whether the citizen reads this message or only staff do.")
        )
    internal = visibility == INTERNAL
    return transition(
        "reply",
        case,
        by,
        now,
        _unchanged,
        body=body.strip(),
        public=not internal,
        event_type=CaseEvent.Type.NOTE if internal else CaseEvent.Type.STAFF_MESSAGE,
    )


def add_information(case: Case, *, by: Actor, body: str, now=None) -> Case:
    """The citizen adds information; if the case was waiting for it, work resumes."""
    require(body, _("Write the information you are adding."))

    def change(c, now):
        if c.status == S.AWAITING_CITIZEN:
            c.status = S.IN_PROGRESS
            _resume(c, now)

    return transition(
        "add_information",
        case,
        by,
        now,
        change,
        body=body.strip(),
        event_type=CaseEvent.Type.CITIZEN_MESSAGE,
    )


def rate(case: Case, *, by: Actor, score: int, comment: str = "", now=None) -> Case:
    """The citizen's satisfaction with the outcome, once the case is resolved or closed."""
    if score not in range(1, 6):
        raise MissingInformation(_("Choose a rating from 1 to 5."))
    comment = (comment or "").strip()

    def change(c, now):
        c.satisfaction = score
        c.satisfaction_comment = comment

    body = str(score) + (f": {comment}" if comment else "")
    return transition("rate", case, by, now, change, body=body, event_type=CaseEvent.Type.RATED)


def set_confidential(
    case: Case, *, by: Actor, reason: str, confidential: bool = True, now=None
) -> Case:
    """A confidential case is never published nor exported beyond its institution."""
    require(reason, _("Say why."))

    def change(c, now):
        c.is_confidential = bool(confidential)
        outcome = outcome_of(c)
        if c.is_confidential and outcome is not None and outcome.state == OutcomeState.PUBLISHED:
            _withdraw(outcome, by, f"set_confidential: {reason}", now)

    return transition("set_confidential", case, by, now, change, body=reason, public=False)


# Directives: a leader's instruction and the institution's answer. Internal events (the
# citizen is not told); the directive row keeps its own chained history.


def _directive_level(user) -> Institution:
    """The level a directive is given from: the leader's institution (the root for admin)."""
    profile = profile_of(user)
    if profile is not None and profile.institution is not None:
        return profile.institution
    return Institution.get_first_root_node()


def give_directive(case: Case, *, by: Actor, instruction: str, due=None, now=None) -> Case:
    """An oversight leader's instruction on a case, to be answered by a working day after
    today. It does not move the case; an overdue directive is shown, not escalated."""
    require(instruction, _("Write the instruction."))
    now = now or timezone.now()
    if due is None:
        raise MissingInformation(_("Give the working day by which the institution must answer."))
    if due <= sla.local_date(now) or not sla.is_working_day(due, sla.default_country()):
        raise MissingInformation(_("The answer must be due on a working day after today."))
    instruction = instruction.strip()

    def change(c, now):
        directive = Directive(
            case=c,
            issued_by_institution=_directive_level(by.user),
            given_by=by.user,
            given_at=now,
            instruction=instruction,
            due=sla.end_of_day(due),
        )
        directive._history_user = by.user
        directive._change_reason = "give_directive"
        directive.save()
        notifications.directive_given(directive)

    return transition(
        "give_directive",
        case,
        by,
        now,
        change,
        body=instruction,
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )


def answer_directive(case: Case, *, by: Actor, answer: str, now=None) -> Case:
    """The institution's answer to the oldest directive still waiting on the case."""
    require(answer, _("Write the answer."))
    answer = answer.strip()

    def change(c, now):
        directive = open_directive(c)  # under the case's row lock: no one else answers it
        directive.answer = answer
        directive.answered_by = by.user
        directive.answered_at = now
        directive._history_user = by.user
        directive._change_reason = "answer_directive"
        directive.save()

    return transition(
        "answer_directive",
        case,
        by,
        now,
        change,
        body=answer,
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )


# Public outcomes. Their events are internal: the citizen consented once, when submitting,
# and is told nothing new by a draft or a review; no one is notified.

OutcomeState = PublicOutcome.State


def _user(actor: Actor):
    return actor.user if actor.kind == "staff" else None


def _save_outcome(outcome: PublicOutcome, by: Actor, reason: str) -> None:
    outcome._history_user = _user(by)
    outcome._change_reason = reason
    outcome.save()


def _withdraw(outcome: PublicOutcome, by: Actor, reason: str, now: datetime) -> None:
    outcome.state = OutcomeState.WITHDRAWN
    outcome.withdrawn_at = now
    _save_outcome(outcome, by, reason)


def _scrubbed(case: Case, text: str, language: str, removed: list[dict]) -> str:
    """The text without personal data; what was removed is added to `removed`."""
    result = scrub(text.strip(), Contact.objects.filter(case=case).first(), language)
    for removal in result.removed:
        if removal.as_dict() not in removed:
            removed.append(removal.as_dict())
    return result.text


def write_outcome(
    case: Case, *, by: Actor, summary: str, response: str, language: str, now=None
) -> Case:
    """A draft of what the public will read, scrubbed of personal data before anyone sees it.
    Rewriting a draft, a sent-back or a withdrawn outcome makes a new draft."""
    require(summary, _("Write the problem as the public will read it."))
    require(response, _("Write what the institution did."))
    if language not in dict(settings.LANGUAGES):
        raise MissingInformation(_("Choose the language the outcome is written in."))

    def change(c, now):
        outcome = outcome_of(c) or PublicOutcome(case=c)
        removed: list[dict] = []
        outcome.summary = _scrubbed(c, summary, language, removed)
        outcome.response = _scrubbed(c, response, language, removed)
        outcome.removed = removed
        outcome.language = language
        outcome.state = OutcomeState.DRAFT
        outcome.written_by = _user(by)
        outcome.written_at = now
        outcome.reviewed_by = None
        outcome.review_note = ""
        outcome.published_at = outcome.withdrawn_at = None
        _save_outcome(outcome, by, "write_outcome")

    return transition(
        "write_outcome",
        case,
        by,
        now,
        change,
        body=_("Public outcome drafted."),
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )


def approve_outcome(
    case: Case, *, by: Actor, summary: str = "", response: str = "", now=None
) -> Case:
    """Publish the draft, with the reviewer's edits (scrubbed again) if there are any."""

    def change(c, now):
        outcome = outcome_of(c)
        removed = list(outcome.removed)
        if (summary or "").strip():
            outcome.summary = _scrubbed(c, summary, outcome.language, removed)
        if (response or "").strip():
            outcome.response = _scrubbed(c, response, outcome.language, removed)
        outcome.removed = removed
        outcome.state = OutcomeState.PUBLISHED
        outcome.reviewed_by = _user(by)
        outcome.review_note = ""
        outcome.published_at = now
        outcome.withdrawn_at = None
        _save_outcome(outcome, by, "approve_outcome")

    return transition(
        "approve_outcome",
        case,
        by,
        now,
        change,
        body=_("Public outcome approved and published."),
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )


def send_back_outcome(case: Case, *, by: Actor, note: str, now=None) -> Case:
    """The draft goes back to the officer with a note of what to change."""
    require(note, _("Say what the officer should change."))

    def change(c, now):
        outcome = outcome_of(c)
        outcome.state = OutcomeState.SENT_BACK
        outcome.reviewed_by = _user(by)
        outcome.review_note = note.strip()
        _save_outcome(outcome, by, f"send_back_outcome: {note.strip()}")

    return transition(
        "send_back_outcome",
        case,
        by,
        now,
        change,
        body=note.strip(),
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )


def withdraw_outcome(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Take the outcome off the public site and out of the index, at once."""
    require(reason, _("Say why the outcome is withdrawn."))

    def change(c, now):
        _withdraw(outcome_of(c), by, f"withdraw_outcome: {reason.strip()}", now)

    return transition(
        "withdraw_outcome",
        case,
        by,
        now,
        change,
        body=reason.strip(),
        public=False,
        event_type=CaseEvent.Type.NOTE,
    )
