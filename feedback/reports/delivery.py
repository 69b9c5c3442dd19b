"""Reports handed to staff in the admin: who may ask, for which institutions and periods, and
how the file reaches them (at once for a small scope, through a background task for a large
one, kept privately for a few days and then deleted by the sweep).

The figures and files themselves come from the renderers (the `accountability_report`
command's table, the same code that writes them on the command line); nothing here counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from feedback.access import covers, role_of
from feedback.models import Institution, Role
from feedback.reports.figures import cases_in_scope
from feedback.reports.requests import ReportRequest
from feedback.tasks import enqueue_with_change

logger = logging.getLogger(__name__)

# The staff who read reports (DESIGN.md, "Who uses it"); which institutions each may choose
# is feedback.access's rule (`covers`).
REPORT_ROLES = frozenset({Role.AUDITOR, Role.OVERSIGHT, Role.LEAD})

# A task that started this long ago and never finished died with its worker: run it again.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Format:
    label: object
    extension: str
    content_type: str


FORMATS = {
    "pdf": Format(_("PDF report"), "pdf", "application/pdf"),
    "csv": Format(_("Case-level CSV (one row per case)"), "csv", "text/csv; charset=utf-8"),
    "figures-csv": Format(_("Figures CSV (one row per figure)"), "csv", "text/csv; charset=utf-8"),
}


class ReportNotAllowed(PermissionError):
    """The user may not have this report (their role, or an institution outside their view)."""


@dataclass(frozen=True)
class ReportFile:
    name: str
    content_type: str
    content: bytes


def may_request_reports(user) -> bool:
    return role_of(user) in REPORT_ROLES


def institutions_for(user) -> QuerySet[Institution]:
    """The institutions this user may report on, in tree order: those feedback.access says
    they cover (the tree is small: hundreds of rows, read once)."""
    if not may_request_reports(user):
        return Institution.objects.none()
    covered = [i.pk for i in Institution.objects.only("pk", "path") if covers(user, i)]
    return Institution.objects.filter(pk__in=covered, is_active=True).order_by("path")


def _renderers() -> dict:
    # The command owns the table of formats, so the admin and the command render alike.
    from feedback.management.commands.accountability_report import RENDERERS

    return RENDERERS


def available_formats() -> list[str]:
    """The formats the renderers can write today, in the order the form offers them."""
    renderers = _renderers()
    return [name for name in FORMATS if name in renderers]


def _check(user, institution: Institution, fmt: str) -> None:
    if not may_request_reports(user) or not covers(user, institution):
        raise ReportNotAllowed(f"user {user.pk} may not report on institution {institution.pk}")
    if fmt not in available_formats():
        raise ValueError(f"unknown report format {fmt!r}")


def file_name(
    institution: Institution, date_from: date, date_to: date, subunits: bool, language: str, fmt
) -> str:
    scope = "-with-subunits" if subunits else ""
    kind = "-figures" if fmt == "figures-csv" else ""
    return (
        f"report-{institution.short_code}{scope}-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
        f"{kind}-{language}.{FORMATS[fmt].extension}"
    )


def scope_size(institution: Institution, date_from: date, date_to: date, subunits: bool) -> int:
    """How many cases the report would cover (one COUNT query)."""
    return cases_in_scope(institution, date_from, date_to, subunits=subunits).count()


def runs_in_background(cases: int) -> bool:
    return cases > settings.REPORT_BACKGROUND_CASES


def render_report(
    user,
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool,
    language: str,
    fmt: str,
    now: datetime,
) -> ReportFile:
    """Render one report for a user, in the request or in the task; refuses outside scope."""
    _check(user, institution, fmt)
    content = _renderers()[fmt](
        institution, date_from, date_to, subunits=subunits, now=now, language=language
    )
    name = file_name(institution, date_from, date_to, subunits, language, fmt)
    return ReportFile(name, FORMATS[fmt].content_type, content)


def request_report(
    user,
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool,
    language: str,
    fmt: str,
    cases: int,
    now: datetime,
) -> ReportRequest:
    """Record the request and queue its task, which is given the row's id and nothing else."""
    _check(user, institution, fmt)
    with transaction.atomic():
        row = ReportRequest.objects.create(
            requested_by=user,
            institution=institution,
            date_from=date_from,
            date_to=date_to,
            subunits=subunits,
            language=language,
            format=fmt,
            cases=cases,
            created_at=now,
        )
        enqueue_with_change(generate_requested_report, request_id=row.pk)
    return row


def _claim(request_id: int, now: datetime) -> ReportRequest | None:
    """Mark the request as running, unless it is finished, gone, or running elsewhere."""
    with transaction.atomic():
        row = (
            ReportRequest.objects.select_for_update()
            .select_related("institution", "requested_by")
            .filter(pk=request_id)
            .first()
        )
        if row is None or row.is_finished:
            return None
        if row.state == ReportRequest.State.RUNNING and row.started_at > now - STALE_AFTER:
            return None
        row.state, row.started_at, row.progress = ReportRequest.State.RUNNING, now, 10
        row.save(update_fields=["state", "started_at", "progress"])
    return row


def _progress(row: ReportRequest, percent: int) -> None:
    row.progress = percent
    row.save(update_fields=["progress"])


@task()
def generate_requested_report(request_id: int) -> None:
    """Generate a requested report into private storage. Idempotent: a request that is
    finished (or being generated by another worker) is left as it is."""
    now = timezone.now()
    row = _claim(request_id, now)
    if row is None:
        return
    try:
        report = render_report(
            row.requested_by,
            row.institution,
            row.date_from,
            row.date_to,
            subunits=row.subunits,
            language=row.language,
            fmt=row.format,
            now=now,
        )
        _progress(row, 90)
        row.file.save(report.name, ContentFile(report.content), save=False)
    except Exception:
        logger.exception("report request %s failed", request_id)
        row.state, row.finished_at = ReportRequest.State.FAILED, timezone.now()
        row.save(update_fields=["state", "finished_at"])
        raise
    row.state, row.progress, row.finished_at = ReportRequest.State.READY, 100, timezone.now()
    row.save(update_fields=["file", "state", "progress", "finished_at"])


def requests_of(user) -> QuerySet[ReportRequest]:
    """The user's own report requests; nobody sees another's."""
    if not may_request_reports(user):
        return ReportRequest.objects.none()
    return ReportRequest.objects.filter(requested_by=user).select_related("institution")


def ready_file_of(user, request_id: int) -> ReportRequest | None:
    """The finished request whose file this user may download: their own, of an institution
    they still cover; None otherwise."""
    row = requests_of(user).filter(pk=request_id, state=ReportRequest.State.READY).first()
    if row is None or not row.file or not covers(user, row.institution):
        return None
    return row


def delete_expired_reports(now: datetime) -> int:
    """Delete requests (and their files) older than REPORT_RETENTION_DAYS; return how many."""
    cutoff = now - timedelta(days=settings.REPORT_RETENTION_DAYS)
    deleted = 0
    for row in ReportRequest.objects.filter(created_at__lt=cutoff).iterator():
        if row.file:
            row.file.delete(save=False)
        row.delete()
        deleted += 1
    return deleted
