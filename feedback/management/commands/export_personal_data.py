"""Print, as JSON, everything the registry holds about the person with a phone number or an
e-mail address: every case of theirs, each export recorded (feedback.privacy)."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from feedback.privacy import DataSubjectRefused, export_data_subject


class Command(BaseCommand):
    help = (
        "Export a data subject's cases (found by exact phone number, in any form, or e-mail "
        "address) as one JSON document on stdout. Each case's export is recorded in the audit "
        "history with --reason, as done by --by (an administrator)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", default="", help="e.g. 0712 345 678 or +255712345678")
        parser.add_argument("--email", default="")
        parser.add_argument("--reason", required=True, help="The request, and who made it.")
        parser.add_argument(
            "--by", required=True, help="Username of the administrator the export is recorded as."
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['by']!r}.")
        try:
            export = export_data_subject(
                user, phone=options["phone"], email=options["email"], reason=options["reason"]
            )
        except DataSubjectRefused as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(json.dumps(export, ensure_ascii=False, indent=2))
        self.stderr.write(f"{len(export['cases'])} case(s) exported and recorded.")
