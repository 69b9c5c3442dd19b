"""The search document of a published outcome: the one dict every engine stores, every hit
carries and the open-data downloads flatten (its shape: /work/shared plan, issue 14)."""

import hashlib
import json
from collections.abc import Iterator

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from feedback import sla
from feedback.models import CaseEvent, Institution, PublicOutcome, Status

# The module, not the name: transitions imports search.indexing, which imports this module.
from feedback.workflow import transitions

SATISFIED, DISPUTED, NO_ANSWER = "satisfied", "disputed", "no_answer"
SATISFACTION_CHOICES = [
    (SATISFIED, _("Satisfied")),
    (DISPUTED, _("Disputed")),
    (NO_ANSWER, _("No answer")),
]
CHUNK_SIZE = 500


def citizen_verdict(case) -> str:
    """The citizen's verdict beside the institution's: disputed if they rated it 1-2, reopened
    it or appealed; satisfied if they rated it 3-5 or closed it themselves; else no answer."""
    appealed = case.status == Status.APPEALED or _has_appeal(case)
    if (case.satisfaction is not None and case.satisfaction <= 2) or case.reopen_count or appealed:
        return DISPUTED
    if case.satisfaction is not None or _closed_by_citizen(case):
        return SATISFIED
    return NO_ANSWER


def _has_appeal(case) -> bool:
    try:
        return case.appeal is not None
    except ObjectDoesNotExist:
        return False


def _closed_by_citizen(case) -> bool:
    if case.status != Status.CLOSED:
        return False
    closures = getattr(case, "citizen_closures", None)  # prefetched by public_documents()
    if closures is None:
        closures = list(_citizen_closures().filter(case=case)[:1])
    return bool(closures)


def _citizen_closures():
    return CaseEvent.objects.filter(
        to_status=Status.CLOSED, actor_kind=CaseEvent.ActorKind.CITIZEN
    ).only("id", "case_id")


def _named(item, *extra: str) -> dict | None:
    if item is None:
        return None
    named = {"id": item.pk, "name": item.name, "name_sw": item.name_sw}
    for attribute in extra:
        named[attribute] = getattr(item, attribute)
    return named


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _ancestors(institution: Institution, cache: dict) -> list[Institution]:
    """Root first, the institution excluded; one query per distinct institution at most."""
    if institution.pk not in cache:
        cache[institution.pk] = list(institution.get_ancestors())
    return cache[institution.pk]


def document_for(outcome: PublicOutcome, *, _ancestor_cache: dict | None = None) -> dict:
    """The search document of one public outcome (the caller checks it is public)."""
    case = outcome.case
    cache = {} if _ancestor_cache is None else _ancestor_cache
    institution = case.institution
    ancestors = _ancestors(institution, cache)
    area = case.area
    region = district = None
    if area is not None and area.level == Institution.Level.DISTRICT:
        district = area  # a district's region is its parent
        region = next(reversed(_ancestors(area, cache)), None)
    elif area is not None:
        region = area
    resolved_at = case.first_resolved_at or case.resolved_at
    country = sla.default_country()
    _acknowledge, promised_days, _window = transitions.charter_days(case)
    document = {
        "reference": case.reference,
        "language": outcome.language,
        "kind": case.kind,
        "institution": _named(institution, "acronym"),
        "institutions": [a.pk for a in ancestors] + [institution.pk],
        "ancestors": [_named(a) for a in ancestors],
        "service": _named(case.service),
        "region": _named(region),
        "district": _named(district),
        "areas": [a.pk for a in (region, district) if a is not None],
        "submitted_at": _iso(case.submitted_at),
        "resolved_at": _iso(resolved_at),
        "published_at": _iso(outcome.published_at),
        "year": sla.local_date(resolved_at).year if resolved_at else None,
        "promised_days": promised_days,
        "days_taken": (
            sla.working_days_between(case.submitted_at, resolved_at, country)
            if resolved_at
            else None
        ),
        "deadline_met": bool(
            resolved_at and case.original_resolve_due and resolved_at <= case.original_resolve_due
        ),
        "status": case.status,
        "satisfaction": citizen_verdict(case),
        "rating": case.satisfaction,
        "referral_count": case.referral_count,
        "escalation_count": case.escalation_count,
        "reopen_count": case.reopen_count,
        "summary": outcome.summary,
        "response": outcome.response,
    }
    document["version"] = document_version(document)
    return document


def document_version(document: dict) -> str:
    """A digest of everything but the version itself: it changes whenever the document does."""
    body = {key: value for key, value in document.items() if key != "version"}
    encoded = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def public_outcomes():
    """The public outcomes with everything their documents need, in a few queries."""
    return (
        PublicOutcome.objects.public()
        .select_related("case__institution", "case__service", "case__area", "case__appeal")
        .prefetch_related(
            "case__service__charter_terms",
            Prefetch("case__events", queryset=_citizen_closures(), to_attr="citizen_closures"),
        )
        .order_by("pk")
    )


def public_documents(queryset=None, *, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """The document of every public outcome (or of those in `queryset`, a subset of
    public_outcomes()), loaded in chunks so a million outcomes never sit in memory at once."""
    queryset = public_outcomes() if queryset is None else queryset
    ancestor_cache: dict = {}
    last_pk = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk)[:chunk_size])
        if not chunk:
            return
        for outcome in chunk:
            yield document_for(outcome, _ancestor_cache=ancestor_cache)
        last_pk = chunk[-1].pk


def documents_for_cases(case_ids) -> dict[int, dict]:
    """case id -> document, for those of these cases whose outcome is public now."""
    found = public_outcomes().filter(case_id__in=list(case_ids))
    cache: dict = {}
    return {outcome.case_id: document_for(outcome, _ancestor_cache=cache) for outcome in found}


# The open-data field list: the CSV columns (flatten) and the JSON keys, documented for readers.
OPEN_DATA_FIELDS = [
    ("reference", "string", _("The case's reference number.")),
    ("language", "string", _("Language of the published text: en or sw.")),
    ("kind", "string", _("Kind of feedback: complaint, suggestion, inquiry or compliment.")),
    ("institution_id", "integer", _("Identifier of the institution that handled the case.")),
    ("institution", "string", _("Name of that institution in English.")),
    ("institution_sw", "string", _("Name of that institution in Swahili.")),
    ("institution_acronym", "string", _("Acronym of that institution, if any.")),
    ("ancestors", "string", _("The institutions above it, from the top, separated by ' > '.")),
    ("service_id", "integer", _("Identifier of the service the feedback was about, if any.")),
    ("service", "string", _("Name of that service in English.")),
    ("service_sw", "string", _("Name of that service in Swahili.")),
    ("region", "string", _("Region the feedback was about, if given.")),
    ("district", "string", _("District the feedback was about, if given.")),
    ("submitted_at", "datetime", _("When the feedback was submitted (ISO 8601).")),
    ("resolved_at", "datetime", _("When the institution first resolved it (ISO 8601).")),
    ("published_at", "datetime", _("When this outcome was published (ISO 8601).")),
    ("year", "integer", _("Year of resolution.")),
    ("promised_days", "integer", _("Working days the service charter promises to resolve.")),
    ("days_taken", "integer", _("Working days actually taken to resolve.")),
    ("deadline_met", "boolean", _("Whether it was resolved by the charter's deadline.")),
    ("status", "string", _("The case's status now: the institution's verdict.")),
    ("satisfaction", "string", _("The citizen's verdict: satisfied, disputed or no_answer.")),
    ("rating", "integer", _("The citizen's rating from 1 to 5, if given.")),
    ("referral_count", "integer", _("Times the case was referred to another institution.")),
    ("escalation_count", "integer", _("Times the case was escalated to a higher level.")),
    ("reopen_count", "integer", _("Times the citizen reopened the case.")),
    ("summary", "string", _("The problem, as published.")),
    ("response", "string", _("What the institution did, as published.")),
]


def flatten(document: dict) -> dict:
    """One CSV row of a document: exactly the OPEN_DATA_FIELDS, in their order."""

    def part(name: str, key: str):
        value = document.get(name)
        return value.get(key) if value else None

    row = dict(document)
    row.update(
        institution_id=part("institution", "id"),
        institution=part("institution", "name"),
        institution_sw=part("institution", "name_sw"),
        institution_acronym=part("institution", "acronym"),
        ancestors=" > ".join(a["name"] for a in document.get("ancestors") or []),
        service_id=part("service", "id"),
        service=part("service", "name"),
        service_sw=part("service", "name_sw"),
        region=part("region", "name"),
        district=part("district", "name"),
    )
    return {name: row.get(name) for name, _type, _description in OPEN_DATA_FIELDS}
