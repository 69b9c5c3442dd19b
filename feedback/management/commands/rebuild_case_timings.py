"""Rebuild the reports' per-case working days from the chained facts, or check them."""

from django.core.management.base import BaseCommand, CommandError

from feedback.reports.timings import case_timing_mismatches, rebuild_case_timings


class Command(BaseCommand):
    help = (
        "Write the reports' per-case working days (feedback.CaseTiming) again from the chained "
        "case facts; with --check, only compare and exit non-zero on a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; change nothing.")

    def handle(self, *args, check=False, **options):
        if check:
            wrong = case_timing_mismatches()
            if wrong:
                raise CommandError(
                    f"{len(wrong)} case timings differ from the chained facts (case ids: "
                    f"{', '.join(map(str, wrong[:20]))}); run rebuild_case_timings."
                )
            self.stdout.write("Case timings match the chained facts.")
            return
        count = rebuild_case_timings()
        self.stdout.write(f"Rebuilt {count} case timings from the chained facts.")
