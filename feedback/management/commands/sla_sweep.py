"""Run the periodic sweep once, or every N seconds (for a scheduler container or cron):
escalate overdue cases, close expired resolutions, delete abandoned web drafts and erase
contact details whose retention period has ended, and delete finished task rows and expired
sessions."""

import time

from django.core.management.base import BaseCommand

from feedback.drafts import purge_stale_drafts
from feedback.escalation import sweep
from feedback.privacy import erase_expired_contacts, prune_expired_records


class Command(BaseCommand):
    help = "Escalate overdue cases and close resolved cases whose reopening window has passed."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every=0, **options):
        while True:
            result = sweep()
            purged = purge_stale_drafts()
            erased = erase_expired_contacts()
            pruned = prune_expired_records()
            self.stdout.write(
                f"escalated {result.escalated} cases and {result.appeals_escalated} appeals, "
                f"closed {result.closed}, "
                f"overdue at the top level {result.at_top}, stale drafts deleted {purged}, "
                f"contacts erased {erased}, finished tasks pruned {pruned}"
            )
            if not every:
                return
            time.sleep(every)
