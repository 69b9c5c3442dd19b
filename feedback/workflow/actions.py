"""The one table of actions on a case: every channel, form and menu reads it.

Each `Action` says where it may start (sources), where it leads (target; None keeps the
status), who may take it (roles), whose part of the institution tree a scoped actor must
cover (scope), what else must hold at that moment (guard: time and state), how people name
it (label, verb, button) and the parameters it takes. `refusal` applies all of it, so
`allowed_actions` offers exactly what `perform` would accept.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import sla
from feedback.access import covers
from feedback.models import (
    Appeal,
    Case,
    Institution,
    PublicOutcome,
    RejectionReason,
    Role,
    Status,
)
from feedback.workflow.actors import Actor
from feedback.workflow.errors import ActionNotPermitted, TransitionNotAllowed, WorkflowError

S = Status


@dataclass(frozen=True)
class Param:
    """One parameter of an action: the keyword its function takes and how to ask for it.

    kind: text, choice, date, institution, officer, case (a reference number), flag, score.
    """

    name: str
    kind: str
    label: str
    required: bool = True
    choices: tuple = ()
    help_text: str = ""
    # What to tell a person who left it out or chose something not on offer.
    missing: str = ""


def handling_institution(case: Case) -> Institution:
    return case.handling_institution


def appeal_institution(case: Case) -> Institution:
    return case.appeal.institution


Guard = Callable[[Case, Actor, datetime], WorkflowError | None]


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset
    target: str | None
    roles: frozenset
    label: str  # "A case that is … cannot be <label>."
    verb: str  # "Your role may not <verb> a case."
    button: str
    params: tuple[Param, ...] = ()
    scope: Callable[[Case], Institution] = handling_institution
    guard: Guard | None = None
    # What a citizen reads once their action is done.
    thanks: str = ""
    # What a form for this action starts with on this case (e.g. the draft being rewritten).
    initial: Callable[[Case], dict] | None = None


HANDLERS = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
CITIZEN_SIDE = frozenset({"citizen", Role.AGENT, Role.ADMIN})
OPEN_ACTIVE = frozenset({S.SUBMITTED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})
ALL_STATUSES = frozenset(S.values)

# Roles that act on any case; citizens and agents only on cases bound to them, the rest
# only within their part of the institution tree.
UNSCOPED = frozenset({"system", Role.ADMIN})


def _message(label, required=False):
    return Param("message", "text", label, required=required)


# Guards: facts of time and state that the status alone does not say.


def _reopen_window_open(case, actor, now):
    if case.reopen_until is not None and now > case.reopen_until:
        return TransitionNotAllowed(
            _("The time to reopen this case has passed; you may appeal instead.")
        )
    return None


def _system_closes_after_window(case, actor, now):
    if actor.kind == "system" and case.reopen_until and now <= case.reopen_until:
        return TransitionNotAllowed(_("The citizen may still reopen this case."))
    return None


def appeal_deadline(case: Case) -> datetime | None:
    """The last moment a closed or rejected case may be appealed (None while it is open)."""
    if case.closed_at is None:
        return None
    return sla.add_working_days(case.closed_at, settings.APPEAL_WINDOW_DAYS, sla.default_country())


def _appeal_open(case, actor, now):
    if Appeal.objects.filter(case=case).exists():
        return TransitionNotAllowed(_("This case has already been appealed."))
    deadline = appeal_deadline(case)
    if deadline is None or now > deadline:
        return TransitionNotAllowed(_("The time to appeal against this outcome has passed."))
    return None


def is_overdue(case: Case, now: datetime) -> bool:
    """Past its deadline (and past any date an interim reply promised); the clock stops
    while the case waits for the citizen. The same rule as CaseQuerySet.overdue."""
    if case.status == S.SUBMITTED:
        return case.acknowledge_due is not None and case.acknowledge_due < now
    if case.status in (S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED):
        promised = case.expected_by is None or case.expected_by < now
        return promised and case.resolve_due is not None and case.resolve_due < now
    return False


def next_due(case: Case) -> datetime | None:
    """The deadline the handling institution works to now: the acknowledgement while the case
    is submitted; otherwise the resolution, or the date an interim reply promised when that
    is later; none while the clock is stopped or nothing is owed. Stored as Case.next_due
    (the inbox's sort key) whenever the workflow saves a case; `next_due < now` exactly when
    is_overdue holds."""
    if case.status == S.SUBMITTED:
        return case.acknowledge_due
    if case.status in (S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED) and case.resolve_due:
        if case.expected_by is not None and case.expected_by > case.resolve_due:
            return case.expected_by
        return case.resolve_due
    return None


# "Due soon": the next deadline falls within this many working days.
DUE_SOON_WORKING_DAYS = 2


def due_soon_limit(now: datetime) -> datetime:
    """The end of the second working day from now: a next deadline before it is "due soon"."""
    return sla.add_working_days(now, DUE_SOON_WORKING_DAYS, sla.default_country())


def is_due_soon(case: Case, now: datetime) -> bool:
    """Not overdue yet, but the next deadline falls before `due_soon_limit(now)`."""
    deadline = next_due(case)
    if deadline is None or is_overdue(case, now):
        return False
    return deadline <= due_soon_limit(now)


def _can_climb(case, actor, now):
    if case.handling_institution.get_parent() is None:
        return TransitionNotAllowed(_("The case is already at the top of the institution tree."))
    if actor.kind == "system" and not is_overdue(case, now):
        # Read under the row lock: a second sweep, or a citizen's answer, got there first.
        return TransitionNotAllowed(_("The case is not overdue."))
    return None


def _appeal_can_climb(case, actor, now):
    hearing = case.appeal
    if hearing.institution.get_parent() is None:
        return TransitionNotAllowed(_("The appeal is already at the top of the tree."))
    if actor.kind == "system" and not (hearing.decided_at is None and hearing.due < now):
        return TransitionNotAllowed(_("The appeal is not overdue."))
    return None


def _before_deadline(case, actor, now):
    if case.resolve_due is not None and now > case.resolve_due:
        return TransitionNotAllowed(
            _("The deadline has already passed: an interim reply must come before it.")
        )
    return None


# Public outcomes: written by the case's handlers, approved or sent back by a feedback lead,
# withdrawn by a lead or oversight. Only a consented, non-confidential case is ever published.

OUTCOME_STATUSES = frozenset({S.RESOLVED, S.CLOSED})
OUTCOME_REVIEWERS = frozenset({Role.LEAD, Role.ADMIN})
OutcomeState = PublicOutcome.State


def outcome_of(case: Case) -> PublicOutcome | None:
    """The case's public outcome in any state, or None (read fresh, not from a cache)."""
    return PublicOutcome.objects.filter(case_id=case.pk).first()


def _unpublishable(case, actor, now):
    if not case.consent_to_publish:
        return TransitionNotAllowed(_("The citizen did not consent to publication."))
    if case.is_confidential:
        return TransitionNotAllowed(_("The case is confidential: its outcome is never published."))
    return None


def _outcome_writable(case, actor, now):
    outcome = outcome_of(case)
    if outcome is not None and outcome.state == OutcomeState.PUBLISHED:
        return TransitionNotAllowed(
            _("The outcome is published: withdraw it before writing a new one.")
        )
    return _unpublishable(case, actor, now)


def _draft_awaits_review(case, actor, now):
    outcome = outcome_of(case)
    if outcome is None or outcome.state != OutcomeState.DRAFT:
        return TransitionNotAllowed(_("No draft outcome is awaiting approval."))
    return None


def _draft_approvable(case, actor, now):
    return _draft_awaits_review(case, actor, now) or _unpublishable(case, actor, now)


def _outcome_published(case, actor, now):
    outcome = outcome_of(case)
    if outcome is None or outcome.state != OutcomeState.PUBLISHED:
        return TransitionNotAllowed(_("No outcome of this case is published."))
    return None


def _outcome_texts(case: Case) -> dict:
    """The form starts from the outcome already written, or in the citizen's language."""
    outcome = outcome_of(case)
    if outcome is None:
        return {"language": case.language}
    return {"summary": outcome.summary, "response": outcome.response, "language": outcome.language}


def _summary(required=True):
    return Param(
        "summary",
        "text",
        _("The problem, as the public will read it"),
        required=required,
        help_text=_(
            "Names, phone numbers, e-mail addresses and ID numbers are removed automatically."
        ),
    )


def _outcome_response(required=True):
    return Param("response", "text", _("What the institution did"), required=required)


REJECTION_CHOICES = tuple(RejectionReason.choices)
SCORES = (
    (5, _("5 - Very satisfied")),
    (4, _("4 - Satisfied")),
    (3, _("3 - Neither")),
    (2, _("2 - Dissatisfied")),
    (1, _("1 - Very dissatisfied")),
)

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "acknowledge",
            frozenset({S.SUBMITTED}),
            S.ACKNOWLEDGED,
            HANDLERS,
            _("acknowledged"),
            _("acknowledge"),
            _("Acknowledge"),
            (_message(_("Message")),),
        ),
        Action(
            "request_information",
            frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}),
            S.AWAITING_CITIZEN,
            HANDLERS,
            _("put on hold for information"),
            _("request information on"),
            _("Ask the citizen for information"),
            (Param("question", "text", _("What do you need from the citizen?")),),
        ),
        Action(
            "receive_information",
            frozenset({S.AWAITING_CITIZEN}),
            S.IN_PROGRESS,
            frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN}),
            _("resumed with new information"),
            _("add information to"),
            _("Record information received"),
            (Param("information", "text", _("Information received")),),
        ),
        Action(
            "start",
            frozenset({S.ACKNOWLEDGED, S.REOPENED}),
            S.IN_PROGRESS,
            HANDLERS,
            _("started"),
            _("start work on"),
            _("Start work"),
            (_message(_("Message")),),
        ),
        Action(
            "resolve",
            frozenset({S.IN_PROGRESS}),
            S.RESOLVED,
            HANDLERS,
            _("resolved"),
            _("resolve"),
            _("Resolve with a response"),
            (Param("response", "text", _("Response the citizen will read")),),
        ),
        Action(
            "close",
            frozenset({S.RESOLVED}),
            S.CLOSED,
            frozenset({"citizen", "system", Role.AGENT, Role.LEAD, Role.ADMIN}),
            _("closed"),
            _("close"),
            _("Close the case"),
            (_message(_("Message")),),
            guard=_system_closes_after_window,
            thanks=_("Thank you. Your case is closed."),
        ),
        Action(
            "reopen",
            frozenset({S.RESOLVED}),
            S.REOPENED,
            CITIZEN_SIDE,
            _("reopened"),
            _("reopen"),
            _("Reopen"),
            (Param("reason", "text", _("Why is your case not resolved?")),),
            guard=_reopen_window_open,
            thanks=_("Your case is reopened and goes to the level above."),
        ),
        Action(
            "reject",
            frozenset({S.SUBMITTED, S.ACKNOWLEDGED}),
            S.REJECTED,
            HANDLERS,
            _("rejected"),
            _("reject"),
            _("Reject"),
            (
                Param(
                    "reason",
                    "choice",
                    _("Reason"),
                    choices=REJECTION_CHOICES,
                    missing=_("Choose why the case is rejected."),
                ),
                Param(
                    "duplicate_of",
                    "case",
                    _("Reference of the case it duplicates"),
                    required=False,
                ),
                Param("explanation", "text", _("Explanation for the citizen")),
            ),
        ),
        Action(
            "refer",
            OPEN_ACTIVE,
            S.SUBMITTED,
            HANDLERS,
            _("referred"),
            _("refer"),
            _("Refer to another institution"),
            (
                Param(
                    "to",
                    "institution",
                    _("Refer to"),
                    missing=_("Choose the institution that should handle this case."),
                ),
                Param("reason", "text", _("Why it belongs there")),
            ),
        ),
        Action(
            "escalate",
            OPEN_ACTIVE,
            None,
            frozenset({"system", Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
            _("escalated"),
            _("escalate"),
            _("Escalate to the level above"),
            (Param("reason", "text", _("Why it is escalated")),),
            guard=_can_climb,
        ),
        Action(
            "assign",
            OPEN_ACTIVE | {S.AWAITING_CITIZEN},
            None,
            frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
            _("assigned"),
            _("assign"),
            _("Assign to an officer"),
            (
                Param(
                    "officer",
                    "officer",
                    _("Officer"),
                    missing=_("Assign the case to an officer who works on it."),
                ),
            ),
        ),
        Action(
            "interim_reply",
            frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}),
            None,
            HANDLERS,
            _("given an interim reply"),
            _("send an interim reply on"),
            _("Interim reply: the deadline will be missed"),
            (
                Param(
                    "expected_by",
                    "date",
                    _("Answer expected by"),
                    missing=_("Give the date by which the citizen can expect an answer."),
                ),
                Param("message", "text", _("Why more time is needed")),
            ),
            guard=_before_deadline,
        ),
        Action(
            "appeal",
            frozenset({S.CLOSED, S.REJECTED}),
            S.APPEALED,
            CITIZEN_SIDE,
            _("appealed"),
            _("appeal"),
            _("Appeal to the level above"),
            (
                Param(
                    "reason",
                    "text",
                    _("Why do you appeal against the outcome?"),
                    help_text=_(
                        "The level above the institution that answered you will review the case."
                    ),
                ),
            ),
            guard=_appeal_open,
            thanks=_("Your appeal was received by the level above."),
        ),
        # Heard by the level above: its leaders decide, not the staff whose answer is appealed.
        Action(
            "uphold_appeal",
            frozenset({S.APPEALED}),
            S.IN_PROGRESS,
            frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
            _("upheld on appeal"),
            _("uphold the appeal on"),
            _("Uphold the appeal: reopen the case at this level"),
            (Param("response", "text", _("Reasons for the decision")),),
            scope=appeal_institution,
        ),
        Action(
            "dismiss_appeal",
            frozenset({S.APPEALED}),
            S.CLOSED,
            frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
            _("dismissed on appeal"),
            _("dismiss the appeal on"),
            _("Dismiss the appeal: the outcome stands"),
            (Param("response", "text", _("Reasons for the decision")),),
            scope=appeal_institution,
        ),
        # An appeal left undecided past its deadline climbs like a case does.
        Action(
            "escalate_appeal",
            frozenset({S.APPEALED}),
            None,
            frozenset({"system", Role.OVERSIGHT, Role.ADMIN}),
            _("escalated on appeal"),
            _("escalate the appeal on"),
            _("Escalate the appeal to the level above"),
            (Param("reason", "text", _("Why it is escalated")),),
            scope=appeal_institution,
            guard=_appeal_can_climb,
        ),
        # Messages and marks that leave the status as it is.
        Action(
            "reply",
            ALL_STATUSES - {S.REJECTED},
            None,
            HANDLERS,
            _("written to"),
            _("write on"),
            _("Write to the citizen"),
            (
                Param("body", "text", _("Message")),
                Param(
                    "internal",
                    "flag",
                    _("Internal note (not shown to the citizen)"),
                    required=False,
                ),
            ),
        ),
        Action(
            "add_information",
            ALL_STATUSES - {S.CLOSED, S.REJECTED},
            None,
            CITIZEN_SIDE,
            _("added to"),
            _("add information to"),
            _("Add information"),
            (Param("body", "text", _("Add information")),),
            thanks=_("Thank you. Your information was added to the case."),
        ),
        Action(
            "rate",
            frozenset({S.RESOLVED, S.CLOSED}),
            None,
            CITIZEN_SIDE,
            _("rated"),
            _("rate"),
            _("Rate the outcome"),
            (
                Param(
                    "score",
                    "score",
                    _("How satisfied are you with the outcome?"),
                    choices=SCORES,
                    missing=_("Choose how satisfied you are."),
                ),
                Param("comment", "text", _("Comment (optional)"), required=False),
            ),
            thanks=_("Thank you for rating the outcome."),
        ),
        Action(
            "set_confidential",
            ALL_STATUSES,
            None,
            HANDLERS,
            _("marked confidential"),
            _("mark confidential"),
            _("Confidential: never publish or export beyond this institution"),
            (
                Param("confidential", "flag", _("Confidential"), required=False),
                Param("reason", "text", _("Why")),
            ),
        ),
        Action(
            "write_outcome",
            OUTCOME_STATUSES,
            None,
            HANDLERS,
            _("given a public outcome"),
            _("write the public outcome of"),
            _("Write the public outcome"),
            (
                _summary(),
                _outcome_response(),
                Param(
                    "language",
                    "choice",
                    _("Language of the outcome"),
                    choices=tuple(settings.LANGUAGES),
                    missing=_("Choose the language the outcome is written in."),
                ),
            ),
            guard=_outcome_writable,
            initial=_outcome_texts,
        ),
        Action(
            "approve_outcome",
            OUTCOME_STATUSES,
            None,
            OUTCOME_REVIEWERS,
            _("given a published outcome"),
            _("approve the public outcome of"),
            _("Approve and publish the outcome"),
            (_summary(required=False), _outcome_response(required=False)),
            guard=_draft_approvable,
            initial=_outcome_texts,
        ),
        # A draft may wait on a case that was reopened since; it can be sent back all the same.
        Action(
            "send_back_outcome",
            ALL_STATUSES,
            None,
            OUTCOME_REVIEWERS,
            _("given back its draft outcome"),
            _("send back the public outcome of"),
            _("Send the outcome back to the officer"),
            (Param("note", "text", _("What should the officer change?")),),
            guard=_draft_awaits_review,
        ),
        Action(
            "withdraw_outcome",
            ALL_STATUSES,
            None,
            frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
            _("taken off the public site"),
            _("withdraw the public outcome of"),
            _("Withdraw the published outcome"),
            (Param("reason", "text", _("Why is it withdrawn?")),),
            guard=_outcome_published,
        ),
    ]
}


def _not_permitted(action: Action) -> ActionNotPermitted:
    return ActionNotPermitted(_("Your role may not %(action)s a case.") % {"action": action.verb})


def _may_act_on(actor: Actor, case: Case, action: Action) -> bool:
    """Whether this actor may touch this case at all (the role is checked before)."""
    role = actor.role
    if role in UNSCOPED:
        return True
    if role == "citizen":
        return actor.is_bound_to(case)
    if role == Role.AGENT:
        # An agent acts for the citizens they served, or for one who gave them the PIN.
        return actor.is_bound_to(case) or (
            case.submitted_by_id is not None and case.submitted_by_id == actor.user.pk
        )
    return covers(actor.user, action.scope(case))


def refusal(name: str, case: Case, actor: Actor, now: datetime | None = None):
    """Why this actor may not take this action on this case now (None: they may)."""
    action = ACTIONS[name]
    if case.status not in action.sources:
        return TransitionNotAllowed(
            _("A case that is “%(status)s” cannot be %(action)s.")
            % {"status": case.get_status_display(), "action": action.label}
        )
    if actor.role not in action.roles:
        return _not_permitted(action)
    if not _may_act_on(actor, case, action):
        if actor.role in ("citizen", Role.AGENT):
            return ActionNotPermitted(_("Give this case's PIN first."))
        return ActionNotPermitted(_("This case is handled by an institution outside your view."))
    if action.guard is not None:
        return action.guard(case, actor, now or timezone.now())
    return None


def allowed_actions(case: Case, actor: Actor, now: datetime | None = None) -> list[str]:
    """The actions this actor could take on this case now (for buttons and menus)."""
    now = now or timezone.now()
    return [name for name in ACTIONS if refusal(name, case, actor, now) is None]
