"""Re-encrypt every contact detail (and web draft) under the newest CONTACT_ENCRYPTION_KEYS key,
so the older keys can be dropped (feedback.encryption.rotate_all)."""

from django.core.management.base import BaseCommand, CommandError

from feedback.encryption import UnreadableContact, encryption_keys, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the first key of CONTACT_ENCRYPTION_KEYS. "
        "Put the new key first (every running process must have it), run this, then drop the "
        "old key. Runs in locked batches while the site runs; safe to run again or to resume "
        "after an interruption: values already under the newest key are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        keys = encryption_keys()
        self.stdout.write(f"{len(keys)} key(s) in CONTACT_ENCRYPTION_KEYS; encrypting with key 1.")
        try:
            results = rotate_all(options["batch_size"])
        except UnreadableContact as error:
            raise CommandError(
                f"{error} Put back the key it was written with, run again: the rows done so far "
                "are kept."
            ) from None
        for result in results:
            self.stdout.write(
                f"{result.model}: {result.rotated} row(s) re-encrypted, "
                f"{result.current} already under the newest key."
            )
