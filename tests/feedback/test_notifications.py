"""Notifications are queued with the change that caused them, as ids only; written when they
run, on the citizen's channel and in the citizen's language, and retried when the gateway
fails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from feedback import notifications, privacy, references, sms, tasks, workflow
from feedback.escalation import sweep
from feedback.models import Status
from tests.feedback.factories import actor, case_in, submit_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_queue(settings):
    """The production setting: tasks are rows in the database, run by a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def queued(path: str):
    return DBTaskResult.objects.filter(task_path=path, status="READY")


def run_worker():
    """Run what a worker would: each ready task. (The real db_worker closes the test's
    database connection after every task, which the test transaction cannot survive.)"""
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


CITIZEN_TASK = "feedback.notifications.notify_citizen"
LEADERS_TASK = "feedback.notifications.notify_leaders"


def test_submission_queues_ids_only_and_the_sms_is_written_in_swahili_when_it_runs(task_queue):
    submission = submit_case(language="sw")
    (row,) = queued(CITIZEN_TASK)
    assert row.args_kwargs == {
        "args": [],
        "kwargs": {
            "case_id": submission.case.pk,
            "action": "submit",
            "event_id": submission.case.events.get(action="submit").pk,
        },
    }
    run_worker()
    (message,) = sms.outbox
    assert message.to == "+255712345678"
    assert references.format_reference(submission.case.reference) in message.body
    assert submission.pin not in message.body  # shown once on screen, never sent
    assert f"/sw/feedback/track/{submission.case.reference}/" in message.body
    english = (
        "Mrejesho: we received your %(kind)s for %(place)s. Reference %(ref)s. Keep it with "
        "the PIN you were shown. Lost the PIN? Ask for a new one at %(url)s"
    )
    with translation.override("sw"):
        swahili = translation.gettext(english)
    assert swahili != english
    assert message.body.startswith(swahili.split("%")[0])


def test_a_queued_notification_sends_nothing_once_the_contact_is_erased(task_queue):
    case = submit_case().case
    assert queued(CITIZEN_TASK).count() == 1
    privacy.erase_contact(case, reason="asked", by_citizen=True)
    run_worker()
    assert sms.outbox == []


def test_a_change_that_fails_leaves_no_notification_behind(task_queue):
    case = submit_case().case
    DBTaskResult.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.acknowledge(case, by=actor("officer"))
        raise RuntimeError("crash after the change, before commit")
    assert not DBTaskResult.objects.exists()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    workflow.acknowledge(case, by=actor("officer"))
    assert queued(CITIZEN_TASK).count() == 1


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("acknowledge", Status.SUBMITTED),
        ("request_information", Status.ACKNOWLEDGED),
        ("resolve", Status.IN_PROGRESS),
        ("escalate", Status.IN_PROGRESS),
        ("interim_reply", Status.IN_PROGRESS),
    ],
)
def test_each_milestone_notifies_the_citizen(task_queue, action, status):
    case = case_in(status)
    DBTaskResult.objects.all().delete()
    officer = actor("lead")
    {
        "acknowledge": lambda: workflow.acknowledge(case, by=officer),
        "request_information": lambda: workflow.request_information(
            case, by=officer, question="Meter number?"
        ),
        "resolve": lambda: workflow.resolve(case, by=officer, response="Refund issued."),
        "escalate": lambda: workflow.escalate(case, by=officer, reason="Needs DAWASA"),
        "interim_reply": lambda: workflow.interim_reply(
            case,
            by=officer,
            message="Lab test pending.",
            expected_by=(case.resolve_due + timedelta(days=7)).date(),
        ),
    }[action]()
    (row,) = queued(CITIZEN_TASK)
    assert row.args_kwargs["kwargs"]["action"] == action
    run_worker()
    assert [m.to for m in sms.outbox] == ["+255712345678"]


def test_ussd_case_is_answered_by_sms_even_if_email_was_given(task_queue):
    contact = workflow.ContactDetails(
        phone="+255754000111", email="a@example.org", notify_by="email"
    )
    submit_case(channel="ussd", contact=contact)
    run_worker()
    assert [m.to for m in sms.outbox] == ["+255754000111"]
    assert mail.outbox == []


def test_web_case_is_answered_by_email_when_chosen(task_queue):
    contact = workflow.ContactDetails(email="citizen@example.org", notify_by="email")
    submit_case(contact=contact, language="en")
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["citizen@example.org"]
    assert "/en/feedback/track/" in message.body
    assert sms.outbox == []


def test_anonymous_case_sends_nothing(task_queue):
    submit_case(contact=None)
    assert not DBTaskResult.objects.filter(task_path__startswith="feedback.").exists()


def test_escalation_tells_the_leaders_of_the_level_above(task_queue):
    case = case_in(Status.IN_PROGRESS)
    DBTaskResult.objects.all().delete()
    sweep(now=case.resolve_due + timedelta(hours=1))
    (row,) = queued(LEADERS_TASK)
    case.refresh_from_db()
    assert row.args_kwargs["kwargs"] == {
        "case_id": case.pk,
        "institution_id": case.handling_institution.pk,
    }
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["lead@example.org"]  # the lead of DAWASA, one level up
    assert case.reference in message.subject


class FailingGateway(sms.BaseSMSBackend):
    def send(self, message):
        raise sms.SMSDeliveryError("gateway timeout")


def test_failed_sms_is_retried_later_with_backoff_then_given_up(task_queue, settings):
    case = submit_case().case
    DBTaskResult.objects.all().delete()
    settings.SMS_BACKEND = "tests.feedback.test_notifications.FailingGateway"
    before = timezone.now()
    notifications.notify_citizen.call(case_id=case.pk, action="submit")
    (retry,) = queued(CITIZEN_TASK)
    assert retry.args_kwargs["kwargs"] == {
        "case_id": case.pk,
        "action": "submit",
        "event_id": None,
        "attempt": 2,
    }
    assert retry.run_after >= before + timedelta(seconds=tasks.RETRY_BASE_SECONDS)
    with pytest.raises(tasks.DeliveryFailed):
        notifications.notify_citizen.call(
            case_id=case.pk, action="submit", attempt=tasks.MAX_ATTEMPTS
        )


def test_leaders_are_told_in_the_site_language_even_from_a_swahili_request(task_queue):
    case = case_in(Status.RESOLVED)
    DBTaskResult.objects.all().delete()
    with translation.override("sw"):
        workflow.reopen(case, by=workflow.citizen_of(case), reason="Bado tatizo lipo")
    with translation.override("sw"):
        run_worker()
    (message,) = mail.outbox
    assert message.subject.startswith(f"Case {case.reference} escalated to")


def test_links_follow_the_feedback_page_wherever_editors_put_it():
    from feedback.notifications import tracking_url
    from pages.models import FeedbackPage

    case = submit_case(language="en").case
    page = FeedbackPage.objects.get(locale__language_code="en")
    page.slug = "tell-us"
    page.save()
    assert tracking_url(case).endswith(f"/en/tell-us/track/{case.reference}/")
