"""The frame of background deliveries: queued with their change, retried with back-off, pruned.

A task row lives in the database (django-tasks-db) where anyone with read access sees it, so
tasks carry ids only (a case, an event, an action, an institution): the text, the phone
number or address and any PIN are looked up or drawn when the task runs, never written to
the row. The tasks themselves live with what they deliver (feedback.notifications,
feedback.pin_recovery).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db.models import DBTaskResult

from feedback.sms import SMSDeliveryError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 60

# What a gateway raises when it may accept the message later; smtplib's errors and refused
# connections are OSErrors.
DELIVERY_ERRORS = (SMSDeliveryError, OSError)


class DeliveryFailed(Exception):
    """Every attempt failed; the task ends as failed and stays visible in the queue."""


def enqueue_with_change(task_obj, **kwargs) -> None:
    """Queue a task as part of the change that caused it; arguments are ids, by keyword.

    On the database queue the task row is written in the caller's transaction, so the change
    and its notification commit or vanish together. An in-process backend would run the task
    at once, before the change is even committed, so there it waits for the commit.
    """
    if isinstance(task_obj.get_backend(), ImmediateBackend):
        transaction.on_commit(lambda: task_obj.enqueue(**kwargs))
    else:
        task_obj.enqueue(**kwargs)


def deliver_or_retry(task_obj, attempt: int, deliver: Callable[[], object], **kwargs) -> None:
    """Run one delivery; when the gateway fails, queue the same ids again, later.

    Only the error's class is logged and kept: a gateway's message may quote the number or
    the text it refused, and the failed row outlives the attempt.
    """
    try:
        deliver()
    except DELIVERY_ERRORS as error:
        reason = type(error).__name__
        if attempt >= MAX_ATTEMPTS:
            raise DeliveryFailed(f"gave up after {attempt} attempts: {reason}") from None
        delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempt - 1))
        logger.warning("delivery attempt %s failed (%s); retrying in %s", attempt, reason, delay)
        if task_obj.get_backend().supports_defer:
            task_obj = task_obj.using(run_after=timezone.now() + delay)
        task_obj.enqueue(**kwargs, attempt=attempt + 1)


def prune_finished_tasks(now: datetime | None = None) -> int:
    """Delete our finished task rows older than TASK_RESULT_RETENTION_DAYS; return how many.

    django-tasks-db keeps every row for ever; its prune_db_task_results command does the
    same but only when the default backend is the database one.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    finished = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    deleted, _by_model = finished.delete()
    return deleted


def forget_case_tasks(case_id: int) -> int:
    """Delete the finished task rows about one case (erasure): a failed row's traceback is the
    one place a gateway's words could have been kept."""
    rows = DBTaskResult.objects.finished().filter(
        task_path__startswith="feedback.", args_kwargs__kwargs__case_id=case_id
    )
    deleted, _by_model = rows.delete()
    return deleted
