"""Intake: how feedback from any channel becomes a case.

Routing and screening, phone numbers, the anonymity rule, the "service belongs to this
institution" check, references and PINs, and idempotent retries live here once; the web
form, the API, USSD, SMS and Open311 all call `submit`.
"""

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from feedback import notifications, references
from feedback.models import (
    Case,
    CaseEvent,
    Channel,
    Contact,
    Institution,
    NotifyBy,
    Role,
    Service,
    ServicePoint,
)
from feedback.workflow.actions import next_due
from feedback.workflow.actors import Actor, citizen_of
from feedback.workflow.errors import ActionNotPermitted, MissingInformation
from feedback.workflow.transitions import record_event, require, set_fresh_deadlines


class InvalidPhone(MissingInformation):
    code = "phone"


def normalise_phone(raw: str) -> str:
    """E.164 form of a phone number typed in local (0712...) or international form.

    Local numbers are read as numbers of settings.PHONE_REGION (the country whose mobile
    numbers the registry serves; not necessarily the one whose holidays it observes).
    """
    try:
        number = phonenumbers.parse(raw, settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("Enter a phone number such as 0712 345 678 or +255 712 345 678."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def screening_institution() -> Institution:
    """No wrong door: feedback that names no institution lands at the top of the tree."""
    return Institution.get_first_root_node()


def route(institution: Institution | None, service: Service | None) -> Institution:
    """Where a case goes: the institution named, the service's, or screening at the top.

    A service must belong to the institution named (or to one of its units)."""
    if (
        service is not None
        and institution is not None
        and not service.institution.path.startswith(institution.path)
    ):
        raise MissingInformation(
            _("%(service)s is not offered by %(institution)s.")
            % {"service": service, "institution": institution}
        )
    if institution is not None:
        return institution
    if service is not None:
        return service.institution
    return screening_institution()


@dataclass(frozen=True)
class ContactDetails:
    name: str = ""
    phone: str = ""
    email: str = ""
    notify_by: str = NotifyBy.NONE

    def is_empty(self) -> bool:
        return not (self.name.strip() or self.phone.strip() or self.email.strip())

    def reachable_by(self) -> str:
        """The way updates can reach the citizen: the one asked for if it can, else the
        one their details allow, else none (anonymous, or a name alone)."""
        if self.notify_by == NotifyBy.SMS and self.phone:
            return NotifyBy.SMS
        if self.notify_by == NotifyBy.EMAIL and self.email:
            return NotifyBy.EMAIL
        if self.notify_by == NotifyBy.NONE:
            return NotifyBy.NONE
        return NotifyBy.SMS if self.phone else NotifyBy.EMAIL if self.email else NotifyBy.NONE


@dataclass(frozen=True)
class Submission:
    """A submitted case and its PIN; `pin` is None when a retry found the first case."""

    case: Case
    pin: str | None
    created: bool = True

    @property
    def actor(self) -> Actor:
        """The submitter, bound to this case: they may act on it at once."""
        return citizen_of(self.case)


def pin_digest(reference: str, pin: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone cannot be searched for PINs.
    return salted_hmac("feedback.case.pin", f"{reference}:{pin}").hexdigest()


def check_pin(case: Case, pin: str) -> bool:
    pin = pin.strip()
    # Only ASCII digits can be a PIN; anything else (a lone surrogate from a JSON escape,
    # which cannot even be encoded for the digest) is simply wrong, never an exception.
    if not (pin.isascii() and pin.isdigit()):
        return False
    return constant_time_compare(case.pin_digest, pin_digest(case.reference, pin))


SUBMITTING_ROLES = frozenset({Role.AGENT, Role.ADMIN, Role.OFFICER, Role.LEAD})


def submit(
    *,
    kind: str,
    subject: str,
    description: str,
    institution: Institution | None = None,
    channel: str = Channel.WEB,
    service: Service | None = None,
    area: Institution | None = None,
    location: str = "",
    language: str = "en",
    contact: ContactDetails | None = None,
    consent_to_publish: bool = False,
    by: Actor | None = None,
    service_point: ServicePoint | None = None,
    attachments=(),
    idempotency_key: str | None = None,
    api_client=None,
    now: datetime | None = None,
) -> Submission:
    """Register new feedback with a fresh reference and PIN; notify the citizen if reachable.

    With an `idempotency_key`, a second submission with the same key on the same channel
    (a double click, a client's retry) makes no new case: it returns the first one, without
    its PIN, which was given once. `service_point` is where an agent took it down;
    `api_client` is the organisation's app or portal that sent it (channel api or open311).
    """
    require(subject, _("Give your feedback a short title."))
    require(description, _("Describe what happened."))
    if by is not None and by.kind == "staff" and by.role not in SUBMITTING_ROLES:
        raise ActionNotPermitted(_("Your role may not submit feedback for a citizen."))
    routed = route(institution, service)
    if contact is not None and contact.phone:
        contact = ContactDetails(
            name=contact.name,
            phone=normalise_phone(contact.phone),
            email=contact.email,
            notify_by=contact.notify_by,
        )
    if idempotency_key:
        first = _first_with_key(channel, idempotency_key)
        if first is not None:
            return Submission(case=first, pin=None, created=False)
    case = Case(
        kind=kind,
        channel=channel,
        institution=routed,
        service=service,
        area=area,
        location=location,
        subject=subject.strip(),
        description=description.strip(),
        language=language,
        is_anonymous=contact is None or contact.is_empty(),
        consent_to_publish=consent_to_publish,
        submitted_by=by.user if by is not None and by.kind == "staff" else None,
        service_point=service_point,
        submitted_at=now or timezone.now(),
        idempotency_key=idempotency_key or None,
        api_client=api_client,
    )
    try:
        pin = _register(case, contact, attachments, by)
    except _AlreadySubmitted:
        return Submission(case=_first_with_key(channel, idempotency_key), pin=None, created=False)
    return Submission(case=case, pin=pin)


class _AlreadySubmitted(Exception):
    """Another request with the same idempotency key committed its case first."""


def _first_with_key(channel: str, key: str) -> Case | None:
    return Case.objects.filter(channel=channel, idempotency_key=key).first()


def _register(case: Case, contact: ContactDetails | None, attachments, by: Actor | None) -> str:
    now = case.submitted_at
    pin = references.new_pin()
    set_fresh_deadlines(case, now)
    case.original_acknowledge_due = case.acknowledge_due
    case.original_resolve_due = case.resolve_due
    case.next_due = next_due(case)
    with transaction.atomic():
        case._history_user = case.submitted_by
        case._change_reason = "submit"
        _save_with_unique_reference(case, pin)
        if not case.is_anonymous:
            Contact.objects.create(
                case=case,
                name=contact.name.strip(),
                phone=contact.phone.strip(),
                email=contact.email.strip(),
                notify_by=contact.reachable_by(),
            )
        event = record_event(
            case,
            by or Actor("citizen"),
            type=CaseEvent.Type.SUBMITTED,
            action="submit",
            body=case.description,
            now=now,
        )
        for attachment in attachments:
            attachment.case = case
            attachment.event = event
            attachment.draft = None
            attachment.save()
        notifications.case_submitted(case, event)
    return pin


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
            if case.idempotency_key and _first_with_key(case.channel, case.idempotency_key):
                raise _AlreadySubmitted from None
            if not Case.objects.filter(reference=case.reference).exists():
                raise
            case.pk = None
    raise IntegrityError("could not draw a free reference number")
