"""Keeps the search index in step with the published outcomes.

The workflow calls `outcome_changed(case_id)` inside its transaction: a queue row
(PendingIndexUpdate) commits or rolls back with the change, and on commit a background task
(ids only) pushes the case's current document, or its removal, to the engine. While the
engine is down the row stays, with its error, and the task gives up quietly; `drain()`
(the sweep's step and `manage.py search_index sync`) retries every row still queued. A
publication never fails because the engine is down.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from config.page_cache import clear_pages, clear_pages_on_commit
from feedback.models import Case
from feedback.tasks import enqueue_with_change
from search.documents import documents_for_cases
from search.engines import get_engine
from search.models import PendingIndexUpdate

logger = logging.getLogger(__name__)

BATCH = 200


def outcome_changed(case_id: int) -> None:
    """Queue the public outcome of this case for (re)indexing or removal, inside the caller's
    transaction, so the queue entry commits (or rolls back) with the change itself. Never
    raises because a search engine is down."""
    reference = Case.objects.filter(pk=case_id).values_list("reference", flat=True).first()
    PendingIndexUpdate.objects.update_or_create(
        case_id=case_id,
        defaults={"reference": reference or "", "queued_at": timezone.now()},
    )
    enqueue_with_change(sync_outcome, case_id=case_id)
    # The outcome, search and home pages kept in the page cache show it: cleared on commit.
    clear_pages_on_commit()


@task()
def sync_outcome(case_id: int) -> None:
    """The background half of outcome_changed: one case's queue row, pushed to the engine."""
    sync(PendingIndexUpdate.objects.filter(case_id=case_id))


def sync(queue=None) -> tuple[int, int]:
    """Push every queued change (or those of `queue`) to the engine, in batches; a row is
    deleted once the engine took it, kept with the error when not. (done, failed)."""
    queue = PendingIndexUpdate.objects.all() if queue is None else queue
    engine = get_engine()
    done = failed = 0
    last_pk = 0
    while True:
        batch = list(queue.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
        if not batch:
            if done:  # search pages kept while the engine lagged behind the database
                clear_pages()
            return done, failed
        last_pk = batch[-1].pk
        try:
            _push(engine, batch)
        except Exception as error:
            # Engine down (SearchEngineUnavailable) or refusing: the rows stay for the next try.
            logger.warning("search index sync failed for %d cases: %s", len(batch), error)
            _record_failure(batch, error)
            failed += len(batch)
        else:
            _forget(batch)
            done += len(batch)


def _push(engine, batch: list[PendingIndexUpdate]) -> None:
    documents = documents_for_cases(row.case_id for row in batch)
    gone = [row.reference for row in batch if row.case_id not in documents and row.reference]
    if documents:
        engine.index(list(documents.values()))
    if gone:
        engine.remove(gone)


def _forget(batch: list[PendingIndexUpdate]) -> None:
    """Delete the rows pushed, unless the case changed again meanwhile (queued later)."""
    with transaction.atomic():
        for row in batch:
            PendingIndexUpdate.objects.filter(pk=row.pk, queued_at=row.queued_at).delete()


def _record_failure(batch: list[PendingIndexUpdate], error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"[:1000]
    PendingIndexUpdate.objects.filter(pk__in=[row.pk for row in batch]).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now(), last_error=message
    )
