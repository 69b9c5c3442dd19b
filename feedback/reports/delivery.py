"""Reports handed to staff in the admin: who may ask, for which institutions and periods, and
how the file reaches them (at once for a small scope, through a background task for a large
one, kept privately for a few days and then deleted by the sweep).

The files themselves come from feedback.reports.generation.generate_report, the entry point
the command also calls, which checks who asks and records each generation in the history;
nothing here counts or renders.
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
from feedback.models import Institution
from feedback.reports.figures import cases_in_scope
from feedback.reports.generation import (
    MIME_TYPES,
    RENDERERS,
    REPORT_ROLES,
    ReportNotAllowed,
    generate_report,
    may_generate_report,
)
from feedback.reports.models import ReportFormat
from feedback.reports.requests import ReportRequest
from feedback.tasks import enqueue_with_change

logger = logging.getLogger(__name__)

# A task that started this long ago and never finished died with its worker: run it again.
STALE_AFTER = timedelta(hours=1)


# What the form says of each format, in the order it offers them; the extension of its file.
FORMATS = {
    ReportFormat.PDF: (_("PDF report"), "pdf"),
    ReportFormat.CSV: (_("Case-level CSV (one row per case)"), "csv"),
    ReportFormat.FIGURES_CSV: (_("Figures CSV (one row per figure)"), "csv"),
}
__all__ = ["ReportNotAllowed"]  # raised from here too, by generate_report


@dataclass(frozen=True)
class ReportFile:
    name: str
    content_type: str
    content: bytes


def may_request_reports(user) -> bool:
    """Whether the user may open the reports screen at all (generation's role rule; which
    institutions, `may_generate_report`)."""
    return role_of(user) in REPORT_ROLES


def content_type(fmt: str) -> str:
    mime = MIME_TYPES[fmt]
    return f"{mime}; charset=utf-8" if mime.startswith("text/") else mime


def institutions_for(user) -> QuerySet[Institution]:
    """The institutions this user may report on, in tree order: those feedback.access says
    they cover (the tree is small: hundreds of rows, read once)."""
    if not may_request_reports(user):
        return Institution.objects.none()
    covered = [i.pk for i in Institution.objects.only("pk", "path") if covers(user, i)]
    return Institution.objects.filter(pk__in=covered, is_active=True).order_by("path")


def available_formats() -> list[str]:
    """The formats generate_report writes, in the order the form offers them."""
    return [name for name in FORMATS if name in RENDERERS]


def _check(user, institution: Institution, fmt: str) -> None:
    if not may_generate_report(user, institution):
        raise ReportNotAllowed(f"user {user.pk} may not report on institution {institution.pk}")
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}")


def file_name(
    institution: Institution, date_from: date, date_to: date, subunits: bool, language: str, fmt
) -> str:
    scope = "-with-subunits" if subunits else ""
    kind = "-figures" if fmt == "figures-csv" else ""
    return (
        f"report-{institution.short_code}{scope}-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
        f"{kind}-{language}.{FORMATS[fmt][1]}"
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
    """Generate one report for a user (recorded in the history by generate_report), in the
    request or in the task; refuses an institution outside the user's view."""
    _check(user, institution, fmt)
    content, _record = generate_report(
        institution,
        date_from,
        date_to,
        subunits=subunits,
        language=language,
        format=fmt,
        by=user,
        now=now,
    )
    name = file_name(institution, date_from, date_to, subunits, language, fmt)
    return ReportFile(name, content_type(fmt), content)


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
    if row is None or not row.file or not may_generate_report(user, row.institution):
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
