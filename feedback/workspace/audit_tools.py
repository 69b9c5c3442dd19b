"""The auditor's tools: run the audit-chain check from the admin (in a background task, since
it walks every history record ever written), read the last result, and the exports an
auditor downloads.

`start_chain_check(user)` records who asked and when (a ChainCheck, chained itself) and
queues `run_chain_check` with the row's id; the task runs feedback.audit.verify_chain and
writes what it found. Views stay thin: feedback.workspace.dashboard_views.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from feedback.access import role_of
from feedback.audit import ChainReport, current_head, verify_chain
from feedback.models import Role
from feedback.tasks import enqueue_with_change
from feedback.workspace.chain_checks import ChainCheck

logger = logging.getLogger(__name__)

AUDIT_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
# A check that started this long ago and never finished died with its worker (a big registry
# walks a few million records an hour here): a new one may start.
STALE_AFTER = timedelta(hours=6)


class ChainCheckNotAllowed(PermissionError):
    """Only auditors and administrators run the audit-chain check."""


def may_check_chain(user) -> bool:
    return role_of(user) in AUDIT_ROLES


def checks() -> QuerySet[ChainCheck]:
    return ChainCheck.objects.select_related("requested_by")


def latest_finished() -> ChainCheck | None:
    return checks().filter(state=ChainCheck.State.DONE).first()


def in_progress(now: datetime) -> ChainCheck | None:
    """A check queued or running (and not abandoned): a second one would only repeat it."""
    return (
        checks()
        .filter(state__in=[ChainCheck.State.QUEUED, ChainCheck.State.RUNNING])
        .filter(requested_at__gt=now - STALE_AFTER)
        .first()
    )


def start_chain_check(user, now: datetime | None = None) -> ChainCheck:
    """Record the request and queue the check; while one is already under way, return it."""
    if not may_check_chain(user):
        raise ChainCheckNotAllowed(f"user {user.pk} may not run the audit-chain check")
    now = now or timezone.now()
    with transaction.atomic():
        running = in_progress(now)
        if running is not None:
            return running
        check = ChainCheck(
            requested_by=user, requested_at=now, head_seq_at_start=current_head().seq
        )
        check._history_user = user  # simple-history: who, in the chained history row
        check.save()
        enqueue_with_change(run_chain_check, check_id=check.pk)
    return check


def _claim(check_id: int, now: datetime) -> ChainCheck | None:
    with transaction.atomic():
        check = ChainCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.state != ChainCheck.State.QUEUED:
            return None
        check.state, check.started_at = ChainCheck.State.RUNNING, now
        check.head_seq_at_start = current_head().seq
        check.save()
    return check


def _verify_in_one_snapshot() -> ChainReport:
    """verify_chain over one consistent view of the database. The registry keeps changing
    while a long check runs; read at different moments, the chain's records, its head and the
    live rows would disagree and a sound chain would look cut. On PostgreSQL a REPEATABLE READ
    transaction gives every query the same snapshot. SQLite (development) serialises writers
    anyway; inside a transaction already (a test) there is nothing to set."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return verify_chain()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return verify_chain()


@task()
def run_chain_check(check_id: int) -> None:
    """Run a requested check and record its result. Idempotent: a check already started or
    finished is left as it is."""
    check = _claim(check_id, timezone.now())
    if check is None:
        return
    try:
        report = _verify_in_one_snapshot()
    except Exception:
        logger.exception("audit-chain check %s failed", check_id)
        check.state, check.finished_at = ChainCheck.State.FAILED, timezone.now()
        check.save()
        raise
    check.state, check.finished_at = ChainCheck.State.DONE, timezone.now()
    check.intact, check.checked, check.head_hash = report.ok, report.checked, report.head_hash
    check.problem, check.problem_model = report.problem, report.model
    check.problem_record, check.problem_position = report.record_id, report.position
    check.save()


def exports() -> list[tuple[str, str, str]]:
    """(label, url, icon) of what an auditor downloads: the reports, the case list's CSV, the
    published chain heads (public, for a copy kept outside the registry)."""
    return [
        (_("Reports to download: PDF and CSV"), reverse("feedback_reports:index"), "doc-full"),
        (_("Case list as CSV"), reverse("feedback_case:index") + "?export=csv", "download"),
        (_("Published audit-chain heads"), reverse("audit_chain"), "link-external"),
        (_("Published heads as a text file"), reverse("audit_chain_text"), "download"),
    ]
