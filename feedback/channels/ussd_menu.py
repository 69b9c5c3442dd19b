"""The USSD menu as a pure state machine: the whole text the gateway sends ("1*2*..."), read
from the first screen on, gives the screen to show. Nothing here knows HTTP; the registry it
reads and writes through is passed in (`Registry` below for the real one, a fake in tests).

Why the text alone decides: Africa's Talking sends every input of the session each time, so
replaying a text gives the same screen, "0" (back) is resolved by dropping inputs, and an
expired session is just a fresh start. Only a screen's last input may change anything, and
every input that changes something (send, confirm, dispute, add) ends the session.

Decisions a reader should know:
- A gateway retry of the confirming input finds the session's case (idempotency key
  "ussd:<sessionId>") and shows its reference again, saying the PIN was shown once: the PIN
  is kept nowhere, so it cannot be shown twice.
- A typed "*" cannot be told from the gateway's separator. A description "a*b" arrives as
  "a", then "b" on the confirm screen, which repeats itself with "Choose 1-2." and shows what
  was kept ("a"): the citizen sees the cut and may go back (0) to retype. The free-text
  screens say "no * sign" for that reason.
- Free text is whitespace-collapsed and cut at DESCRIPTION_MAX; "0" and "00" on a free-text
  screen mean back and more, as everywhere.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from feedback import citizens, limits, references, tracking, workflow
from feedback.channels.phones import phone_digest
from feedback.models import Case, Channel, Institution, NotifyBy, PhonePreference, Service

SCREEN_LIMIT = 182  # characters Africa's Talking shows on one USSD screen
PAGE_SIZE = 4
NAME_LIMIT = 24  # an institution's or service's name in a list
DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 300  # a USSD input is short anyway; a longer one is cut, not refused
BACK, MORE = "0", "00"
MAX_INPUTS = 60  # far more than any path through the menu takes, with its backs and pages
LANGUAGES = {"1": "en", "2": "sw"}
KINDS = ("complaint", "suggestion", "inquiry", "compliment")


# --- What the menu reads and changes: plain data and a small protocol --------------------


class Refused(Exception):
    """The registry refuses (unknown case, wrong PIN, too many tries...): `message`, already
    in the session's language, ends the session."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Choice:
    key: int  # the institution's or service's id
    name: str


@dataclass(frozen=True)
class CaseView:
    """What a screen may say of a case. Without the PIN, only status and dates."""

    reference: str
    status: str  # feedback.models.Status value
    status_label: str
    submitted_at: datetime
    resolve_due: datetime | None = None
    resolved_at: datetime | None = None
    last_answer: str | None = None  # only after the PIN
    allowed: frozenset = frozenset()  # workflow actions the proved citizen may take
    proof: object = None  # the registry's own handle on the proved citizen


@dataclass(frozen=True)
class Sent:
    reference: str
    pin: str | None  # None: a retry found the session's case, whose PIN was shown once


class RegistryPort(Protocol):
    def remember_language(self, language: str) -> None: ...
    def institution_by_code(self, code: str) -> Choice | None: ...
    def institutions(self) -> list[Choice]: ...
    def services(self, institution: int) -> list[Choice]: ...
    def submit(self, *, kind: str, institution: int | None, service: int | None,
               description: str, language: str) -> Sent: ...  # fmt: skip
    def look_up(self, reference: str) -> CaseView | None: ...
    def prove(self, reference: str, pin: str) -> CaseView: ...
    def perform(self, case: CaseView, action: str, **params) -> str: ...


# --- The machine ------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    node: str
    language: str
    data: dict = field(default_factory=dict)
    page: int = 0
    hint: str = ""

    def to(self, node: str, **data) -> "State":
        return State(node, self.language, {**self.data, **data})


@dataclass(frozen=True)
class Reply:
    kind: str  # "CON" (the menu goes on) or "END" (the session is over)
    text: str

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


class _Invalid(Exception):
    def __init__(self, hint: str) -> None:
        self.hint = hint


class _End(Exception):
    def __init__(self, text: str) -> None:
        self.text = text


def respond(text: str, *, language: str | None, registry: RegistryPort) -> Reply:
    """The reply to a session whose inputs so far are `text` ("" at the start). `language` is
    the phone's remembered language when the session began (None: ask it first)."""
    state = State("language", "en") if language is None else State("main", language)
    history: list[State] = []
    inputs = text.split("*") if text else []
    if len(inputs) > MAX_INPUTS:
        with translation.override(language or "en"):
            return Reply("END", _("This session is too long. Please dial again."))
    for raw in inputs:
        value = raw.strip()
        with translation.override(state.language):
            try:
                if value == BACK and history:
                    state = history.pop()
                    continue
                if value == MORE and _has_more(state, registry):
                    history.append(replace(state, hint=""))
                    state = replace(state, page=state.page + 1, hint="")
                    continue
                following = _handle(state, value, registry)
            except _Invalid as invalid:
                state = replace(state, hint=invalid.hint)
                continue
            except _End as end:
                return Reply("END", fit(end.text))
            except Refused as refused:
                return Reply("END", fit(refused.message))
        history.append(replace(state, hint=""))
        state = following
    with translation.override(state.language):
        return Reply("CON", fit(_render(state, registry)))


def fit(text: str) -> str:
    """A screen within SCREEN_LIMIT characters. Screens are written to fit; this only cuts
    what the registry wrote (a long answer, a long name) and marks the cut."""
    text = text.strip()
    if len(text) <= SCREEN_LIMIT:
        return text
    return text[: SCREEN_LIMIT - 3].rstrip() + "..."


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 2].rstrip() + ".."


# --- Screens ----------------------------------------------------------------------------


def _kind_label(kind: str) -> str:
    return {
        "complaint": _("Complaint"),
        "suggestion": _("Suggestion"),
        "inquiry": _("Inquiry"),
        "compliment": _("Compliment"),
    }[kind]


def _numbered(lines) -> str:
    return "\n".join(f"{number} {line}" for number, line in enumerate(lines, start=1))


def _render(state: State, registry: RegistryPort) -> str:
    screen = _SCREENS[state.node](state, registry)
    return f"{state.hint}\n{screen}" if state.hint else screen


def _language_screen(state, registry) -> str:
    # In both languages: the citizen has not chosen one yet.
    return "Choose language / Chagua lugha\n1 English\n2 Kiswahili"


def _main_screen(state, registry) -> str:
    return "Mrejesho\n" + _numbered(
        [
            _("Give feedback"),
            _("Track a case"),
            _("Last answer on my case"),
            _("Confirm or dispute a resolution"),
            _("Add information"),
            _("Language"),
        ]
    )


def _kind_screen(state, registry) -> str:
    return _("What do you want to give?") + "\n" + _numbered(_kind_label(k) for k in KINDS)


def _institution_how_screen(state, registry) -> str:
    return (
        _("Which institution is it for?")
        + "\n"
        + _numbered([_("Type its code"), _("Choose from a list"), _("I do not know")])
    )


def _institution_code_screen(state, registry) -> str:
    return _("Type the institution's code (digits):") + "\n" + _("0 back")


def _page(items: list, page: int) -> tuple[list, bool]:
    start = page * PAGE_SIZE
    return items[start : start + PAGE_SIZE], len(items) > start + PAGE_SIZE


def _paged(title: str, items: list[str], page: int, first_number: int = 1) -> str:
    """A page of a numbered list; numbers run on across pages, so "6" means the same thing
    on every page."""
    shown, more = _page(items, page)
    start = first_number + page * PAGE_SIZE
    lines = [f"{start + i} {_short(name, NAME_LIMIT)}" for i, name in enumerate(shown)]
    footer = _("0 back, 00 more") if more else _("0 back")
    return "\n".join([title, *lines, footer])


def _institution_list_screen(state, registry) -> str:
    names = [choice.name for choice in registry.institutions()]
    return _paged(_("Choose the institution:"), names, state.page)


def _services_of(state, registry) -> list[Choice]:
    return registry.services(state.data["institution"])


def _service_screen(state, registry) -> str:
    names = [choice.name for choice in _services_of(state, registry)]
    # "1 Skip" stays on every page; the services are numbered from 2.
    title = _("Which service?") + "\n1 " + _("Skip (not sure)")
    return _paged(title, names, state.page, first_number=2)


def _description_screen(state, registry) -> str:
    return _("Describe it in a few words (no * sign):")


def _confirm_screen(state, registry) -> str:
    # Names and words cut so that the choices below always fit on the screen.
    where = _short(state.data.get("institution_name") or _("the registry"), 40)
    return (
        _("Send %(kind)s to %(place)s:") % {"kind": _kind_label(state.data["kind"]), "place": where}
        + "\n"
        + f'"{_short(state.data["description"], 60)}"'
        + "\n"
        + _numbered([_("Send"), _("Cancel")])
    )


def _reference_screen(state, registry) -> str:
    return _("Enter the reference number:")


def _pin_screen(state, registry) -> str:
    return _("Enter your PIN:")


def _verdict_screen(state, registry) -> str:
    case = state.data["case"]
    return (
        _("Case %(ref)s is resolved. Is it resolved for you?")
        % {"ref": references.format_reference(case.reference)}
        + "\n"
        + _numbered([_("Yes, resolved"), _("No, not resolved")])
    )


def _reason_screen(state, registry) -> str:
    return _("What is still not resolved? Type it, or 1 to skip:")


def _information_screen(state, registry) -> str:
    return _("Type the information to add (no * sign):")


_SCREENS: dict[str, Callable[[State, RegistryPort], str]] = {
    "language": _language_screen,
    "main": _main_screen,
    "kind": _kind_screen,
    "institution_how": _institution_how_screen,
    "institution_code": _institution_code_screen,
    "institution_list": _institution_list_screen,
    "service": _service_screen,
    "description": _description_screen,
    "confirm": _confirm_screen,
    "track": _reference_screen,
    "reference": _reference_screen,
    "pin": _pin_screen,
    "verdict": _verdict_screen,
    "reason": _reason_screen,
    "information": _information_screen,
}


# --- Inputs -----------------------------------------------------------------------------


def _has_more(state: State, registry: RegistryPort) -> bool:
    if state.node == "institution_list":
        return _page(registry.institutions(), state.page)[1]
    if state.node == "service":
        return _page(_services_of(state, registry), state.page)[1]
    return False


def _choose(value: str, count: int) -> int:
    """The 1-based choice `value` names among `count`, or _Invalid with the hint."""
    if value.isascii() and value.isdigit() and 1 <= int(value) <= count:
        return int(value)
    raise _Invalid(_("Choose 1-%(count)d.") % {"count": count})


def _text(value: str, minimum: int = DESCRIPTION_MIN) -> str:
    value = " ".join(value.split())[:DESCRIPTION_MAX]
    if len(value) < minimum or value in (BACK, MORE):
        raise _Invalid(_("Write at least %(count)d characters.") % {"count": minimum})
    return value


def _reference(value: str) -> str:
    """The reference typed, its check digit checked before anything is looked up."""
    try:
        return references.normalize(value)
    except references.InvalidReference as error:
        raise _Invalid(str(error.message)) from error


def _handle(state: State, value: str, registry: RegistryPort) -> State:
    return _HANDLERS[state.node](state, value, registry)


def _on_language(state, value, registry) -> State:
    language = LANGUAGES[str(_choose(value, 2))]
    registry.remember_language(language)
    return State("main", language)


def _on_main(state, value, registry) -> State:
    choice = _choose(value, 6)
    if choice == 1:
        return state.to("kind")
    if choice == 2:
        return state.to("track")
    if choice == 6:
        return state.to("language")
    return state.to("reference", purpose={3: "answer", 4: "verdict", 5: "information"}[choice])


def _on_kind(state, value, registry) -> State:
    return state.to("institution_how", kind=KINDS[_choose(value, len(KINDS)) - 1])


def _on_institution_how(state, value, registry) -> State:
    choice = _choose(value, 3)
    if choice == 1:
        return state.to("institution_code")
    if choice == 2:
        return state.to("institution_list")
    return state.to("description", institution=None, institution_name="", service=None)


def _after_institution(state: State, chosen: Choice, registry) -> State:
    following = state.to("service", institution=chosen.key, institution_name=chosen.name)
    if registry.services(chosen.key):
        return following
    return following.to("description", service=None)


def _on_institution_code(state, value, registry) -> State:
    chosen = None
    if value.isascii() and value.isdigit() and len(value) <= 6:
        chosen = registry.institution_by_code(value)
    if chosen is None:
        raise _Invalid(_("No institution has this code."))
    return _after_institution(state, chosen, registry)


def _on_institution_list(state, value, registry) -> State:
    choices = registry.institutions()
    return _after_institution(state, choices[_choose(value, len(choices)) - 1], registry)


def _on_service(state, value, registry) -> State:
    services = _services_of(state, registry)
    choice = _choose(value, len(services) + 1)
    service = None if choice == 1 else services[choice - 2].key
    return state.to("description", service=service)


def _on_description(state, value, registry) -> State:
    return state.to("confirm", description=_text(value))


def _on_confirm(state, value, registry) -> State:
    if _choose(value, 2) == 2:
        raise _End(_("Cancelled. Nothing was sent."))
    sent = registry.submit(
        kind=state.data["kind"],
        institution=state.data["institution"],
        service=state.data["service"],
        description=state.data["description"],
        language=state.language,
    )
    reference = references.format_reference(sent.reference)
    if sent.pin is None:
        raise _End(
            _(
                "Already sent. Reference %(ref)s. Your PIN was shown when you sent it. "
                "An SMS follows."
            )
            % {"ref": reference}
        )
    raise _End(
        _(
            "Sent. Reference %(ref)s PIN %(pin)s. Write both down: you need them to follow "
            "your case. An SMS follows."
        )
        % {"ref": reference, "pin": sent.pin}
    )


def _date(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y") if value else ""


def _status_text(case: CaseView) -> str:
    lines = [
        _("Case %(ref)s") % {"ref": references.format_reference(case.reference)},
        _("Status: %(status)s") % {"status": case.status_label},
        _("Sent: %(date)s") % {"date": _date(case.submitted_at)},
    ]
    if case.resolved_at and case.status in ("resolved", "closed"):
        lines.append(_("Resolved: %(date)s") % {"date": _date(case.resolved_at)})
    elif case.resolve_due:
        lines.append(_("Answer due: %(date)s") % {"date": _date(case.resolve_due)})
    return "\n".join(lines)


def _on_track(state, value, registry) -> State:
    case = registry.look_up(_reference(value))
    if case is None:
        raise _End(_("No case has this number. Check it and try again."))
    raise _End(_status_text(case))


def _on_reference(state, value, registry) -> State:
    return state.to("pin", reference=_reference(value))


def _on_pin(state, value, registry) -> State:
    if not (value.isascii() and value.isdigit() and 4 <= len(value) <= 6):
        raise _Invalid(_("A PIN has 4 to 6 digits."))
    case = registry.prove(state.data["reference"], value)
    purpose = state.data["purpose"]
    if purpose == "answer":
        raise _End(_answer_text(case))
    if purpose == "verdict":
        if case.status != "resolved" or not {"close", "dispute"} & case.allowed:
            raise _End(_status_text(case) + "\n" + _("There is no resolution to confirm."))
        return state.to("verdict", case=case)
    if "add_information" not in case.allowed:
        raise _End(_status_text(case) + "\n" + _("Information can no longer be added."))
    return state.to("information", case=case)


def _answer_text(case: CaseView) -> str:
    head = f"{references.format_reference(case.reference)} ({case.status_label})"
    if not case.last_answer:
        return head + "\n" + _("No answer yet.")
    budget = SCREEN_LIMIT - len(head) - 1
    return head + "\n" + _short(case.last_answer, budget)


def _on_verdict(state, value, registry) -> State:
    case = state.data["case"]
    action = "close" if _choose(value, 2) == 1 else "dispute"
    if action not in case.allowed:
        raise _End(_("This case can no longer be changed from here."))
    if action == "close":
        raise _End(registry.perform(case, "close"))
    return state.to("reason")


def _on_reason(state, value, registry) -> State:
    reason = "" if value == "1" else _text(value, minimum=2)
    raise _End(registry.perform(state.data["case"], "dispute", reason=reason))


def _on_information(state, value, registry) -> State:
    raise _End(registry.perform(state.data["case"], "add_information", body=_text(value)))


_HANDLERS: dict[str, Callable[[State, str, RegistryPort], State]] = {
    "language": _on_language,
    "main": _on_main,
    "kind": _on_kind,
    "institution_how": _on_institution_how,
    "institution_code": _on_institution_code,
    "institution_list": _on_institution_list,
    "service": _on_service,
    "description": _on_description,
    "confirm": _on_confirm,
    "track": _on_track,
    "reference": _on_reference,
    "pin": _on_pin,
    "verdict": _on_verdict,
    "reason": _on_reason,
    "information": _on_information,
}


# --- The real registry ------------------------------------------------------------------


class Registry:
    """The menu's window on the domain for one session: intake, the citizen proof and its
    throttles, the action table. `phone` is in E.164 form (workflow.normalise_phone)."""

    # A gateway retry of "add information" must not add the same words twice.
    REPEAT_WINDOW = timedelta(minutes=10)

    def __init__(self, *, phone: str, session_id: str) -> None:
        self.phone = phone
        self.digest = phone_digest(phone)
        self.session_id = session_id
        self.submitted = None  # the case this session sent, for the view to record

    @property
    def client(self) -> str:
        return f"phone:{self.digest}"

    def remember_language(self, language: str) -> None:
        current = PhonePreference.objects.filter(phone_digest=self.digest).first()
        if current is None:
            PhonePreference.objects.create(phone_digest=self.digest, language=language)
        elif current.language != language:
            # update(): leaves updated_at, which says since when the phone has a language
            # (see feedback.channels.ussd.starting_language).
            PhonePreference.objects.filter(pk=current.pk).update(language=language)

    def institution_by_code(self, code: str) -> Choice | None:
        found = Institution.objects.filter(short_code=code, is_active=True).first()
        return Choice(found.pk, found.display_name) if found else None

    def institutions(self) -> list[Choice]:
        """The bodies under the top of the tree (ministries, regional administration):
        a short list; the screening desk routes further."""

        root = Institution.get_first_root_node()
        if root is None:
            return []
        children = root.get_children().filter(is_active=True)
        return sorted(
            (Choice(child.pk, child.display_name) for child in children),
            key=lambda choice: choice.name,
        )

    def services(self, institution: int) -> list[Choice]:
        chosen = Institution.objects.filter(pk=institution).first()
        if chosen is None:
            return []
        found = Service.objects.filter(
            institution__path__startswith=chosen.path, is_active=True
        ).order_by("name", "pk")
        return [Choice(service.pk, service.display_name) for service in found]

    def submit(self, *, kind, institution, service, description, language) -> Sent:
        key = f"ussd:{self.session_id}"
        if not Case.objects.filter(channel=Channel.USSD, idempotency_key=key).exists():
            try:  # a gateway's retry of the last step is not counted again
                limits.hit("submissions-per-phone", self.phone)
            except limits.LimitExceeded as error:
                raise Refused(error.message) from error
        subject = _short(description, 60)
        submission = workflow.submit(
            kind=kind,
            subject=subject,
            description=description,
            institution=Institution.objects.filter(pk=institution).first() if institution else None,
            service=Service.objects.filter(pk=service).first() if service else None,
            channel=Channel.USSD,
            language=language,
            contact=workflow.ContactDetails(phone=self.phone, notify_by=NotifyBy.SMS),
            idempotency_key=key,
        )
        self.submitted = submission.case
        return Sent(submission.case.reference, submission.pin)

    def _view(self, case, actor=None) -> CaseView:
        answer = None
        allowed = frozenset()
        if actor is not None:
            event = tracking.last_answer(case)
            answer = event.body if event is not None else None
            allowed = frozenset(workflow.allowed_actions(case, actor))
        return CaseView(
            reference=case.reference,
            status=case.status,
            status_label=str(case.get_status_display()),
            submitted_at=case.submitted_at,
            resolve_due=case.resolve_due,
            resolved_at=case.resolved_at,
            last_answer=answer,
            allowed=allowed,
            proof=actor,
        )

    def look_up(self, reference: str) -> CaseView | None:
        try:
            citizens.limit_lookups(self.client, per=limits.PHONE)
        except citizens.TooManyAttempts as error:
            raise Refused(str(error.message)) from error
        case = Case.objects.filter(reference=reference).first()
        return self._view(case) if case is not None else None

    def prove(self, reference: str, pin: str) -> CaseView:
        try:
            actor = citizens.prove(reference, pin, self.client, per=limits.PHONE)
        except citizens.ProofFailed as error:
            raise Refused(str(error)) from error
        return self._view(Case.objects.get(pk=actor.case_id), actor)

    def perform(self, case: CaseView, action: str, **params) -> str:
        found = Case.objects.get(reference=case.reference)
        if action == "add_information" and self._just_added(found, params["body"]):
            return str(workflow.ACTIONS[action].thanks)
        try:
            workflow.perform(action, found, by=case.proof, **params)
        except workflow.WorkflowError as error:
            raise Refused(_("This case can no longer be changed from here.")) from error
        return str(workflow.ACTIONS[action].thanks)

    def _just_added(self, case, body: str) -> bool:
        latest = case.events.order_by("-created_at", "-pk").first()
        return (
            latest is not None
            and latest.action == "add_information"
            and latest.actor_kind == "citizen"
            and latest.body == body
            and latest.created_at > timezone.now() - self.REPEAT_WINDOW
        )
