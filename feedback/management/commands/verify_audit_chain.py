"""Prove the audit trail is intact, or name the first history record that was tampered with."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.audit import PublishedFileError, parse_published, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the keyed hash chain over every history record, check published heads and compare "
        "live rows with their history; exit non-zero at the first break."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--published",
            metavar="FILE",
            help="published chain heads as saved from /audit-chain.txt: each must still be in "
            "the chain",
        )

    def handle(self, *args, published=None, **options):
        heads = []
        if published:
            try:
                heads = parse_published(Path(published).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, PublishedFileError) as error:
                raise CommandError(
                    f"cannot read published heads from {published}: {error}"
                ) from error
        report = verify_chain(published=heads)
        if not report.ok:
            where = f"{report.model} {report.record_id}" if report.model else "the chain head"
            at = f"at chain position {report.position}: " if report.position else ""
            raise CommandError(
                f"TAMPERED {at}{where}: {report.problem}. "
                f"{report.checked} record(s) in the chain verified."
            )
        against = f"; {len(heads)} published head(s) found in it" if published else ""
        self.stdout.write(
            f"OK: {report.checked} history records verified; chain head {report.head_hash}{against}"
        )
