"""Worker stopped: with the database task queue and no worker, cases submitted and changed
wait as task rows (the queue's health check counts them); a real `manage.py db_worker`
process then runs every one exactly once (each notification delivered once, the search index
updated), and a worker stopped with SIGTERM in the middle of the queue finishes the task in
hand and leaves the rest to the next worker: none lost, none run twice.

PostgreSQL only: the worker is another process, which must see what the test committed (a
transactional test), in the test database pytest-django made (connection.settings_dict).
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from config import health
from feedback import workflow
from feedback.models import NotifyBy, SmsDelivery
from search.models import OutcomeDocument, PendingIndexUpdate
from tests.feedback.factories import actor, submit_case
from tests.search.factories import publish_outcome

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
NOTIFY = "feedback.notifications.notify_citizen"
PHONES = [f"+2557130000{n:02d}" for n in range(6)]


def database_url_of_the_test_db() -> str:
    """The test database pytest-django created, as the worker process must be told it."""
    db = connection.settings_dict
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"] or "", safe="")
    return f"postgres://{user}:{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, smtp_server, sms_gateway):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
            "DATABASE_URL": database_url_of_the_test_db(),
            "FAULTS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "EMAIL_USE_TLS": "false",
            "FAULTS_SMS_BACKEND": "feedback.gateways.africastalking.AfricasTalkingSMSBackend",
            "AFRICASTALKING_API_URL": sms_gateway.url,
            "AFRICASTALKING_USERNAME": "sandbox",
            "AFRICASTALKING_API_KEY": "test-key",
            "AFRICASTALKING_TIMEOUT": "10",
            "ELASTICSEARCH_URL": "",
        }
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it: it finishes the task in hand, then exits."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.stderr.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def worker(postgres, settings, smtp_server, sms_gateway):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ELASTICSEARCH_URL = ""
    DBTaskResult.objects.all().delete()
    process = WorkerProcess(smtp_server, sms_gateway)
    try:
        yield process
    finally:
        process.kill()


def wait_until(condition, what: str, deadline: float = 120) -> None:
    """Poll for what the worker does (a guard against a hung worker, not a timing claim)."""
    give_up = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < give_up, f"still waiting for {what}"
        time.sleep(0.1)


def unfinished():
    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])


def run_once_each(rows) -> None:
    """Every row ran, successfully, on one worker's single claim."""
    for row in DBTaskResult.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.status == "SUCCESSFUL", (row.task_path, row.traceback[-500:])
        assert len(row.worker_ids) == 1, row.worker_ids


def test_tasks_wait_without_a_worker_and_a_worker_runs_each_once(worker, smtp_server, sms_gateway):
    # no worker: submissions and changes commit, their deliveries wait
    by_mail = submit_case(
        contact=workflow.ContactDetails(email="asha@example.com", notify_by=NotifyBy.EMAIL)
    )
    submit_case(contact=workflow.ContactDetails(phone=PHONES[0], notify_by="sms"))
    officer = actor("officer")
    workflow.acknowledge(by_mail.case, by=officer)
    outcome = publish_outcome(summary="Meter replaced at the kiosk", response="Replaced.")
    assert PendingIndexUpdate.objects.filter(case_id=outcome.case.pk).exists()
    queued = list(unfinished())
    notices = [row for row in queued if row.task_path == NOTIFY]
    assert len(notices) >= 4 and any(r.task_path.endswith("sync_outcome") for r in queued)
    state = health.CHECKS["tasks"]()
    assert state["backend"] == "DatabaseBackend" and state["waiting"] == len(queued)
    assert not smtp_server.received and not sms_gateway.received

    worker.start()
    wait_until(lambda: not unfinished().exists(), "the worker to empty the queue")
    assert worker.stop() == 0
    run_once_each(queued)
    assert not PendingIndexUpdate.objects.exists()
    assert OutcomeDocument.objects.filter(reference=outcome.case.reference).exists()
    # one message per notification, once: by mail two, the rest by SMS
    mails = Counter(
        (tuple(rcpt), str(message["Subject"])) for rcpt, message in smtp_server.received
    )
    assert set(mails.values()) == {1} and len(mails) == 2
    sent = SmsDelivery.objects.filter(state=SmsDelivery.State.SENT)
    assert sent.count() == len(sms_gateway.received) == len(notices) - 2
    assert set(Counter(sent.values_list("case", "purpose")).values()) == {1}
    assert health.CHECKS["tasks"]()["waiting"] == 0


def test_a_worker_stopped_mid_queue_leaves_the_rest_to_the_next_one(
    worker, smtp_server, sms_gateway
):
    sms_gateway.set_mode("slow", delay=0.5)  # each SMS is taken half a second after it is sent
    for phone in PHONES:
        submit_case(contact=workflow.ContactDetails(phone=phone, notify_by="sms"))
    queued = list(unfinished())
    assert len(queued) == len(PHONES)

    worker.start()
    wait_until(
        lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").exists(), "a first delivery"
    )
    assert worker.stop() == 0  # a clean exit, after the task in hand
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    left = DBTaskResult.objects.filter(status="READY").count()
    assert 0 < left < len(PHONES), "the worker should stop in the middle of the queue"

    worker.start()  # a new worker takes the rest
    wait_until(lambda: not unfinished().exists(), "the second worker to empty the queue")
    assert worker.stop() == 0
    run_once_each(queued)
    assert len({tuple(row.worker_ids) for row in DBTaskResult.objects.all()}) == 2
    assert sorted(request["to"] for request in sms_gateway.received) == PHONES
