"""Prove the audit trail is intact, or name the first history record that was tampered with."""

from django.core.management.base import BaseCommand, CommandError

from feedback.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the hash chain over every history record; exit non-zero at the first break."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            where = f"{report.model} {report.record_id}" if report.model else "the chain head"
            raise CommandError(
                f"TAMPERED at chain position {report.position}: {where}: {report.problem}. "
                f"{report.checked} record(s) before it verified."
            )
        self.stdout.write(
            f"OK: {report.checked} history records verified; chain head {report.head_hash}"
        )
