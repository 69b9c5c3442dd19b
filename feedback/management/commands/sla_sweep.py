"""Run the periodic sweep once, or every N seconds (for a scheduler container or cron):
escalate overdue cases, close expired resolutions, move late appeals up, delete abandoned
web drafts, erase contact details whose retention period has ended, and delete finished task
rows and expired sessions."""

import time

from django.core.management.base import BaseCommand

from feedback.escalation import sweep


class Command(BaseCommand):
    help = "Escalate overdue cases and close resolved cases whose reopening window has passed."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every=0, **options):
        while True:
            sweep_result = sweep()
            counts = sweep_result.counts
            self.stdout.write(
                f"escalated {counts['escalated']} cases and {counts['appeals_escalated']} "
                f"appeals, closed {counts['closed']}, overdue at the top level "
                f"{counts['at_top']}, skipped {counts['skipped']}, failed {counts['failed']}, "
                f"stale drafts deleted {counts['drafts_deleted']}, "
                f"contacts erased {counts['contacts_erased']}, "
                f"finished task rows pruned {counts['pruned']}"
            )
            for step in sweep_result.failed_steps:
                self.stderr.write(f"step failed: {step} (see the log)")
            if not every:
                return
            time.sleep(every)
