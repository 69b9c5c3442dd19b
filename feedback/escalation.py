"""The periodic sweep: escalate overdue cases, close resolved ones whose window has passed,
move late appeals up, and the housekeeping that goes with it.

Each case is acted on in its own transaction, through the workflow, which checks again under
the row lock that the case is still overdue: two sweeps at once, or a citizen answering
between the sweep's query and its lock, make the second attempt a refusal, not a second
escalation. Each case, and each step, fails alone: one bad row never stops the rest.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import workflow
from feedback.drafts import purge_stale_drafts
from feedback.models import Case, Status
from feedback.privacy import erase_expired_contacts, prune_expired_records

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    counts: Counter = field(default_factory=Counter)
    failed_steps: list[str] = field(default_factory=list)


def overdue_cases(now: datetime):
    return Case.objects.overdue(now)


def _each(cases: Iterable[Case], act, result: SweepResult, done: str, level=None):
    level = level or (lambda case: case.handling_institution)
    for case in cases:
        try:
            act(case)
        except workflow.TransitionNotAllowed:
            # Refused under the lock: another sweep or the citizen got there first, or the
            # case (or its appeal) is at the top of the tree (reports show it as overdue).
            at_top = level(case).get_parent() is None
            result.counts["at_top" if at_top else "skipped"] += 1
        except Exception:
            logger.exception("sweep: %s failed on case %s", done, case.pk)
            result.counts["failed"] += 1
        else:
            result.counts[done] += 1


def _each_case(select, act, done: str, level=None):
    """A step that takes one workflow action on every case a query selects; `level` is where
    the case (or its appeal) sits in the tree."""

    def step(now, result):
        _each(select(now).iterator(), lambda case: act(case, now), result, done, level)

    return step


def _escalate(case, now):
    reason = _("Deadline passed without an answer.")
    return workflow.escalate(case, by=workflow.SYSTEM, reason=reason, now=now)


def _close(case, now):
    message = _("Closed: the time to reopen passed without a reply.")
    return workflow.close(case, by=workflow.SYSTEM, message=message, now=now)


def _escalate_appeal(case, now):
    reason = _("The appeal was not decided in time.")
    return workflow.escalate_appeal(case, by=workflow.SYSTEM, reason=reason, now=now)


def _late_appeals(now):
    return Case.objects.filter(
        status=Status.APPEALED, appeal__due__lt=now, appeal__decided_at__isnull=True
    ).select_related("appeal__institution")


def _purge_drafts(now, result):
    result.counts["drafts_deleted"] += purge_stale_drafts()


def _erase_contacts(now, result):
    result.counts["contacts_erased"] += erase_expired_contacts(now)


def _prune_records(now, result):
    result.counts["pruned"] += prune_expired_records(now)


def _delete_reports(now, result):
    from feedback.reports.delivery import delete_expired_reports  # loads the PDF renderer

    result.counts["reports_deleted"] += delete_expired_reports(now)


def _sync_search_index(now, result):
    from search import indexing  # search builds on feedback: imported when the step runs

    done, failed = indexing.sync()
    if done:
        result.counts["search_synced"] += done
    if failed:
        result.counts["search_still_queued"] += failed


STEPS = [
    (
        "escalate overdue cases",
        _each_case(
            lambda now: overdue_cases(now).select_related("institution", "escalated_to"),
            _escalate,
            "escalated",
        ),
    ),
    (
        "close resolved cases",
        _each_case(
            lambda now: Case.objects.filter(status=Status.RESOLVED, reopen_until__lt=now),
            _close,
            "closed",
        ),
    ),
    (
        "escalate late appeals",
        _each_case(
            _late_appeals,
            _escalate_appeal,
            "appeals_escalated",
            level=lambda case: case.appeal.institution,
        ),
    ),
    ("delete abandoned drafts", _purge_drafts),
    ("erase expired contact details", _erase_contacts),
    ("delete finished task rows and expired sessions", _prune_records),
    ("delete generated reports past their retention", _delete_reports),
    ("push queued changes to the search index", _sync_search_index),
]


def sweep(now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    for name, step in STEPS:
        try:
            step(now, result)
        except Exception:
            logger.exception("sweep step %r failed", name)
            result.failed_steps.append(name)
    return result
