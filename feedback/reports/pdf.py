"""The accountability report as an archival PDF (PDF/A-3a, tagged) with the case-level CSV
embedded: WeasyPrint renders a Django template from figures and a case list."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML, Attachment


def render_pdf(context: dict, cases_csv: bytes) -> bytes:
    """The PDF's bytes, from the template context (figures, cases, who, when, the chain) and
    the case-level CSV it embeds as cases.csv."""
    html = render_to_string("feedback/reports/report.html", context)
    attachment = Attachment(string=cases_csv, name="cases.csv", media_type="text/csv")
    return HTML(string=html).write_pdf(pdf_variant="pdf/a-3a", attachments=[attachment])
