"""Secrets only where they must be: the PIN is shown once and kept nowhere readable, tasks
carry ids, erasure reaches every store, and a lost PIN can be replaced through the contact on
file, never on screen."""

import logging
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.db import models
from django.test import RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.middleware import DatabaseBusyMiddleware
from feedback import privacy, sms, tasks, workflow
from feedback.models import Case
from tests.feedback.factories import submit_case
from tests.feedback.test_web_journey import form_data

pytestmark = pytest.mark.django_db

NEW = "/en/feedback/new/"
REVIEW = "/en/feedback/new/review/"
PHONE = "+255712345678"
NATIONAL_DIGITS = "712345678"  # the number in any format: 0712 345 678, +255 712 ...


@pytest.fixture
def task_queue(settings):
    """Production's queue: tasks are database rows, run by a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sms.outbox.clear()
    cache.clear()
    yield
    sms.outbox.clear()
    cache.clear()


def run_worker():
    """What db_worker does for each ready row (it closes the test's connection, so not it)."""
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.set_successful(None)


def send_through_the_web(client, **overrides):
    """Fill in the form, confirm on the review page; (case, PIN shown, confirmation)."""
    client.post(NEW, form_data(**overrides))
    response = client.post(REVIEW, {"send": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    pin = re.search(r'data-testid="pin">(\d{6})<', html).group(1)
    case = Case.objects.get()
    assert workflow.check_pin(case, pin)
    return case, pin, response


def text_columns_holding(needle: str) -> list[str]:
    """Every CharField, TextField and JSONField of every model, and every decoded session,
    that holds the needle: 'app.Model.field'."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not names:
            continue
        for row in model._base_manager.values_list(*names):
            found += [
                f"{model._meta.label}.{name}"
                for name, value in zip(names, row, strict=True)
                if value is not None and needle in str(value)
            ]
    store = SessionStore()
    found += [
        f"session {session.session_key}"
        for session in Session.objects.all()
        if needle in str(store.decode(session.session_data))
    ]
    return found


def test_after_submission_task_and_erasure_no_column_or_session_holds_the_pin_or_phone(
    client, task_queue, caplog
):
    caplog.set_level(logging.DEBUG)
    case, pin, _response = send_through_the_web(client)
    assert case.contact.phone == PHONE
    (row,) = DBTaskResult.objects.filter(task_path__startswith="feedback.")
    assert set(row.args_kwargs["kwargs"]) == {"case_id", "action", "event_id"}
    run_worker()
    (message,) = sms.outbox  # the task looked the phone up and wrote the text when it ran
    assert message.to == PHONE and case.reference in message.body.replace(" ", "")
    assert pin not in message.body
    assert text_columns_holding(pin) == []
    assert text_columns_holding(NATIONAL_DIGITS) == ["feedback.Contact.phone"], (
        "the phone lives in Contact alone"
    )

    erased = client.post(
        f"/en/feedback/track/{case.reference}/", {"action": "erase", "confirm": "yes"}
    )
    assert erased.status_code == 302
    assert text_columns_holding(NATIONAL_DIGITS) == []
    assert text_columns_holding(pin) == []
    assert not [record for record in caplog.records if pin in record.getMessage()]


class RefusingGateway(sms.BaseSMSBackend):
    """A gateway that refuses and quotes the number back, as real ones do in their errors."""

    def send(self, message):
        raise sms.SMSDeliveryError(f"rejected {message.to}: {message.body}")


def test_failed_deliveries_keep_no_number_and_erasure_deletes_the_cases_task_rows(
    task_queue, settings, caplog
):
    settings.SMS_BACKEND = "tests.feedback.test_secrets.RefusingGateway"
    case = submit_case().case
    (row,) = DBTaskResult.objects.filter(task_path__startswith="feedback.")
    with pytest.raises(tasks.DeliveryFailed) as failure:
        row.task.call(**{**row.args_kwargs["kwargs"], "attempt": tasks.MAX_ATTEMPTS})
    row.set_failed(failure.value)  # as the worker records it: exception and traceback
    row.task.call(**row.args_kwargs["kwargs"])  # an earlier attempt: queues a retry
    assert NATIONAL_DIGITS not in DBTaskResult.objects.get(pk=row.pk).traceback
    assert not [r for r in caplog.records if NATIONAL_DIGITS in r.getMessage()]
    other = submit_case().case
    for other_row in DBTaskResult.objects.filter(args_kwargs__kwargs__case_id=other.pk):
        other_row.set_successful(None)

    privacy.erase_contact(case, reason="asked", by_citizen=True)
    assert not DBTaskResult.objects.finished().filter(args_kwargs__kwargs__case_id=case.pk)
    assert DBTaskResult.objects.finished().filter(args_kwargs__kwargs__case_id=other.pk)


def test_the_sweep_prunes_finished_task_rows_and_expired_sessions(task_queue, settings):
    submit_case()
    submit_case()
    DBTaskResult.objects.exclude(task_path__startswith="feedback.").delete()
    done, waiting = DBTaskResult.objects.order_by("enqueued_at")
    done.set_successful(None)
    expired = SessionStore()
    expired["feedback_draft"] = "x"
    expired.set_expiry(-1)
    expired.save()
    soon = timezone.now() + timedelta(days=1)
    assert privacy.prune_expired_records(now=soon) == 0
    later = timezone.now() + timedelta(days=settings.TASK_RESULT_RETENTION_DAYS, hours=1)
    assert privacy.prune_expired_records(now=later) == 1
    assert list(DBTaskResult.objects.all()) == [waiting]  # a row still to run is kept
    assert not Session.objects.filter(session_key=expired.session_key).exists()


def test_copies_left_by_earlier_versions_are_removed_by_the_migration():
    legacy = DBTaskResult.objects.create(
        task_path="feedback.tasks.deliver_sms",
        args_kwargs={"args": [PHONE, "Reference 123, PIN 482913"], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )
    session = SessionStore()
    session["feedback_submitted"] = {"reference": "1234567890", "pin": "482913"}
    session["feedback_draft"] = "kept"
    session.save()
    migration = import_module("feedback.migrations.0009_secrets")
    migration.forget_copies(apps, None)
    assert not DBTaskResult.objects.filter(pk=legacy.pk).exists()
    assert SessionStore(session.session_key).load() == {"feedback_draft": "kept"}


# The PIN is shown once, answered to the POST that drew it.


def test_confirmation_tells_a_citizen_without_contact_that_the_pin_cannot_be_recovered(client):
    _case, _pin, response = send_through_the_web(client, phone="", notify_by="none")
    assert "a lost PIN cannot be recovered" in response.content.decode()


def test_confirmation_with_a_phone_says_how_to_get_a_new_pin(client):
    _case, _pin, response = send_through_the_web(client)
    html = response.content.decode()
    assert "a lost PIN cannot be recovered" not in html
    assert "you can ask for a new one" in html


def test_pages_with_a_pin_or_personal_data_are_never_cached(client, task_queue):
    case, _pin, confirmation = send_through_the_web(client)
    track = f"/en/feedback/track/{case.reference}/"
    for response in (
        confirmation,
        client.get(track),  # proven by the submission
        client.get(f"{track}data/"),
        client.get(f"{track}new-pin/"),
    ):
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"


# Forgot your PIN?


def test_forgotten_pin_is_replaced_by_sms_and_the_old_one_stops_working(client, task_queue):
    submission = submit_case()  # phone, updates by SMS
    case = submission.case
    url = f"/en/feedback/track/{case.reference}/new-pin/"
    assert url in client.get(f"/en/feedback/track/{case.reference}/").content.decode()
    sms.outbox.clear()
    DBTaskResult.objects.all().delete()
    response = client.post(url)
    assert response.status_code == 200
    assert 'data-testid="new-pin-sent"' in response.content.decode()
    (row,) = DBTaskResult.objects.filter(task_path="feedback.pin_recovery.send_new_pin")
    assert row.args_kwargs == {"args": [], "kwargs": {"case_id": case.pk}}
    case.refresh_from_db()
    assert workflow.check_pin(case, submission.pin)  # nothing changes until the task runs
    run_worker()
    (message,) = sms.outbox
    assert message.to == PHONE
    new_pin = re.search(r"\b(\d{6})\b", message.body).group(1)
    case.refresh_from_db()
    assert workflow.check_pin(case, new_pin)
    assert not workflow.check_pin(case, submission.pin)
    assert new_pin not in response.content.decode()
    assert text_columns_holding(new_pin) == []


def test_forgotten_pin_goes_by_email_when_only_an_address_was_given(client, task_queue):
    contact = workflow.ContactDetails(email="citizen@example.org", notify_by="email")
    submission = submit_case(contact=contact, language="en")
    DBTaskResult.objects.all().delete()
    client.post(f"/en/feedback/track/{submission.case.reference}/new-pin/")
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["citizen@example.org"]
    new_pin = re.search(r"new PIN is (\d{6})", message.body).group(1)
    submission.case.refresh_from_db()
    assert workflow.check_pin(submission.case, new_pin)
    assert sms.outbox == []


def test_forgot_pin_answers_the_same_with_or_without_contact_and_keeps_the_anonymous_pin(
    client, task_queue
):
    reachable = submit_case().case
    anonymous = submit_case(contact=None)
    DBTaskResult.objects.all().delete()
    pages = []
    for case in (reachable, anonymous.case):
        response = client.post(f"/en/feedback/track/{case.reference}/new-pin/")
        assert response.status_code == 200
        html = response.content.decode()
        pages.append(html.replace(case.reference, "REF").replace(_spaced(case.reference), "REF"))
    assert _without_tokens(pages[0]) == _without_tokens(pages[1])
    run_worker()
    anonymous.case.refresh_from_db()
    assert workflow.check_pin(anonymous.case, anonymous.pin)  # no one to send a new one to
    assert [m.to for m in sms.outbox] == [PHONE]


def _spaced(reference: str) -> str:
    return f"{reference[:3]} {reference[3:6]} {reference[6:]}"


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_forgot_pin_is_throttled_per_reference_and_per_client(client, task_queue, settings):
    settings.PIN_RESET_MAX_PER_REFERENCE = 2
    settings.PIN_RESET_MAX_PER_CLIENT = 3
    first, second = submit_case().case, submit_case().case
    url = f"/en/feedback/track/{first.reference}/new-pin/"
    assert [client.post(url).status_code for _ in range(3)] == [200, 200, 429]
    # Another address does not help against the per-reference limit.
    assert client.post(url, REMOTE_ADDR="198.51.100.7").status_code == 429
    other = f"/en/feedback/track/{second.reference}/new-pin/"
    # The first address has asked three times: its fourth request is refused, on any case.
    assert client.post(other).status_code == 429
    assert client.post(other, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert DBTaskResult.objects.filter(task_path__endswith="send_new_pin").count() == 3


def test_a_refused_new_pin_leaves_the_old_one_working_and_is_retried(task_queue, settings):
    from feedback import pin_recovery

    submission = submit_case()
    DBTaskResult.objects.all().delete()
    settings.SMS_BACKEND = "tests.feedback.test_secrets.RefusingGateway"
    pin_recovery.send_new_pin.call(case_id=submission.case.pk)
    submission.case.refresh_from_db()
    assert workflow.check_pin(submission.case, submission.pin)
    (retry,) = DBTaskResult.objects.filter(task_path__endswith="send_new_pin")
    assert retry.args_kwargs["kwargs"] == {"case_id": submission.case.pk, "attempt": 2}


# SQLite in development: wait for the lock, and never a 500 for it.


PRAGMAS = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    print(cursor.execute("PRAGMA journal_mode").fetchone()[0])
    print(cursor.execute("PRAGMA busy_timeout").fetchone()[0])
print(connection.transaction_mode)
"""


def test_sqlite_waits_for_the_write_lock_in_wal_mode(tmp_path):
    # A fresh process, as `make run` starts one: the options depend on DATABASE_URL, which the
    # suite itself may point at PostgreSQL.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRAGMAS],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]


def test_database_is_locked_answers_503_with_retry_after(tmp_path):
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.05)
    with pytest.raises(sqlite3.OperationalError) as locked:
        waiter.execute("INSERT INTO t VALUES (1)")
    from django.db import OperationalError

    error = OperationalError(*locked.value.args)  # as Django's backend re-raises it
    middleware = DatabaseBusyMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/en/feedback/new/"), error)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Nothing you sent was saved" in response.content.decode()
    other = OperationalError("no such table: t")
    assert middleware.process_exception(RequestFactory().get("/"), other) is None
    holder.rollback()
    holder.close()
    waiter.close()
