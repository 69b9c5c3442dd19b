"""Generate a report and record that it was generated: the one entry point the command, the
admin and its background task call, for every format (PDF, case-level CSV, figures CSV).

`generate_report(...) -> (bytes, ReportGeneration)` checks who asks (the one rule in
feedback.access, through `may_generate_report`), renders the file in the language asked,
and writes a `ReportGeneration` (chained in the audit history) with the SHA-256 of exactly the
bytes it returns. The file is not stored: an auditor matches a copy by its hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from feedback.access import covers, role_of
from feedback.audit import ChainHead, current_head
from feedback.models import Institution, Role
from feedback.reports.csv import case_csv, figures_csv
from feedback.reports.figures import compute_figures, period_bounds
from feedback.reports.models import ReportFormat, ReportGeneration
from feedback.reports.pdf import render_pdf

# Who may generate reports (the issue: an auditor, an oversight leader, a feedback lead), for
# the institutions their view of the tree covers.
REPORT_ROLES = frozenset({Role.ADMIN, Role.AUDITOR, Role.OVERSIGHT, Role.LEAD})


class ReportNotAllowed(PermissionError):
    """The user may not generate reports for this institution."""


def may_generate_report(user, institution: Institution) -> bool:
    return role_of(user) in REPORT_ROLES and covers(user, institution)


@dataclass(frozen=True)
class ReportScope:
    """Everything a renderer needs: what to report on, in which language, made when, by whom,
    and the audit chain's head at that moment."""

    institution: Institution
    date_from: date
    date_to: date
    subunits: bool
    language: str
    now: datetime
    by: object | None  # a user, or None on the command line
    head: ChainHead


def _case_csv(scope: ReportScope) -> bytes:
    return case_csv(
        scope.institution,
        scope.date_from,
        scope.date_to,
        subunits=scope.subunits,
        now=scope.now,
        language=scope.language,
    )


def _figures(scope: ReportScope):
    return compute_figures(
        scope.institution, scope.date_from, scope.date_to, subunits=scope.subunits, now=scope.now
    )


def _figures_csv(scope: ReportScope) -> bytes:
    return figures_csv(_figures(scope), scope.language)


def _pdf(scope: ReportScope) -> bytes:
    context = {"figures": _figures(scope), "language": scope.language, "scope": scope}
    return render_pdf(context, _case_csv(scope))


RENDERERS: dict[str, Callable[[ReportScope], bytes]] = {
    ReportFormat.CSV: _case_csv,
    ReportFormat.FIGURES_CSV: _figures_csv,
    ReportFormat.PDF: _pdf,
}
MIME_TYPES = {
    ReportFormat.CSV: "text/csv",
    ReportFormat.FIGURES_CSV: "text/csv",
    ReportFormat.PDF: "application/pdf",
}


def generate_report(
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool = False,
    language: str = "en",
    format: str = ReportFormat.PDF,
    by=None,
    now: datetime | None = None,
) -> tuple[bytes, ReportGeneration]:
    """Render the report and record its generation; return the file's bytes and the record.

    `by` is the user asking (None: the command line, which has no user); a user must hold a
    reporting role covering the institution, else ReportNotAllowed. An empty or reversed
    period raises figures.InvalidPeriod; an unknown format, ValueError. `now` is the moment
    the figures are counted at and the cover states (default: now)."""
    period_bounds(date_from, date_to)  # InvalidPeriod before any work
    if format not in RENDERERS:
        raise ValueError(f"unknown report format {format!r}")
    if by is not None and not may_generate_report(by, institution):
        raise ReportNotAllowed(_("You may not generate reports for this institution."))
    scope = ReportScope(
        institution=institution,
        date_from=date_from,
        date_to=date_to,
        subunits=subunits,
        language=language,
        now=now or timezone.now(),
        by=by,
        head=current_head(),
    )
    with translation.override(language):
        content = RENDERERS[format](scope)
    record = ReportGeneration(
        institution=institution,
        date_from=date_from,
        date_to=date_to,
        subunits=subunits,
        language=language,
        format=format,
        generated_at=scope.now,
        generated_by=by,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        head_seq=scope.head.seq,
        head_hash=scope.head.hash,
    )
    record._history_user = by  # simple-history: who, in the chained history row
    with transaction.atomic():
        record.save()
    return content, record
