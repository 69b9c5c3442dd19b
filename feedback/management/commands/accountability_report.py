"""Write an institution's accountability report for a period: the PDF, the case-level CSV or
the figures CSV, through feedback.reports.generation.generate_report (which records it)."""

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from feedback.models import Institution
from feedback.reports.figures import InvalidPeriod, period_bounds
from feedback.reports.generation import RENDERERS, ReportNotAllowed, generate_report

EXTENSIONS = {".pdf": "pdf", ".csv": "csv"}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: write YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write the accountability report of one institution (with --subunits, also of every "
        "institution below it) for the cases submitted from --from to --to, both days included. "
        "Each generation is recorded in the audit history with the file's SHA-256."
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
            choices=sorted(str(name) for name in RENDERERS),
            help="pdf, csv (one row per case), figures-csv (one row per figure); "
            "default: from the --out file's extension.",
        )
        parser.add_argument(
            "--user",
            help="Generate as this user (their reporting role and scope apply); "
            "default: no user, recorded as the command line.",
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
        fmt = options["format"] or EXTENSIONS.get(out.suffix.lower())
        if fmt is None:
            raise CommandError(
                "Say --format pdf, csv or figures-csv (or name a .pdf or .csv file)."
            )
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is called {options['user']!r}.")
        try:
            content, record = generate_report(
                institution,
                date_from,
                date_to,
                subunits=options["subunits"],
                language=options["language"],
                format=fmt,
                by=user,
            )
        except ReportNotAllowed:
            raise CommandError(
                f"{user.username} may not generate reports for {institution.short_code}."
            ) from None
        out.write_bytes(content)
        self.stdout.write(f"Wrote {out} ({len(content)} bytes, {fmt}, sha256 {record.sha256}).")
