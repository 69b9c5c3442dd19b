"""`search_index rebuild | verify | sync`: load, check and catch up the outcome search index."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search import indexing
from search.documents import public_documents, public_outcomes
from search.engines import get_engine
from search.engines.elasticsearch import SearchEngineUnavailable
from search.verification import verify

SHOWN = 10


class ProgressBar:
    """A plain text progress bar (tqdm is not in the locks): count, rate, percentage."""

    def __init__(self, total: int, stream=sys.stderr, width: int = 30):
        self.total, self.stream, self.width = total, stream, width
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        share = done / self.total if self.total else 1
        filled = int(self.width * share)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {share:4.0%} {rate:,.0f}/s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


class Command(BaseCommand):
    help = "Rebuild, verify or catch up the search index of published outcomes."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "verify", "sync"])
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args, action, quiet_progress=False, **options):
        engine = get_engine()
        try:
            getattr(self, action)(engine, quiet_progress)
        except SearchEngineUnavailable as error:
            raise CommandError(f"the {engine.name} engine is unavailable: {error}") from error

    def rebuild(self, engine, quiet_progress):
        total = public_outcomes().count()
        bar = None if quiet_progress else ProgressBar(total, stream=self.stderr)
        started = time.monotonic()
        count = engine.rebuild(public_documents(), progress=bar)
        if bar:
            bar.close()
        seconds = time.monotonic() - started
        self.stdout.write(
            f"rebuilt the {engine.name} index: {count} outcomes in {seconds:.1f}s "
            f"({count / max(seconds, 1e-6):,.0f}/s)"
        )

    def verify(self, engine, quiet_progress):
        result = verify(engine)
        self.stdout.write(
            f"checked {result.checked} published outcomes against the {engine.name} index: "
            f"{len(result.missing)} missing, {len(result.stale)} stale, {len(result.extra)} extra"
        )
        for label, references in (
            ("missing", result.missing),
            ("stale", result.stale),
            ("extra", result.extra),
        ):
            if references:
                more = f" (and {len(references) - SHOWN} more)" if len(references) > SHOWN else ""
                self.stdout.write(f"  {label}: {', '.join(references[:SHOWN])}{more}")
        if not result.clean:
            raise CommandError("the index differs from the published outcomes")

    def sync(self, engine, quiet_progress):
        done, failed = indexing.sync()
        self.stdout.write(f"synced {done} queued changes; {failed} still queued")
        if failed:
            raise CommandError(f"{failed} changes could not reach the {engine.name} engine")
