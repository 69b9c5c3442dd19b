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
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from feedback import sla
from feedback.access import covers, role_of
from feedback.audit import ChainHead, current_head, verify_chain
from feedback.models import Case, Institution, Role
from feedback.reports.csv import case_csv, figures_csv
from feedback.reports.figures import cases_in_scope, compute_figures, period_bounds
from feedback.reports.models import ReportFormat, ReportGeneration
from feedback.reports.pdf import ListedCase, render_pdf

# Who may generate reports (the issue: an auditor, an oversight leader, a feedback lead), for
# the institutions their view of the tree covers.
REPORT_ROLES = frozenset({Role.ADMIN, Role.AUDITOR, Role.OVERSIGHT, Role.LEAD})
# The PDF lists at most this many overdue or escalated cases (the oldest); the embedded CSV
# holds every case, with its overdue and escalation columns.
LISTED_CASES = 100


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
    check_chain: bool = True


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


def listed_cases(scope: ReportScope) -> tuple[list[ListedCase], int]:
    """The overdue and escalated cases in scope, oldest first: the first LISTED_CASES of them
    (all of them are in the embedded CSV), and how many there are. No personal data."""
    cases = cases_in_scope(
        scope.institution, scope.date_from, scope.date_to, subunits=scope.subunits
    ).filter(Q(pk__in=Case.objects.overdue(scope.now).values("pk")) | Q(escalation_count__gt=0))
    total = cases.count()
    rows = (
        cases.annotate(is_overdue=Exists(Case.objects.overdue(scope.now).filter(pk=OuterRef("pk"))))
        .select_related("service", "institution", "escalated_to")
        .order_by("submitted_at", "reference")[:LISTED_CASES]
    )
    country = sla.default_country()
    return [
        ListedCase(
            reference=case.reference,
            service=str(case.service or ""),
            institution=str(case.institution),
            age_working_days=sla.working_days_between(case.submitted_at, scope.now, country),
            level=case.escalation_level,
            escalated_to=str(case.escalated_to or ""),
            overdue=case.is_overdue,
        )
        for case in rows
    ], total


def _who(user) -> str:
    if user is None:
        return str(_("The command line (manage.py accountability_report)"))
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def pdf_inputs(scope: ReportScope) -> dict:
    """What the PDF is rendered from, all read from the database: the figures, the listed
    cases, the case-level CSV it embeds and the chain check (the aggregation half of a PDF;
    bench/reports.py times it apart from the rendering)."""
    cases, listed_of = listed_cases(scope)
    return {
        "figures": _figures(scope),
        "cases": cases,
        "cases_csv": _case_csv(scope),
        "listed_of": listed_of,
        "generated_by": _who(scope.by),
        "head": scope.head,
        "chain": verify_chain() if scope.check_chain else None,
    }


def _pdf(scope: ReportScope) -> bytes:
    return render_pdf(**pdf_inputs(scope))


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
    check_chain: bool = True,
) -> tuple[bytes, ReportGeneration]:
    """Render the report and record its generation; return the file's bytes and the record.

    `by` is the user asking (None: the command line, which has no user); a user must hold a
    reporting role covering the institution, else ReportNotAllowed. An empty or reversed
    period raises figures.InvalidPeriod; an unknown format, ValueError. `now` is the moment
    the figures are counted at and the cover states (default: now). `check_chain`: walk the
    whole audit chain (feedback.audit.verify_chain) and print the result in the PDF; it reads
    every history record ever written (about 1,500 records a second here), so a large
    deployment may leave it to the daily check and print only the head."""
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
        check_chain=check_chain,
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
