"""Published outcomes for the search tests: a case taken through the workflow to its outcome,
then its public outcome written as published (until the publication workflow lands, the
row is created directly; the lead switches this to the workflow's outcome actions)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from feedback import workflow
from feedback.models import Institution, Kind, PublicOutcome, Service
from tests.feedback.factories import SubmissionFactory, actor

DAR = ZoneInfo("Africa/Dar_es_Salaam")


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=DAR)


def publish_outcome(
    *,
    summary: str,
    response: str,
    language: str = "en",
    kind: str = Kind.COMPLAINT,
    service: Service | None = None,
    institution: Institution | None = None,
    area: Institution | None = None,
    submitted: str = "2026-03-02",
    days: int = 3,
    published: str | None = None,
    verdict: str = "",  # "" (no answer) | "closed" (citizen confirms) | "rated:N" | "reopened"
) -> PublicOutcome:
    """A case resolved `days` calendar days after `submitted`, with its outcome published."""
    start = at(submitted)
    case = SubmissionFactory(
        kind=kind,
        service=service,
        institution=institution or (service and service.institution),
        area=area,
        language=language,
        consent_to_publish=True,
        subject=summary[:60],
        description=summary,
        now=start,
    ).case
    officer = actor("admin")
    case = workflow.acknowledge(case, by=officer, now=start + timedelta(hours=1))
    case = workflow.start(case, by=officer, now=start + timedelta(hours=2))
    resolved = start + timedelta(days=days, hours=3)
    case = workflow.resolve(case, by=officer, response=response, now=resolved)
    citizen = workflow.citizen_of(case)
    later = resolved + timedelta(hours=1)
    if verdict == "closed":
        case = workflow.close(case, by=citizen, now=later)
    elif verdict.startswith("rated:"):
        case = workflow.rate(case, by=citizen, score=int(verdict[6:]), now=later)
    elif verdict == "reopened":
        case = workflow.reopen(case, by=citizen, reason="Still wrong.", now=later)
    return PublicOutcome.objects.create(
        case=case,
        state=PublicOutcome.State.PUBLISHED,
        language=language,
        summary=summary,
        response=response,
        written_at=later,
        published_at=at(published) if published else later + timedelta(days=1),
    )
