"""Run the SLA sweep once, or every N seconds (for a scheduler container or cron)."""

import time

from django.core.management.base import BaseCommand

from feedback.escalation import sweep


class Command(BaseCommand):
    help = "Escalate overdue cases and close resolved cases whose reopening window has passed."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every=0, **options):
        while True:
            result = sweep()
            self.stdout.write(
                f"escalated {result.escalated}, closed {result.closed}, "
                f"overdue at the top level {result.at_top}"
            )
            if not every:
                return
            time.sleep(every)
