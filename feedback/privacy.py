"""The citizen's personal data: erased on request or after the retention period, exportable.

Where it lives, and what erasure (erase_contact) and the retention sweep reach:
- Contact (name, phone, e-mail): the one place it is kept, encrypted at rest
  (feedback.encryption), with keyed digests of the phone and e-mail beside it that find a
  person's cases (cases_of_data_subject); all blanked by erasure. Its history rows exclude
  those fields and digests, so erasing leaves the audit chain intact.
- SubmissionDraft: what a citizen typed before pressing "send", contact included, encrypted
  at rest too. Deleted when the case is submitted (in the same transaction), or by
  purge_stale_drafts.
- Background task rows (django-tasks-db): ids only (case, event, action, institution); the
  text and the contact are looked up when a task runs, so an erased contact is never written
  to. Finished rows of an erased case are deleted at once, the rest after
  TASK_RESULT_RETENTION_DAYS (prune_expired_records).
- Staff sign-in failures (django-axes' AccessAttempt: username, address, browser): deleted
  by prune_expired_records once older than the lock-out's cool-off; no access log is kept.
- Sessions: a draft's token and which references the browser proved; never a PIN, phone or
  address. Expired sessions are deleted by prune_expired_records.
- The PIN is kept nowhere readable: shown once on the confirmation page, sent only when the
  citizen asks for a new one (feedback.pin_recovery), stored as a keyed digest on the case.
The case's own text (subject, description, messages) is the citizen's account of the matter,
not contact data; it stays with the case.
"""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.access import may_act_for_data_subject
from feedback.channels.phones import phone_digest
from feedback.encryption import email_digest
from feedback.models import (
    Case,
    CaseEvent,
    Contact,
    NotifyBy,
    PersonalDataAccess,
    PublicOutcome,
    Status,
)
from feedback.tasks import forget_case_tasks, prune_finished_tasks
from feedback.workflow import MissingInformation, normalise_phone
from feedback.workspace.sign_in import prune_sign_in_records
from search import indexing


def record_access(
    user, case: Case, what: str, reason: str, now: datetime | None = None
) -> PersonalDataAccess:
    """One look at (or erasure of) a citizen's personal data by a staff member, in the chained
    audit: who, when, what and why. Called inside the transaction of what it records."""
    access = PersonalDataAccess(
        case=case, user=user, what=what, reason=reason, at=now or timezone.now()
    )
    access._history_user = user
    access._change_reason = what
    access.save()
    return access


def erase_contact(
    case: Case,
    *,
    reason: str,
    by_user=None,
    by_citizen: bool = False,
    now: datetime | None = None,
) -> bool:
    """Blank the case's contact details; False when there was nothing left to erase.

    Asked for by the citizen (by_citizen), a staff member (by_user), or else the retention rule.
    """
    now = now or timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(case=case, erased_at=None).first()
        if contact is None:
            return False
        contact.name = contact.phone = contact.email = ""
        contact.notify_by = NotifyBy.NONE
        contact.erased_at = now
        contact._history_user = by_user
        contact._change_reason = f"erase: {reason}"
        contact.save()
        if by_user is not None:
            record_access(by_user, case, PersonalDataAccess.What.ERASURE, reason, now)
        CaseEvent.objects.create(
            case=case,
            type=CaseEvent.Type.NOTE,
            action="erase_contact",
            actor=by_user,
            actor_kind=(
                CaseEvent.ActorKind.STAFF
                if by_user
                else CaseEvent.ActorKind.CITIZEN
                if by_citizen
                else CaseEvent.ActorKind.SYSTEM
            ),
            body=reason,
            is_public=False,
            created_at=now,
        )
        forget_case_tasks(case.pk)
        # The outcome was scrubbed of this contact when written; the index is told all the same,
        # so that whatever it keeps of the case is rebuilt from the database as it is now.
        if PublicOutcome.objects.public().filter(case_id=case.pk).exists():
            indexing.outcome_changed(case.pk)
    return True


def erase_expired_contacts(now: datetime | None = None) -> int:
    """Erase contact details of cases closed longer ago than CONTACT_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CONTACT_RETENTION_DAYS)
    expired = Case.objects.filter(
        status__in=[Status.CLOSED, Status.REJECTED],
        closed_at__lt=cutoff,
        contact__isnull=False,
        contact__erased_at__isnull=True,
    )
    return sum(
        erase_contact(case, reason="retention period ended", now=now) for case in expired.iterator()
    )


def prune_expired_records(now: datetime | None = None) -> int:
    """Delete finished task rows past TASK_RESULT_RETENTION_DAYS and expired sessions: the
    retention sweep's share of the stores other than Contact. Returns the task rows deleted."""
    pruned = prune_finished_tasks(now)
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    session_store.clear_expired()
    # Staff sign-in failures (django-axes: addresses, browsers) once they lock no one.
    prune_sign_in_records(now)
    return pruned


def personal_data(case: Case, *, by_user=None, reason: str = "") -> dict:
    """Everything the registry holds about the citizen of this case, for the citizen.

    Exported by a staff member for the data subject (by_user), the export is recorded."""
    if by_user is not None:
        record_access(by_user, case, PersonalDataAccess.What.EXPORT, reason or "export")
    # Related rows through the case's own relations: cases_of_data_subject() loads them for
    # every case at once (select_related, prefetch_related); one case alone costs three reads.
    try:
        contact = case.contact
    except Contact.DoesNotExist:
        contact = None
    return {
        "reference": case.reference,
        "kind": case.kind,
        "institution": case.institution.name,
        "service": case.service.name if case.service else None,
        "status": case.status,
        "submitted_at": case.submitted_at.isoformat(),
        "subject": case.subject,
        "description": case.description,
        "location": case.location,
        "language": case.language,
        "consent_to_publish": case.consent_to_publish,
        "satisfaction": case.satisfaction,
        "contact": None
        if contact is None
        else {
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "notify_by": contact.notify_by,
            "erased_at": contact.erased_at.isoformat() if contact.erased_at else None,
        },
        "messages": [
            {"at": event.created_at.isoformat(), "from": event.actor_kind, "text": event.body}
            for event in case.events.all()
            if event.is_public and event.body
        ],
        "attachments": [
            {"name": a.original_name, "type": a.content_type, "size": a.size}
            for a in case.attachments.all()
        ],
    }


class DataSubjectRefused(Exception):
    """Why a data-subject request was not carried out. code: not_allowed (a 403), no_contact,
    no_reason or phone (a 400: the message says what to give)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def cases_of_data_subject(*, phone: str = "", email: str = "") -> QuerySet[Case]:
    """Every case whose contact has this phone number (in any form a person types it:
    +255..., 0..., with spaces) or this e-mail address (any case), found by the keyed
    digests stored beside the encrypted contact (a ciphertext cannot be searched).

    Raises InvalidPhone (workflow) for a phone number that is not one."""
    condition = Q(pk__in=[])
    if phone.strip():
        condition |= Q(contact__phone_digest=phone_digest(normalise_phone(phone)))
    if email.strip():
        condition |= Q(contact__email_digest=email_digest(email))
    return (
        Case.objects.filter(condition)
        .select_related("institution", "service", "contact")
        .prefetch_related("events", "attachments")
        .order_by("submitted_at", "pk")
    )


def _data_subject_cases(user, phone: str, email: str, reason: str) -> tuple[list[Case], str]:
    """The checks every data-subject request makes, in one place: who asks, what they
    give, why. Returns the cases and the reason, stripped."""
    if not may_act_for_data_subject(user):
        raise DataSubjectRefused(
            "not_allowed", _("Only administrators may act on a data subject's request.")
        )
    if not (phone.strip() or email.strip()):
        raise DataSubjectRefused("no_contact", _("Give a phone number or an e-mail address."))
    reason = (reason or "").strip()
    if not reason:
        raise DataSubjectRefused("no_reason", _("Say why: the request and who made it."))
    try:
        cases = list(cases_of_data_subject(phone=phone, email=email))
    except MissingInformation as error:
        raise DataSubjectRefused("phone", str(error)) from error
    return cases, reason


def export_data_subject(user, *, phone: str = "", email: str = "", reason: str = "") -> dict:
    """Everything the registry holds about the person with this phone number or e-mail
    address: personal_data() of each of their cases, each export recorded (PersonalDataAccess,
    EXPORT, with the reason), all in one transaction: recorded exactly when it is handed out."""
    cases, reason = _data_subject_cases(user, phone, email, reason)
    with transaction.atomic():
        exported = [personal_data(case, by_user=user, reason=reason) for case in cases]
    return {"exported_at": timezone.now().isoformat(), "cases": exported}


def erase_data_subject(user, *, phone: str = "", email: str = "", reason: str = "") -> int:
    """Erase the contact details of every case of the person with this phone number or
    e-mail address (erase_contact, each recorded); returns how many were erased."""
    cases, reason = _data_subject_cases(user, phone, email, reason)
    return sum(erase_contact(case, reason=reason, by_user=user) for case in cases)
