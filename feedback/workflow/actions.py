"""The one table of actions on a case: every channel, form and menu reads it.

Each `Action` says where it may start (sources), where it leads (target; None keeps the
status), who may take it (roles), whose part of the institution tree a scoped actor must
cover (scope), what else must hold at that moment (guard: time and state), how people name
it (label, verb, button) and the parameters it takes. `refusal` applies all of it, so
`allowed_actions` offers exactly what `perform` would accept.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import sla
from feedback.access import covers, handles, screens
from feedback.models import (
    OPEN_STATUSES,
    Appeal,
    Case,
    Directive,
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
    # The statuses it is taken from itself (None: all its sources). From its other sources
    # the steps that lead there are taken first, in the same transaction (`implied_steps`).
    direct_from: frozenset | None = None
    # Oversight's kind of action (directing, escalating, deciding appeals, withdrawing): an
    # oversight leader takes it on any case handled below them. Every other action is the
    # handling institution's own work, which oversight takes only on cases that climbed to
    # its own level (feedback.access.handles).
    oversees: bool = False

    @property
    def direct_sources(self) -> frozenset:
        return self.sources if self.direct_from is None else self.direct_from


HANDLERS = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
CITIZEN_SIDE = frozenset({"citizen", Role.AGENT, Role.ADMIN})
OPEN_ACTIVE = frozenset({S.SUBMITTED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})
ALL_STATUSES = frozenset(S.values)
# Every status in which someone still owes the citizen an answer or a decision.
STILL_OPEN = frozenset(OPEN_STATUSES)
# A case that may still be merged into another: being worked on, or waiting for the citizen
# (an appealed case is the level above's to decide).
MERGEABLE = OPEN_ACTIVE | {S.AWAITING_CITIZEN}

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


def open_directive(case: Case) -> Directive | None:
    """The oldest directive on the case still waiting for its answer (read fresh)."""
    return Directive.objects.open().filter(case_id=case.pk).order_by("given_at", "pk").first()


def _directive_waiting(case, actor, now):
    if open_directive(case) is None:
        return TransitionNotAllowed(_("No directive on this case is waiting for an answer."))
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


# Merging is the one way to reject a case as a duplicate (it names the surviving case).
REJECTION_CHOICES = tuple(
    (value, label) for value, label in RejectionReason.choices if value != RejectionReason.DUPLICATE
)
PUBLIC, INTERNAL = "public", "internal"
REPLY_VISIBILITY = (
    (PUBLIC, _("Public: the citizen reads it")),
    (INTERNAL, _("Internal note: only staff read it")),
)
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
            frozenset({S.SUBMITTED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}),
            S.RESOLVED,
            HANDLERS,
            _("resolved"),
            _("resolve"),
            _("Resolve with a response"),
            (Param("response", "text", _("Response the citizen will read")),),
            # From submitted, acknowledged or reopened in one step: acknowledge and start are
            # taken on the way, each recorded as its own event (implied_steps).
            direct_from=frozenset({S.IN_PROGRESS}),
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
        # "Not resolved": the citizen's answer to the message that said it was (SMS, USSD);
        # a reopening with priority (transitions.dispute).
        Action(
            "dispute",
            frozenset({S.RESOLVED}),
            S.REOPENED,
            CITIZEN_SIDE,
            _("disputed"),
            _("dispute the resolution of"),
            _("Not resolved"),
            (
                Param(
                    "reason",
                    "text",
                    _("What is still not resolved? (optional)"),
                    required=False,
                ),
            ),
            guard=_reopen_window_open,
            thanks=_("Your case is reopened with priority and goes to the level above."),
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
                Param("explanation", "text", _("Explanation for the citizen")),
            ),
        ),
        # A duplicate: rejected, pointing to the case that goes on (see transitions.merge).
        Action(
            "merge",
            MERGEABLE,
            S.REJECTED,
            frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN}),
            _("merged into another case"),
            _("merge"),
            _("Merge into another case (duplicate)"),
            (
                Param(
                    "into",
                    "case",
                    _("Reference of the case that goes on"),
                    help_text=_(
                        "A case of this institution or one below it. The citizen is told and "
                        "follows that case from now on."
                    ),
                    missing=_("Give the reference of the case this one duplicates."),
                ),
            ),
        ),
        # The screening desk: a case that is no public institution's business is closed with
        # a pointer to the body that handles it, told to the citizen in their language.
        Action(
            "close_with_pointer",
            frozenset({S.SUBMITTED, S.ACKNOWLEDGED}),
            S.REJECTED,
            frozenset({Role.SCREENER, Role.ADMIN}),
            _("closed with a pointer to the right body"),
            _("close with a pointer"),
            _("Close: point the citizen to the right body"),
            (
                Param(
                    "right_body",
                    "text",
                    _("Who handles it"),
                    help_text=_("For example: the District Land and Housing Tribunal."),
                ),
                Param("explanation", "text", _("Explanation for the citizen")),
            ),
        ),
        Action(
            "refer",
            OPEN_ACTIVE,
            S.SUBMITTED,
            HANDLERS | {Role.SCREENER},
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
            oversees=True,
        ),
        Action(
            "assign",
            OPEN_ACTIVE | {S.AWAITING_CITIZEN},
            None,
            frozenset({Role.LEAD, Role.ADMIN}),
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
            oversees=True,
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
            oversees=True,
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
            oversees=True,
        ),
        # Messages and marks that leave the status as it is.
        Action(
            "reply",
            ALL_STATUSES - {S.REJECTED},
            None,
            HANDLERS | {Role.SCREENER},
            _("written to"),
            _("write on"),
            _("Write to the citizen"),
            (
                Param("body", "text", _("Message")),
                # An explicit choice every time: no default a hurried officer could leave.
                Param(
                    "visibility",
                    "choice",
                    _("Who reads it"),
                    choices=REPLY_VISIBILITY,
                    missing=_("Choose whether the citizen reads this message or only staff do."),
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
        # A leader's instruction on a case below them, with a date for the answer; it does
        # not move the case, and an overdue one is shown, not escalated.
        Action(
            "give_directive",
            STILL_OPEN,
            None,
            frozenset({Role.OVERSIGHT, Role.ADMIN}),
            _("given a directive"),
            _("give a directive on"),
            _("Give a directive"),
            (
                Param("instruction", "text", _("Instruction to the institution")),
                Param(
                    "due",
                    "date",
                    _("Answer due by"),
                    help_text=_("A working day after today."),
                    missing=_("Give the working day by which the institution must answer."),
                ),
            ),
            oversees=True,
        ),
        Action(
            "answer_directive",
            ALL_STATUSES,
            None,
            frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN}),
            _("given an answer to its directive"),
            _("answer the directive on"),
            _("Answer the directive"),
            (Param("answer", "text", _("Answer to the leader")),),
            guard=_directive_waiting,
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
            oversees=True,
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
    if role == Role.SCREENER:
        return screens(actor.user, case)
    if action.oversees:
        return covers(actor.user, action.scope(case))
    return handles(actor.user, action.scope(case))


def _is_step(action: Action) -> bool:
    """An action that may be taken on the way to another: it moves the case and asks for
    nothing that must be given."""
    return action.target is not None and all(not param.required for param in action.params)


def implied_steps(
    name: str, case: Case, actor: Actor, now: datetime | None = None
) -> list[str] | None:
    """The shortest list of steps this actor may take, from the case's status, that leads to
    a status `name` is taken from itself ([] if it already is); None when there is none.

    Read from the table: steps are actions that move the case and need no parameter, each
    allowed to this actor at the status it is tried from."""
    action = ACTIONS[name]
    now = now or timezone.now()
    paths = {case.status: []}
    frontier = [case.status]
    while frontier:
        following = []
        for status in frontier:
            if status in action.direct_sources:
                return paths[status]
            there = copy.copy(case)
            there.status = status
            for step in ACTIONS.values():
                if step.name == name or not _is_step(step) or step.target in paths:
                    continue
                if refusal(step.name, there, actor, now) is None:
                    paths[step.target] = [*paths[status], step.name]
                    following.append(step.target)
        frontier = following
    return None


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
    if case.status not in action.direct_sources and implied_steps(name, case, actor, now) is None:
        return TransitionNotAllowed(
            _("A case that is “%(status)s” cannot be %(action)s.")
            % {"status": case.get_status_display(), "action": action.label}
        )
    if action.guard is not None:
        return action.guard(case, actor, now or timezone.now())
    return None


def allowed_actions(case: Case, actor: Actor, now: datetime | None = None) -> list[str]:
    """The actions this actor could take on this case now (for buttons and menus)."""
    now = now or timezone.now()
    return [name for name in ACTIONS if refusal(name, case, actor, now) is None]
