"""Run the periodic sweep once, or every N seconds (for a scheduler container or cron):
escalate overdue cases, close expired resolutions, and delete abandoned web drafts."""

import time

from django.core.management.base import BaseCommand

from feedback.drafts import purge_stale_drafts
from feedback.escalation import sweep


class Command(BaseCommand):
    help = "Escalate overdue cases and close resolved cases whose reopening window has passed."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every=0, **options):
        while True:
            result = sweep()
            purged = purge_stale_drafts()
            self.stdout.write(
                f"escalated {result.escalated}, closed {result.closed}, "
                f"overdue at the top level {result.at_top}, stale drafts deleted {purged}"
            )
            if not every:
                return
            time.sleep(every)
