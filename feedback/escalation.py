"""The periodic sweep: escalate overdue cases and close resolved ones whose window has passed."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import workflow
from feedback.models import Case, Status


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    closed: int
    at_top: int
    appeals_escalated: int = 0


def overdue_cases(now: datetime):
    """Open cases past their deadline (and past any date an interim reply promised); a case
    waiting for the citizen has its clock stopped."""
    return Case.objects.filter(
        Q(status=Status.SUBMITTED, acknowledge_due__lt=now)
        | Q(
            Q(expected_by__isnull=True) | Q(expected_by__lt=now),
            status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED],
            resolve_due__lt=now,
        )
    )


def sweep(now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    escalated = at_top = closed = 0
    for case in overdue_cases(now).select_related("institution", "escalated_to").iterator():
        try:
            workflow.escalate(
                case, by=workflow.SYSTEM, reason=_("Deadline passed without an answer."), now=now
            )
            escalated += 1
        except workflow.TransitionNotAllowed:
            at_top += 1  # already at the national level: reports show it as overdue
    expired = Case.objects.filter(status=Status.RESOLVED, reopen_until__lt=now)
    for case in expired.iterator():
        workflow.close(
            case,
            by=workflow.SYSTEM,
            message=_("Closed: the time to reopen passed without a reply."),
            now=now,
        )
        closed += 1
    appeals_escalated = 0
    late_appeals = Case.objects.filter(
        status=Status.APPEALED, appeal__due__lt=now, appeal__decided_at__isnull=True
    )
    for case in late_appeals.iterator():
        try:
            workflow.escalate_appeal(
                case, by=workflow.SYSTEM, reason=_("The appeal was not decided in time."), now=now
            )
            appeals_escalated += 1
        except workflow.TransitionNotAllowed:
            at_top += 1
    return SweepResult(
        escalated=escalated, closed=closed, at_top=at_top, appeals_escalated=appeals_escalated
    )
