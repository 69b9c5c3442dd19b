"""The real servers the fault tests stop and start, and a worker's loop run in the test.

Each server here can be stopped and started again on the same port while the test goes on:
an SMTP server (aiosmtpd) that keeps every message it accepted, the fake Africa's Talking
gateway (tests/channels/fake_africastalking.py), and a second Elasticsearch
(tests/search/test_elasticsearch_restart.py's helper; the shared one on 9200 is never
stopped). Deliveries go through the database task queue (django-tasks-db), as in production.
"""

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from feedback import sms
from tests.channels.fake_africastalking import FakeAfricasTalking

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the task queue --------------------------------------------------------------------------


def time_passes() -> None:
    """Every retry's back-off has elapsed: what waits for later is due now."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(1))


def run_due_tasks(limit: int = 200) -> int:
    """What `manage.py db_worker` does with each due row (claim it, run it, record success or
    failure), in the test's own transaction; the number run."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="fault-test",
        excluded_queue_names=[],
    )
    ran = 0
    while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        assert ran < limit, "the queue never empties: a task re-queues itself for ever"
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1
    return ran


def waiting(task_path: str | None = None):
    rows = DBTaskResult.objects.filter(status="READY")
    return rows.filter(task_path=task_path) if task_path else rows


def every_task_row_text() -> str:
    """All a reader of the task table sees: arguments, results and tracebacks."""
    return "\n".join(
        f"{row.args_kwargs} {row.return_value} {row.traceback}"
        for row in DBTaskResult.objects.all()
    )


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    DBTaskResult.objects.all().delete()
    return settings


# --- SMTP ------------------------------------------------------------------------------------


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that keeps what it accepted: (recipients, message)."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self._controller = None
        server = self

        class Handler:
            async def handle_DATA(self, _server, _session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                server.received.append((list(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        self._handler = Handler()

    def start(self) -> None:
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def subjects_to(self, address: str) -> list[str]:
        return [str(message["Subject"]) for rcpt, message in self.received if address in rcpt]


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend aimed at a running local server (stop() and start() it)."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = False, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


# --- the SMS gateway -------------------------------------------------------------------------


class SmsGateway:
    """The fake Africa's Talking API, which the test can stop (connection refused) and start
    again on the same port, behind the real backend."""

    def __init__(self):
        self.port = free_port()
        self.received: list[dict] = []  # every request, across restarts
        self.mode = "accept"
        self.delay = 1.5  # "slow": longer than the backend's timeout (0.5 s here)
        self._fake = None

    def start(self) -> None:
        self._fake = FakeAfricasTalking(port=self.port, received=self.received)
        self._fake.mode, self._fake.delay = self.mode, self.delay
        self._fake.__enter__()

    def stop(self) -> None:
        if self._fake is not None:
            self._fake.__exit__(None, None, None)
            self._fake = None

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        self.mode = mode
        self.delay = self.delay if delay is None else delay
        if self._fake is not None:
            self._fake.mode, self._fake.delay = mode, self.delay

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/version1/messaging"

    def accepted(self) -> list[dict]:
        """The messages the gateway took and said so in time."""
        return [request for request in self.received if request["answered"] == "accept"]


@pytest.fixture
def sms_gateway(settings):
    gateway = SmsGateway()
    gateway.start()
    settings.SMS_BACKEND = "feedback.gateways.africastalking.AfricasTalkingSMSBackend"
    settings.AFRICASTALKING_API_URL = gateway.url
    settings.AFRICASTALKING_USERNAME, settings.AFRICASTALKING_API_KEY = "sandbox", "test-key"
    settings.SMS_SENDER_ID = "MREJESHO"
    settings.AFRICASTALKING_TIMEOUT = 0.5
    sms.outbox.clear()
    try:
        yield gateway
    finally:
        gateway.stop()
