"""Background delivery of notifications, retried with back-off when a gateway fails."""

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from feedback.sms import SMSDeliveryError, send_sms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 60


class DeliveryFailed(Exception):
    """Every attempt failed; the task ends as failed and stays visible in the queue."""


def enqueue_with_change(task_obj, *args, **kwargs) -> None:
    """Queue a task as part of the change that caused it.

    On the database queue the task row is written in the caller's transaction, so the change
    and its notification commit or vanish together. An in-process backend would run the task
    at once, before the change is even committed, so there it waits for the commit.
    """
    if isinstance(task_obj.get_backend(), ImmediateBackend):
        transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs))
    else:
        task_obj.enqueue(*args, **kwargs)


def _retry(task_obj, attempt: int, error: Exception, *args) -> None:
    if attempt >= MAX_ATTEMPTS:
        raise DeliveryFailed(f"gave up after {attempt} attempts: {error}") from error
    delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    logger.warning("delivery attempt %s failed (%s); retrying in %s", attempt, error, delay)
    if task_obj.get_backend().supports_defer:
        task_obj = task_obj.using(run_after=timezone.now() + delay)
    task_obj.enqueue(*args, attempt=attempt + 1)


@task()
def deliver_sms(to: str, body: str, attempt: int = 1) -> None:
    try:
        send_sms(to, body)
    except SMSDeliveryError as error:
        _retry(deliver_sms, attempt, error, to, body)


@task()
def deliver_email(to: list[str], subject: str, body: str, attempt: int = 1) -> None:
    try:
        send_mail(subject, body, None, to)
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections
        _retry(deliver_email, attempt, error, to, subject, body)
