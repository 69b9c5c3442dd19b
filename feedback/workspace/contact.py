"""A citizen's contact details on the staff case page: masked, unless a staff member who may
reveals them for a stated reason, and every reveal recorded (PersonalDataAccess, chained).

The masking is scrubbing.mask, the one function that masks personal data for staff eyes.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from feedback import privacy
from feedback.access import may_reveal_contact, may_see
from feedback.models import Case, Contact, PersonalDataAccess
from feedback.scrubbing import mask


class RevealRefused(Exception):
    """Why contact details were not revealed. code: not_visible (the case is out of the
    user's view: a 404), not_allowed (a 403), no_reason, no_contact (a 400)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class MaskedContact:
    name: str
    phone: str
    email: str
    notify_by: str
    erased: bool


def masked(contact: Contact) -> MaskedContact:
    """What a staff view shows of a contact until it is revealed: initials, the phone's
    country code and last digits, the e-mail's first letter and domain."""
    return MaskedContact(
        name=mask("name", contact.name) if contact.name else "",
        phone=mask("phone", contact.phone) if contact.phone else "",
        email=mask("email", contact.email) if contact.email else "",
        notify_by=contact.get_notify_by_display(),
        erased=contact.erased_at is not None,
    )


def reveal_contact(user, case: Case, reason: str, now: datetime | None = None) -> Contact:
    """The case's contact details in full, for a user who may see them and says why; the
    reveal is recorded (who, when, why) before anything is returned."""
    if not may_see(user, case):
        raise RevealRefused("not_visible", _("No such case."))
    if not may_reveal_contact(user, case):
        raise RevealRefused(
            "not_allowed", _("Your role may not reveal a citizen's contact details.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise RevealRefused("no_reason", _("Say why you need the contact details."))
    contact = Contact.objects.filter(case=case, erased_at=None).first()
    if contact is None or not (contact.name or contact.phone or contact.email):
        raise RevealRefused("no_contact", _("This case has no contact details to reveal."))
    with transaction.atomic():
        privacy.record_access(user, case, PersonalDataAccess.What.CONTACT, reason, now)
    return contact
