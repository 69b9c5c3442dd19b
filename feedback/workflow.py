"""The case workflow: the only code that changes a case's status.

Each transition is one function. It locks the case, checks that the move is allowed from
the current status and that the actor may make it, records who did it, when and why (a
CaseEvent and a chained history row), recomputes the deadlines and queues the
notifications, all in one transaction: an illegal move raises and changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from feedback import notifications, references, sla
from feedback.access import covers, role_of
from feedback.models import (
    Appeal,
    Case,
    CaseEvent,
    Channel,
    Contact,
    Institution,
    NotifyBy,
    RejectionReason,
    Role,
    Service,
    Status,
)

S = Status


class WorkflowError(Exception):
    """A transition that cannot happen; `code` for adapters, `message` for people."""

    code = "workflow_error"

    def __init__(self, message, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class TransitionNotAllowed(WorkflowError):
    code = "transition_not_allowed"


class ActionNotPermitted(WorkflowError):
    code = "not_permitted"


class MissingInformation(WorkflowError):
    code = "missing_information"


@dataclass(frozen=True)
class Actor:
    """Who acts: a citizen (proved by reference and PIN), the system, or a staff user.

    `case_id` binds an actor to the one case it proved itself for (a citizen who gave the
    PIN, or an agent acting on the citizen's PIN); the workflow refuses a citizen action on
    any other case. Build bound actors with `citizen_of`, only after a proof
    (feedback.citizens).
    """

    kind: str
    user: object = None
    case_id: int | None = None

    @property
    def role(self) -> str | None:
        if self.kind != "staff":
            return self.kind
        return role_of(self.user)


CITIZEN = Actor("citizen")
SYSTEM = Actor("system")


def citizen_of(case: Case, *, agent=None) -> Actor:
    """The citizen of this case (or an agent acting on their PIN), bound to it alone."""
    if agent is not None:
        return Actor("staff", agent, case_id=case.pk)
    return Actor("citizen", case_id=case.pk)


def staff(user) -> Actor:
    return Actor("staff", user)


def _own_institution(case: Case) -> Institution:
    return case.institution


def _appeal_institution(case: Case) -> Institution:
    return case.appeal.institution


@dataclass(frozen=True)
class Rule:
    """Where a transition may start, where it leads (None: status unchanged), who may make it,
    and whose part of the tree a scoped actor must cover."""

    sources: frozenset
    target: str | None
    roles: frozenset = field(default_factory=frozenset)
    scope: Callable[[Case], Institution] = _own_institution


HANDLERS = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
OPEN_ACTIVE = frozenset({S.SUBMITTED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})

RULES: dict[str, Rule] = {
    "acknowledge": Rule(frozenset({S.SUBMITTED}), S.ACKNOWLEDGED, HANDLERS),
    "request_information": Rule(
        frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}), S.AWAITING_CITIZEN, HANDLERS
    ),
    "receive_information": Rule(
        frozenset({S.AWAITING_CITIZEN}),
        S.IN_PROGRESS,
        frozenset({"citizen", Role.AGENT, Role.OFFICER, Role.LEAD, Role.ADMIN}),
    ),
    "start": Rule(frozenset({S.ACKNOWLEDGED, S.REOPENED}), S.IN_PROGRESS, HANDLERS),
    "resolve": Rule(frozenset({S.IN_PROGRESS}), S.RESOLVED, HANDLERS),
    "close": Rule(
        frozenset({S.RESOLVED}), S.CLOSED, frozenset({"citizen", "system", Role.LEAD, Role.ADMIN})
    ),
    "reopen": Rule(
        frozenset({S.RESOLVED}), S.REOPENED, frozenset({"citizen", Role.AGENT, Role.ADMIN})
    ),
    "reject": Rule(frozenset({S.SUBMITTED, S.ACKNOWLEDGED}), S.REJECTED, HANDLERS),
    "refer": Rule(OPEN_ACTIVE, S.SUBMITTED, HANDLERS),
    "escalate": Rule(
        OPEN_ACTIVE, None, frozenset({"system", Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
    ),
    "assign": Rule(
        OPEN_ACTIVE | {S.AWAITING_CITIZEN}, None, frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN})
    ),
    "interim_reply": Rule(frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}), None, HANDLERS),
    "appeal": Rule(
        frozenset({S.CLOSED, S.REJECTED}),
        S.APPEALED,
        frozenset({"citizen", Role.AGENT, Role.ADMIN}),
    ),
    # Heard by the level above: its leaders decide, not the staff whose answer is appealed.
    "decide_appeal": Rule(
        frozenset({S.APPEALED}),
        None,
        frozenset({Role.LEAD, Role.OVERSIGHT, Role.ADMIN}),
        scope=_appeal_institution,
    ),
    # An appeal left undecided past its deadline climbs like a case does.
    "escalate_appeal": Rule(
        frozenset({S.APPEALED}),
        None,
        frozenset({"system", Role.OVERSIGHT, Role.ADMIN}),
        scope=_appeal_institution,
    ),
}

# Roles that act for any case; the others only within their part of the institution tree.
UNSCOPED = frozenset({"citizen", "system", Role.ADMIN, Role.AGENT})


def allowed_actions(case: Case, actor: Actor) -> list[str]:
    """The transitions this actor could make on this case now (for buttons and menus)."""
    return [name for name in RULES if _refusal(name, case, actor) is None]


def _refusal(action: str, case: Case, actor: Actor) -> WorkflowError | None:
    rule = RULES[action]
    if case.status not in rule.sources:
        return TransitionNotAllowed(
            _("A case that is “%(status)s” cannot be %(action)s.")
            % {"status": case.get_status_display(), "action": ACTION_LABELS[action]}
        )
    role = actor.role
    if role not in rule.roles:
        return ActionNotPermitted(
            _("Your role may not %(action)s a case.") % {"action": ACTION_VERBS[action]}
        )
    if role not in UNSCOPED and not covers(actor.user, rule.scope(case)):
        return ActionNotPermitted(_("This case belongs to an institution outside your view."))
    return None


ACTION_LABELS = {
    "acknowledge": _("acknowledged"),
    "request_information": _("put on hold for information"),
    "receive_information": _("resumed with new information"),
    "start": _("started"),
    "resolve": _("resolved"),
    "close": _("closed"),
    "reopen": _("reopened"),
    "reject": _("rejected"),
    "refer": _("referred"),
    "escalate": _("escalated"),
    "assign": _("assigned"),
    "interim_reply": _("given an interim reply"),
    "appeal": _("appealed"),
    "decide_appeal": _("decided on appeal"),
    "escalate_appeal": _("have its appeal escalated"),
}
ACTION_VERBS = {
    "acknowledge": _("acknowledge"),
    "request_information": _("request information on"),
    "receive_information": _("add information to"),
    "start": _("start work on"),
    "resolve": _("resolve"),
    "close": _("close"),
    "reopen": _("reopen"),
    "reject": _("reject"),
    "refer": _("refer"),
    "escalate": _("escalate"),
    "assign": _("assign"),
    "interim_reply": _("send an interim reply on"),
    "appeal": _("appeal"),
    "decide_appeal": _("decide the appeal on"),
    "escalate_appeal": _("escalate the appeal on"),
}


def _require(value, message):
    if not (value.strip() if isinstance(value, str) else value):
        raise MissingInformation(message)


def charter_days(case: Case) -> tuple[int, int, int]:
    """(acknowledge, resolve, reopen window) in working days for this case's service and kind."""
    defaults = settings.DEFAULT_CHARTER_DAYS
    if case.service is None:
        return defaults["acknowledge"], defaults["resolve"], defaults["reopen_window"]
    acknowledge, resolve = case.service.charter_for(case.kind)
    return acknowledge, resolve, case.service.reopen_window_days


def _country() -> str:
    return sla.default_country()


def _set_fresh_deadlines(case: Case, now: datetime) -> None:
    acknowledge, resolve, _window = charter_days(case)
    case.expected_by = None
    case.acknowledge_due = sla.add_working_days(now, acknowledge, _country())
    case.resolve_due = sla.add_working_days(now, resolve, _country())


def _record(case, action, actor, *, before, body="", public=True, event_type=None, now):
    user = actor.user if actor.kind == "staff" else None
    case._history_user = user
    case._change_reason = f"{action}: {body}" if body else action
    case.save()
    return CaseEvent.objects.create(
        case=case,
        type=event_type or CaseEvent.Type.TRANSITION,
        action=action,
        from_status=before,
        to_status=case.status,
        actor=user,
        actor_kind=CaseEvent.ActorKind.STAFF if user else actor.kind,
        body=body,
        is_public=public,
        created_at=now,
    )


def _transition(action: str, case: Case, actor: Actor, now: datetime | None, change, **record):
    """Lock, check, change, record: the frame every transition shares."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("service").get(pk=case.pk)
        )
        refusal = _refusal(action, locked, actor)
        if refusal is not None:
            raise refusal
        before = locked.status
        if RULES[action].target is not None:
            locked.status = RULES[action].target
        change(locked, now)
        event = _record(locked, action, actor, before=before, now=now, **record)
        notifications.case_changed(locked, action, event)
    return locked


def acknowledge(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    def change(c, now):
        c.acknowledged_at = now

    return _transition("acknowledge", case, by, now, change, body=message)


def request_information(case: Case, *, by: Actor, question: str, now=None) -> Case:
    _require(question, _("Say what information you need from the citizen."))

    def change(c, now):
        c.paused_at = now

    return _transition("request_information", case, by, now, change, body=question)


def receive_information(case: Case, *, by: Actor, information: str, now=None) -> Case:
    """The citizen answered: the clock restarts and the deadline moves by the paused days."""
    _require(information, _("Write the information you are adding."))

    def change(c, now):
        if c.paused_at is not None and c.resolve_due is not None:
            c.resolve_due = sla.extend_for_pause(c.resolve_due, c.paused_at, now, _country())
        c.paused_at = None

    event_type = CaseEvent.Type.CITIZEN_MESSAGE if by.kind == "citizen" else None
    return _transition(
        "receive_information", case, by, now, change, body=information, event_type=event_type
    )


def start(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    return _transition("start", case, by, now, lambda c, now: None, body=message)


def resolve(case: Case, *, by: Actor, response: str, now=None) -> Case:
    _require(response, _("Write the response the citizen will read."))

    def change(c, now):
        _a, _r, window = charter_days(c)
        c.resolved_at = now
        c.reopen_until = sla.add_working_days(now, window, _country())

    return _transition("resolve", case, by, now, change, body=response)


def close(case: Case, *, by: Actor, message: str = "", now=None) -> Case:
    """The citizen confirms, or the system closes once the reopening window has passed."""

    def change(c, now):
        if by.kind == "system" and c.reopen_until and now <= c.reopen_until:
            raise TransitionNotAllowed(_("The citizen may still reopen this case."))
        c.closed_at = now
        c.reopen_until = None

    return _transition("close", case, by, now, change, body=message)


def reopen(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Unhappy with the answer: back to work, one level higher, with a fresh deadline."""
    _require(reason, _("Say why the answer did not resolve your case."))

    def change(c, now):
        if c.reopen_until is not None and now > c.reopen_until:
            raise TransitionNotAllowed(
                _("The time to reopen this case has passed; you may appeal instead.")
            )
        c.reopen_count += 1
        c.reopen_until = None
        c.resolved_at = None
        _escalate_one_level(c, required=False)
        c.expected_by = None
        _a, resolve_days, _w = charter_days(c)
        c.resolve_due = sla.add_working_days(now, resolve_days, _country())

    return _transition("reopen", case, by, now, change, body=reason)


def reject(
    case: Case,
    *,
    by: Actor,
    reason: str,
    explanation: str,
    duplicate_of: Case | None = None,
    now=None,
) -> Case:
    if reason not in RejectionReason.values:
        raise MissingInformation(_("Choose why the case is rejected."))
    _require(explanation, _("Explain the rejection to the citizen."))
    if reason == RejectionReason.DUPLICATE and (duplicate_of is None or duplicate_of.pk == case.pk):
        raise MissingInformation(_("Name the case this one duplicates."))

    def change(c, now):
        c.rejection_reason = reason
        c.duplicate_of = duplicate_of if reason == RejectionReason.DUPLICATE else None
        c.closed_at = now

    return _transition("reject", case, by, now, change, body=explanation)


def refer(case: Case, *, by: Actor, to: Institution | None, reason: str, now=None) -> Case:
    """Hand the case to another institution, which starts from "submitted" with fresh deadlines."""
    if to is None:
        raise MissingInformation(_("Choose the institution that should handle this case."))
    _require(reason, _("Say why the case belongs to that institution."))
    if to.pk == case.institution_id:
        raise MissingInformation(_("The case is already with that institution."))
    if not to.is_active:
        raise MissingInformation(_("That institution no longer takes cases."))

    def change(c, now):
        c.institution = to
        if c.service is not None and not c.service.institution.path.startswith(to.path):
            c.service = None
        c.referral_count += 1
        c.assigned_to = None
        c.escalation_level = 0
        c.escalated_to = None
        c.acknowledged_at = None
        c.paused_at = None
        _set_fresh_deadlines(c, now)

    body = f"{to.name}: {reason}"
    return _transition("refer", case, by, now, change, body=body)


def _escalate_one_level(case: Case, *, required: bool = True) -> None:
    current = case.escalated_to or case.institution
    parent = current.get_parent()
    if parent is None:
        if not required:
            return  # already at the top: a reopened case stays with the top level
        raise TransitionNotAllowed(_("The case is already at the top of the institution tree."))
    case.escalated_to = parent
    case.escalation_level += 1


def escalate(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Move responsibility one level up the tree; that level gets a full charter period."""
    _require(reason, _("Say why the case is escalated."))

    def change(c, now):
        _escalate_one_level(c)
        c.expected_by = None
        acknowledge_days, resolve_days, _w = charter_days(c)
        if c.status == S.SUBMITTED:
            c.acknowledge_due = sla.add_working_days(now, acknowledge_days, _country())
        c.resolve_due = sla.add_working_days(now, resolve_days, _country())

    return _transition("escalate", case, by, now, change, body=reason, public=True)


def assign(case: Case, *, by: Actor, officer, now=None) -> Case:
    role = role_of(officer)
    if role not in (Role.OFFICER, Role.LEAD) or not covers(officer, case.institution):
        raise MissingInformation(_("Assign the case to an officer who works on it."))

    def change(c, now):
        c.assigned_to = officer

    return _transition(
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
    _require(message, _("Explain to the citizen why more time is needed."))
    if expected_by is None:
        raise MissingInformation(_("Give the date by which the citizen can expect an answer."))

    def change(c, now):
        if c.resolve_due is not None and now > c.resolve_due:
            raise TransitionNotAllowed(
                _("The deadline has already passed: an interim reply must come before it.")
            )
        promised = sla.end_of_day(expected_by)
        if c.resolve_due is not None and promised <= c.resolve_due:
            raise MissingInformation(
                _("The charter deadline is already on or after that date: no interim reply needed.")
            )
        c.expected_by = promised
        c.interim_reply_count += 1

    return _transition("interim_reply", case, by, now, change, body=message)


def appeal_deadline(case: Case) -> datetime | None:
    """The last moment a closed or rejected case may be appealed (None while it is open)."""
    if case.closed_at is None:
        return None
    return sla.add_working_days(case.closed_at, settings.APPEAL_WINDOW_DAYS, _country())


def appeal(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """Not satisfied after closure: the level above the one that answered hears the appeal."""
    _require(reason, _("Say why you appeal against the outcome."))

    def change(c, now):
        if Appeal.objects.filter(case=c).exists():
            raise TransitionNotAllowed(_("This case has already been appealed."))
        if now > appeal_deadline(c):
            raise TransitionNotAllowed(_("The time to appeal against this outcome has passed."))
        handling = c.escalated_to or c.institution
        _a, resolve_days, _w = charter_days(c)
        Appeal.objects.create(
            case=c,
            institution=handling.get_parent() or handling,
            reason=reason.strip(),
            lodged_at=now,
            due=sla.add_working_days(now, resolve_days, _country()),
        )
        c.closed_at = None

    return _transition("appeal", case, by, now, change, body=reason)


def decide_appeal(case: Case, *, by: Actor, decision: str, response: str, now=None) -> Case:
    """Uphold (the case reopens at the appeal level) or dismiss (the outcome stands)."""
    if decision not in Appeal.Decision.values:
        raise MissingInformation(_("Choose whether the appeal is upheld or dismissed."))
    _require(response, _("Give the reasons for the decision."))

    def change(c, now):
        hearing = c.appeal  # read under the case's row lock, so no one else decides it
        hearing.decision = decision
        hearing.decided_at = now
        hearing.decided_by = by.user if by.kind == "staff" else None
        hearing.response = response.strip()
        hearing._history_user = hearing.decided_by
        hearing.save()
        if decision == Appeal.Decision.UPHELD:
            c.status = S.IN_PROGRESS
            if hearing.institution != (c.escalated_to or c.institution):
                c.escalated_to = hearing.institution
                c.escalation_level += 1
            _a, resolve_days, _w = charter_days(c)
            c.resolve_due = sla.add_working_days(now, resolve_days, _country())
            c.expected_by = None
        else:
            c.status = S.CLOSED
            c.closed_at = now

    return _transition("decide_appeal", case, by, now, change, body=response)


def escalate_appeal(case: Case, *, by: Actor, reason: str, now=None) -> Case:
    """The appeal moves to the level above the one that let its deadline pass."""
    _require(reason, _("Say why the appeal is escalated."))

    def change(c, now):
        hearing = c.appeal
        parent = hearing.institution.get_parent()
        if parent is None:
            raise TransitionNotAllowed(_("The appeal is already at the top of the tree."))
        _a, resolve_days, _w = charter_days(c)
        hearing.institution = parent
        hearing.due = sla.add_working_days(now, resolve_days, _country())
        hearing._history_user = by.user if by.kind == "staff" else None
        hearing._change_reason = f"escalate_appeal: {reason}"
        hearing.save()

    return _transition("escalate_appeal", case, by, now, change, body=reason)


# Submission, messages and rating: they create or annotate a case without changing its status.


@dataclass(frozen=True)
class ContactDetails:
    name: str = ""
    phone: str = ""
    email: str = ""
    notify_by: str = NotifyBy.NONE


@dataclass(frozen=True)
class Submission:
    """A submitted case and its PIN; `pin` is None when a retry found the first case."""

    case: Case
    pin: str | None
    created: bool = True


def pin_digest(reference: str, pin: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone cannot be searched for PINs.
    return salted_hmac("feedback.case.pin", f"{reference}:{pin}").hexdigest()


def check_pin(case: Case, pin: str) -> bool:
    return constant_time_compare(case.pin_digest, pin_digest(case.reference, pin.strip()))


def submit(
    *,
    kind: str,
    institution: Institution,
    subject: str,
    description: str,
    channel: str = Channel.WEB,
    service: Service | None = None,
    area: Institution | None = None,
    location: str = "",
    language: str = "en",
    contact: ContactDetails | None = None,
    consent_to_publish: bool = False,
    by: Actor = CITIZEN,
    attachments=(),
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Submission:
    """Register new feedback with a fresh reference and PIN; notify the citizen if reachable.

    With an `idempotency_key`, a second submission with the same key on the same channel
    (a double click, a client's retry) makes no new case: it returns the first one, without
    its PIN, which was given once.
    """
    _require(subject, _("Give your feedback a short title."))
    _require(description, _("Describe what happened."))
    if by.kind == "staff" and by.role not in (Role.AGENT, Role.ADMIN, Role.OFFICER, Role.LEAD):
        raise ActionNotPermitted(_("Your role may not submit feedback for a citizen."))
    if service is not None and not service.institution.path.startswith(institution.path):
        raise MissingInformation(_("That service is not offered by that institution."))
    now = now or timezone.now()
    if idempotency_key:
        first = _first_with_key(None, channel=channel, key=idempotency_key)
        if first is not None:
            return Submission(case=first, pin=None, created=False)
    try:
        return _submit_new(
            kind=kind,
            institution=institution,
            subject=subject,
            description=description,
            channel=channel,
            service=service,
            area=area,
            location=location,
            language=language,
            contact=contact,
            consent_to_publish=consent_to_publish,
            by=by,
            attachments=attachments,
            idempotency_key=idempotency_key,
            now=now,
        )
    except _AlreadySubmitted:
        first = _first_with_key(None, channel=channel, key=idempotency_key)
        return Submission(case=first, pin=None, created=False)


def _submit_new(
    *,
    kind,
    institution,
    subject,
    description,
    channel,
    service,
    area,
    location,
    language,
    contact,
    consent_to_publish,
    by,
    attachments,
    idempotency_key,
    now,
):
    pin = references.new_pin()
    has_contact = contact is not None and (contact.phone or contact.email or contact.name)
    with transaction.atomic():
        case = Case(
            kind=kind,
            channel=channel,
            institution=institution,
            service=service,
            area=area,
            location=location,
            subject=subject.strip(),
            description=description.strip(),
            language=language,
            is_anonymous=not has_contact,
            consent_to_publish=consent_to_publish,
            submitted_by=by.user if by.kind == "staff" else None,
            submitted_at=now,
            idempotency_key=idempotency_key or None,
        )
        _set_fresh_deadlines(case, now)
        case._history_user = case.submitted_by
        case._change_reason = "submit"
        _save_with_unique_reference(case, pin)
        if has_contact:
            Contact.objects.create(
                case=case,
                name=contact.name.strip(),
                phone=contact.phone.strip(),
                email=contact.email.strip(),
                notify_by=contact.notify_by,
            )
        event = CaseEvent.objects.create(
            case=case,
            type=CaseEvent.Type.SUBMITTED,
            action="submit",
            to_status=case.status,
            actor=case.submitted_by,
            actor_kind=CaseEvent.ActorKind.STAFF if case.submitted_by else "citizen",
            body=case.description,
            created_at=now,
        )
        for attachment in attachments:
            attachment.case = case
            attachment.event = event
            attachment.draft = None
            attachment.save()
        notifications.case_submitted(case, event)
    return Submission(case=case, pin=pin)


class _AlreadySubmitted(Exception):
    """Another request with the same idempotency key committed its case first."""


def _first_with_key(case_or_none, *, channel=None, key=None) -> Case | None:
    channel = channel or case_or_none.channel
    key = key or case_or_none.idempotency_key
    return Case.objects.filter(channel=channel, idempotency_key=key).first()


def _save_with_unique_reference(case: Case, pin: str, attempts: int = 8) -> None:
    """Random references can collide; the unique index decides, and we draw again."""
    for _attempt in range(attempts):
        case.reference = references.new_reference()
        case.pin_digest = pin_digest(case.reference, pin)
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            return
        except IntegrityError:
            if case.idempotency_key and _first_with_key(case) is not None:
                raise _AlreadySubmitted from None
            if not Case.objects.filter(reference=case.reference).exists():
                raise
            case.pk = None
    raise IntegrityError("could not draw a free reference number")


def can_add_information(case: Case) -> bool:
    return case.status not in (S.CLOSED, S.REJECTED)


def can_rate(case: Case) -> bool:
    return case.status in (S.RESOLVED, S.CLOSED)


def add_citizen_message(case: Case, *, body: str, now=None) -> CaseEvent:
    """The citizen adds information; if the case was waiting for it, work resumes."""
    _require(body, _("Write the information you are adding."))
    if case.status == S.AWAITING_CITIZEN:
        case = receive_information(case, by=CITIZEN, information=body, now=now)
        event = case.events.latest("pk")
    elif not can_add_information(case):
        raise TransitionNotAllowed(_("This case is closed; you can no longer add to it."))
    else:
        event = CaseEvent.objects.create(
            case=case,
            type=CaseEvent.Type.CITIZEN_MESSAGE,
            actor_kind=CaseEvent.ActorKind.CITIZEN,
            body=body.strip(),
            created_at=now or timezone.now(),
        )
    return event


def can_reply(case: Case, by: Actor) -> bool:
    """Staff handling the case may write on it until it is rejected."""
    return (
        by.kind == "staff"
        and by.role in HANDLERS
        and covers(by.user, case.institution)
        and case.status != S.REJECTED
    )


def reply(case: Case, *, by: Actor, body: str, internal: bool = False, now=None) -> CaseEvent:
    """A staff message to the citizen (or an internal note) that does not change the status."""
    _require(body, _("Write a message."))
    if not can_reply(case, by):
        raise ActionNotPermitted(_("Only staff handling this case may write on it."))
    event = CaseEvent.objects.create(
        case=case,
        type=CaseEvent.Type.NOTE if internal else CaseEvent.Type.STAFF_MESSAGE,
        actor=by.user,
        actor_kind=CaseEvent.ActorKind.STAFF,
        body=body.strip(),
        is_public=not internal,
        created_at=now or timezone.now(),
    )
    if not internal:
        notifications.case_changed(case, "reply", event)
    return event


def rate(case: Case, *, score: int, comment: str = "", now=None) -> Case:
    """The citizen's satisfaction with the outcome, once the case is resolved or closed."""
    if score not in range(1, 6):
        raise MissingInformation(_("Choose a rating from 1 to 5."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not can_rate(locked):
            raise TransitionNotAllowed(_("You can rate a case once it is resolved."))
        locked.satisfaction = score
        locked.satisfaction_comment = comment.strip()
        locked._change_reason = f"rate: {score}"
        locked.save()
        CaseEvent.objects.create(
            case=locked,
            type=CaseEvent.Type.RATED,
            action="rate",
            actor_kind=CaseEvent.ActorKind.CITIZEN,
            body=str(score) + (f": {comment.strip()}" if comment.strip() else ""),
            created_at=now,
        )
    return locked
