"""The accountability report as an archival PDF: WeasyPrint renders a Django template from the
figures and the list of overdue and escalated cases, as PDF/A-3a (tagged), with the case-level
CSV embedded as `cases.csv`.

Reproducible enough to hash: the document's dates are the report's `now` (WeasyPrint writes
them into the Info dictionary and the XMP metadata from the `dcterms` meta tags), the charts
carry no random ids, and the fonts come from the system (DejaVu Sans, covering Swahili), so the
same inputs on the same machine give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from feedback.audit import ChainHead, ChainReport
from feedback.reports import charts
from feedback.reports.charts import NOT_APPLICABLE, percent
from feedback.reports.figures import BREAKDOWNS, HEADLINE, TREND, Figures

PDF_VARIANT = "pdf/a-3a"


@dataclass(frozen=True)
class ListedCase:
    """One line of the overdue and escalated cases: no personal data."""

    reference: str
    service: str
    institution: str
    age_working_days: int
    level: int
    escalated_to: str
    overdue: bool


def display(value) -> str:
    """A figure as the PDF prints it: shares as percentages with one decimal, averages with
    two, counts as integers, and a dash where a figure has no value (nothing to measure)."""
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, Decimal) and value <= 1 and value.as_tuple().exponent == -4:
        return percent(value)
    return str(value)


def _shares(attribute: str) -> bool:
    return attribute.endswith("_share")


def render_pdf(
    figures: Figures,
    cases: Sequence[ListedCase],
    cases_csv: bytes,
    *,
    listed_of: int,
    generated_by: str,
    head: ChainHead,
    chain: ChainReport | None,
) -> bytes:
    """The PDF's bytes. `cases` are the overdue and escalated cases listed (the first
    `len(cases)` of `listed_of`); `chain` is the result of the audit chain check (None: not
    run for this report)."""
    headline = [
        {
            "attribute": attribute,
            "name": name,
            "value": display(getattr(figures, attribute)),
            "definition": definition,
            "share": _shares(attribute),
        }
        for attribute, name, definition in HEADLINE
    ]
    breakdowns = [
        {
            "name": name,
            "definition": definition,
            "tallies": getattr(figures, attribute),
            # Services and institutions are named by code too; kinds, statuses, channels not.
            "codes": attribute in ("by_service", "by_subunit"),
        }
        for attribute, name, definition in BREAKDOWNS
        if getattr(figures, attribute) or attribute != "by_subunit"
    ]
    generated_at = timezone.localtime(figures.now, timezone.get_default_timezone())
    context = {
        "figures": figures,
        "headline": headline,
        "breakdowns": breakdowns,
        "trend_definitions": TREND,
        "trend_chart": charts.trend_chart(figures),
        "compliance_chart": charts.compliance_chart(figures),
        "cases": cases,
        "listed_of": listed_of,
        "generated_at": generated_at,
        "created": _iso(generated_at),
        "generated_by": generated_by,
        "head": head,
        "chain": chain,
        "csv_bytes": len(cases_csv),
    }
    html = render_to_string("feedback/reports/report.html", context)
    # Imported here: WeasyPrint parses its default stylesheets on import (about half a
    # second), which every web and worker process would pay at start for a rare report.
    from weasyprint import HTML, Attachment

    attachment = Attachment(
        string=cases_csv,
        name="cases.csv",  # text/csv, from the extension
        relationship="Data",
        description="cases.csv",
        created=figures.now,
        modified=figures.now,
    )
    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment])


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
