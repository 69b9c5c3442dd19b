"""Write an institution's accountability report for a period: the case-level CSV or the
figures CSV (the PDF joins the same table of formats when it is built)."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from feedback.models import Institution
from feedback.reports.csv import case_csv, figures_csv
from feedback.reports.figures import InvalidPeriod, compute_figures, period_bounds


def _case_csv(institution, date_from, date_to, *, subunits, now, language) -> bytes:
    return case_csv(institution, date_from, date_to, subunits=subunits, now=now, language=language)


def _figures_csv(institution, date_from, date_to, *, subunits, now, language) -> bytes:
    with translation.override(language):
        figures = compute_figures(institution, date_from, date_to, subunits=subunits, now=now)
    return figures_csv(figures, language)


# Format name -> the function that renders it; the PDF will be one more entry ("pdf").
RENDERERS = {"csv": _case_csv, "figures-csv": _figures_csv}
NOT_YET = {"pdf": "PDF reports are not available yet: use --format csv or figures-csv."}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: write YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write the accountability report of one institution (with --subunits, also of every "
        "institution below it) for the cases submitted from --from to --to, both days included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True, help="The institution's short code.")
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument(
            "--subunits", action="store_true", help="Count the institutions below it too."
        )
        parser.add_argument("--language", choices=["en", "sw"], default="en")
        parser.add_argument(
            "--format",
            choices=sorted([*RENDERERS, *NOT_YET]),
            help="csv (one row per case), figures-csv (one row per figure), pdf; "
            "default: from the --out file's extension.",
        )
        parser.add_argument("--out", required=True, help="The file to write.")

    def handle(self, *args, **options):
        code = options["institution"]
        institution = Institution.objects.filter(short_code=code).first()
        if institution is None:
            raise CommandError(f"No institution has the short code {code!r}.")
        date_from, date_to = _day(options["date_from"]), _day(options["date_to"])
        try:
            period_bounds(date_from, date_to)
        except InvalidPeriod:
            raise CommandError(
                f"--from {date_from} is after --to {date_to}: the period would be empty."
            ) from None
        out = Path(options["out"])
        fmt = options["format"] or {".pdf": "pdf", ".csv": "csv"}.get(out.suffix.lower())
        if fmt is None:
            raise CommandError("Say --format csv, figures-csv or pdf (or name a .csv file).")
        if fmt in NOT_YET:
            raise CommandError(NOT_YET[fmt])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        content = RENDERERS[fmt](
            institution,
            date_from,
            date_to,
            subunits=options["subunits"],
            now=timezone.now(),
            language=options["language"],
        )
        out.write_bytes(content)
        self.stdout.write(f"Wrote {out} ({len(content)} bytes, {fmt}).")
