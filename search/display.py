"""An outcome document (search.documents) as a reader sees it: names in the reader's language,
dates as dates, the institution's verdict and the citizen's in words.

Plain functions over the indexed dict, so a search hit, an outcome page and a test read the
same facts the same way, whichever engine stored them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from feedback.models import Kind, Status

SATISFACTION_LABELS = {
    "satisfied": _("Satisfied"),
    "disputed": _("Disputed"),
    "no_answer": _("No answer"),
}
DEADLINE_LABELS = {
    "true": pgettext_lazy("deadline", "Met"),
    "false": pgettext_lazy("deadline", "Missed"),
}


def name_in(named: dict | None, language: str) -> str:
    """The Swahili name where the reader reads Swahili and one exists, else the English one."""
    if not named:
        return ""
    if language == "sw" and named.get("name_sw"):
        return named["name_sw"]
    return named.get("name", "")


def kind_label(value: str) -> str:
    return str(Kind(value).label) if value in Kind.values else value


def status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def satisfaction_label(value: str) -> str:
    return str(SATISFACTION_LABELS.get(value, value))


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 (as every engine stores it) to an aware datetime; None stays None."""
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Outcome:
    """The facts of one published outcome, ready for a template."""

    reference: str
    language: str
    kind: str
    institution: str
    institution_id: int
    ancestors: list[tuple[int, str]]  # (id, name), root first
    service: str
    service_id: int | None
    place: str  # "district, region", or the region alone
    region_id: int | None
    submitted_at: datetime | None
    resolved_at: datetime | None
    published_at: datetime | None
    promised_days: int | None
    days_taken: int | None
    deadline_met: bool | None
    status: str
    satisfaction: str
    satisfaction_value: str
    rating: int | None
    referral_count: int
    escalation_count: int
    reopen_count: int
    summary: str
    response: str


def outcome(document: dict, language: str) -> Outcome:
    """Read one indexed document in the reader's language."""
    institution = document.get("institution") or {}
    service = document.get("service")
    region, district = document.get("region"), document.get("district")
    place = ", ".join(
        name for name in (name_in(district, language), name_in(region, language)) if name
    )
    return Outcome(
        reference=document["reference"],
        language=document.get("language", "en"),
        kind=kind_label(document.get("kind", "")),
        institution=name_in(institution, language),
        institution_id=institution.get("id"),
        ancestors=[(a["id"], name_in(a, language)) for a in document.get("ancestors") or []],
        service=name_in(service, language),
        service_id=service["id"] if service else None,
        place=place,
        region_id=(district or region or {}).get("id"),
        submitted_at=parse_time(document.get("submitted_at")),
        resolved_at=parse_time(document.get("resolved_at")),
        published_at=parse_time(document.get("published_at")),
        promised_days=document.get("promised_days"),
        days_taken=document.get("days_taken"),
        deadline_met=document.get("deadline_met"),
        status=status_label(document.get("status", "")),
        satisfaction=satisfaction_label(document.get("satisfaction", "no_answer")),
        satisfaction_value=document.get("satisfaction", "no_answer"),
        rating=document.get("rating"),
        referral_count=document.get("referral_count") or 0,
        escalation_count=document.get("escalation_count") or 0,
        reopen_count=document.get("reopen_count") or 0,
        summary=document.get("summary", ""),
        response=document.get("response", ""),
    )


MARK, END_MARK = "<mark>", "</mark>"


def highlighted(fragment: str) -> SafeString:
    """An engine's highlight fragment as HTML with only its <mark> tags live.

    Engines escape the text and add <mark>...</mark> (search.engines.base.Hit); should one
    ever hand back a raw tag, any other < or > is escaped here too, so a summary can never
    carry markup onto the page. Already-escaped entities (&amp;, &lt;) pass unchanged."""
    pieces = []
    for i, marked in enumerate(fragment.split(MARK)):
        inside, _, after = marked.partition(END_MARK) if i else ("", "", marked)
        if i:
            pieces.append(MARK + _angles(inside) + END_MARK)
        pieces.append(_angles(after))
    return mark_safe("".join(pieces))  # every piece escaped above  # nosec B308 B703  # every piece escaped above


def _angles(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
