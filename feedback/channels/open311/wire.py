"""Our services and cases in GeoReport v2's terms: the spec's field names, its two statuses,
W3C date-times with their zone. Public fields only; contact details never appear here."""

import re
from datetime import datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from feedback import tracking
from feedback.models import Case, Contact, Kind, Service, Status
from feedback.scrubbing import scrub

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-26T00:00:00Z"
FORMATS = ["text/xml", "application/json"]

# The spec has two statuses; ours map onto them.
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.REJECTED)
# A case posted with coordinates keeps them as its location text, "lat, long".
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def w3_datetime(moment: datetime | None) -> str | None:
    """ISO 8601 with its zone, in settings.TIME_ZONE: "2026-11-26T10:15:00+03:00"."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def open311_status(case: Case) -> str:
    return "closed" if case.status in CLOSED_STATUSES else "open"


def coordinates_location(lat: float, long: float) -> str:
    return f"{lat:.6f}, {long:.6f}"


def _localised(english: str, swahili: str) -> str:
    return swahili if get_language() == "sw" and swahili else english


def service_entry(service: Service) -> dict:
    institution = service.institution
    # Synonyms a client can search by: the name in the other language, the acronym.
    other_name = service.name if get_language() == "sw" else service.name_sw
    keywords = [word for word in (other_name, institution.acronym) if word]
    return {
        "service_code": service.global_code,
        "service_name": service.display_name,
        "description": _localised(service.description, service.description_sw) or None,
        # Every service declares the `kind` attribute (service_definition).
        "metadata": True,
        # The case and its reference exist when the POST answers.
        "type": "realtime",
        "keywords": ", ".join(keywords) or None,
        "group": institution.display_name,
    }


KIND_ATTRIBUTE = "kind"
PUBLISH_ATTRIBUTE = "publish"
# The service definition's attributes, posted as attribute[<code>].
ATTRIBUTES = (KIND_ATTRIBUTE, PUBLISH_ATTRIBUTE)


def service_definition(service: Service) -> dict:
    return {
        "service_code": service.global_code,
        "attributes": [
            {
                "variable": True,
                "code": KIND_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("One of the keys below; a complaint if not given."),
                "order": 1,
                "description": _("What kind of feedback is this?"),
                "values": [{"key": value, "name": str(label)} for value, label in Kind.choices],
            },
            {
                "variable": True,
                "code": PUBLISH_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("true or false; false if not given."),
                "order": 2,
                "description": _(
                    "Did the citizen agree that an anonymised outcome may be published? Only "
                    "then are the description, the location and the institution's answer "
                    "shown to anyone who reads this request."
                ),
                "values": [
                    {"key": "true", "name": _("Yes, it may be published")},
                    {"key": "false", "name": _("No")},
                ],
            },
        ],
    }


def expected_datetime(case: Case) -> datetime | None:
    """When the institution promised to answer (the charter's deadline, or the later date an
    interim reply gave), while it owes one; nothing while the clock is paused or after."""
    if case.status == Status.SUBMITTED:
        return case.resolve_due
    if case.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
        if case.expected_by is not None and (
            case.resolve_due is None or case.expected_by > case.resolve_due
        ):
            return case.expected_by
        return case.resolve_due
    return None


def updated_datetime(case: Case) -> datetime:
    """The spec: "for requests with status=closed, this will be the date the request was
    closed"."""
    if case.status == Status.RESOLVED and case.resolved_at:
        return case.resolved_at
    if case.status in (Status.CLOSED, Status.REJECTED) and case.closed_at:
        return case.closed_at
    return case.updated_at


def public_text(text: str, contact: Contact | None) -> str:
    """A citizen's words as the public may read them: phone numbers, e-mail addresses,
    identity numbers and the case's own contact details replaced (feedback.scrubbing)."""
    return scrub(text, contact, get_language() or "en").text


def request_entry(
    case: Case, *, publishable: bool, contact: Contact | None = None, answer=None
) -> dict:
    """One case for anyone to read. The citizen's own words (description, location) and the
    institution's latest public answer (the status note) only when the case's outcome may be
    published (Case.objects.publishable()): a complaint's story is not published without
    consent, and even then personal data in it is scrubbed out."""
    address = lat = long = None
    if publishable and case.location:
        match = COORDINATES.match(case.location)
        if match:
            lat, long = float(match.group(1)), float(match.group(2))
        else:
            address = public_text(case.location, contact)
    service = case.service
    return {
        "service_request_id": case.reference,
        "status": open311_status(case),
        "status_notes": public_text(answer.body, contact)
        if publishable and answer is not None
        else None,
        "service_name": service.display_name if service else None,
        "service_code": service.global_code if service else None,
        "description": public_text(case.description, contact) if publishable else None,
        "agency_responsible": case.handling_institution.display_name,
        "service_notice": None,
        "requested_datetime": w3_datetime(case.submitted_at),
        "updated_datetime": w3_datetime(updated_datetime(case)),
        "expected_datetime": w3_datetime(expected_datetime(case)),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": long,
        "media_url": None,
    }


def request_entries(cases) -> list[dict]:
    cases = list(cases)
    publishable = set(
        Case.objects.publishable()
        .filter(pk__in=[case.pk for case in cases])
        .values_list("pk", flat=True)
    )
    # Only to take the citizen's own details out of their words, never to show them.
    contacts = {
        contact.case_id: contact for contact in Contact.objects.filter(case_id__in=publishable)
    }
    answers = tracking.last_answers(publishable)
    return [
        request_entry(
            case,
            publishable=case.pk in publishable,
            contact=contacts.get(case.pk),
            answer=answers.get(case.pk),
        )
        for case in cases
    ]
