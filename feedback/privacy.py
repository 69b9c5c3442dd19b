"""The citizen's personal data: erased on request or after the retention period, exportable.

Only Contact holds personal data, and its history rows exclude it, so erasing it leaves the
audit chain intact.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback.models import Case, CaseEvent, Contact, NotifyBy, Status


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


def personal_data(case: Case) -> dict:
    """Everything the registry holds about the citizen of this case, for the citizen."""
    contact = Contact.objects.filter(case=case).first()
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
            for event in case.events.filter(is_public=True).exclude(body="")
        ],
        "attachments": [
            {"name": a.original_name, "type": a.content_type, "size": a.size}
            for a in case.attachments.all()
        ],
    }
