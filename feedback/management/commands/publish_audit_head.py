"""Publish today's audit chain head once a day (for a scheduler or cron), so copies kept by
the public and auditors anchor the chain outside the database."""

import time

from django.core.management.base import BaseCommand

from feedback.audit import publish_head


class Command(BaseCommand):
    help = "Publish today's audit chain head on the public page; idempotent within a day."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="try again every N seconds (publishes daily)"
        )

    def handle(self, *args, every=0, **options):
        while True:
            head, created = publish_head()
            state = "published" if created else "already published"
            self.stdout.write(f"{state}: {head}")
            if not every:
                return
            time.sleep(every)
