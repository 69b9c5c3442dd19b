"""Outbound SMS through Africa's Talking, against a fake of their HTTP API on 127.0.0.1: an
accepted message is recorded as sent with their id; a refusal, an HTTP error or a gateway too
slow to answer raises SMSDeliveryError, and a queued notification is retried with back-off
until the gateway comes back. Nothing recorded holds the number or the text."""

import pytest
from django_tasks_db.models import DBTaskResult

from feedback import sms, tasks, workflow
from feedback.gateways.africastalking import AfricasTalkingSMSBackend, parse_answer
from feedback.models import SmsDelivery, Status
from tests.channels.fake_africastalking import FakeAfricasTalking
from tests.feedback.factories import actor, case_in

pytestmark = pytest.mark.django_db

PHONE = "+255712345678"


@pytest.fixture
def gateway(settings):
    with FakeAfricasTalking() as fake:
        settings.SMS_BACKEND = "feedback.gateways.africastalking.AfricasTalkingSMSBackend"
        settings.AFRICASTALKING_API_URL = fake.url
        settings.AFRICASTALKING_USERNAME = "sandbox"
        settings.AFRICASTALKING_API_KEY = "test-key"
        settings.SMS_SENDER_ID = "MREJESHO"
        settings.AFRICASTALKING_TIMEOUT = 0.5
        yield fake


def test_the_backend_is_named_by_settings_and_reachable_from_feedback_sms(gateway):
    assert isinstance(sms.get_backend(), AfricasTalkingSMSBackend)
    assert sms.AfricasTalkingSMSBackend is AfricasTalkingSMSBackend


def test_an_accepted_message_is_recorded_as_sent_with_their_id(gateway):
    case = case_in(Status.SUBMITTED)
    sms.send_sms(PHONE, "Mrejesho: hello", case=case, purpose="acknowledge")
    (request,) = gateway.received
    assert request["path"] == "/version1/messaging"
    assert (request["api_key"], request["accept"]) == ("test-key", "application/json")
    assert (request["username"], request["to"], request["message"], request["from"]) == (
        "sandbox",
        PHONE,
        "Mrejesho: hello",
        "MREJESHO",
    )
    delivery = SmsDelivery.objects.get()
    assert (delivery.case, delivery.purpose, delivery.state, delivery.gateway_id) == (
        case,
        "acknowledge",
        SmsDelivery.State.SENT,
        "ATXid_fake0001",
    )


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("refuse", "refused by the gateway: 403 InvalidPhoneNumber"),
        ("fail", "HTTP 500 from the gateway"),
        ("slow", "gateway unreachable: TimeoutError"),
    ],
)
def test_refusals_errors_and_timeouts_raise_and_are_recorded_without_the_number(
    gateway, mode, reason
):
    gateway.mode = mode
    with pytest.raises(sms.SMSDeliveryError) as raised:
        sms.send_sms(PHONE, "Mrejesho: hello", purpose="receipt")
    assert PHONE not in str(raised.value) and raised.value.reason == reason
    delivery = SmsDelivery.objects.get()
    assert (delivery.state, delivery.failure_reason, delivery.gateway_id) == (
        SmsDelivery.State.FAILED,
        reason,
        None,
    )


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        b'{"SMSMessageData": {"Recipients": []}}',
        b'{"SMSMessageData": {"Recipients": [{"statusCode": 102, "messageId": ""}]}}',
        b'{"SMSMessageData": {"Recipients": [{"statusCode": "x", "status": "Odd"}]}}',
    ],
)
def test_an_answer_that_names_no_accepted_message_is_a_delivery_error(payload):
    with pytest.raises(sms.SMSDeliveryError):
        parse_answer(payload)


def test_a_queued_notification_is_retried_with_backoff_and_delivered_when_the_gateway_is_back(
    gateway, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    case = case_in(Status.SUBMITTED)
    DBTaskResult.objects.all().delete()
    workflow.acknowledge(case, by=actor("officer"))
    gateway.mode = "fail"
    (first,) = DBTaskResult.objects.filter(status="READY")
    first.task.call(**first.args_kwargs["kwargs"])  # fails: queues attempt 2, later
    first.delete()
    (retry,) = DBTaskResult.objects.filter(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.args_kwargs["kwargs"]["case_id"] == case.pk
    assert PHONE not in str(retry.args_kwargs)
    delay = (retry.run_after - retry.enqueued_at).total_seconds()
    assert delay == pytest.approx(tasks.RETRY_BASE_SECONDS, abs=5)

    gateway.mode = "accept"  # the gateway comes back
    retry.task.call(**retry.args_kwargs["kwargs"])
    failed, sent = SmsDelivery.objects.filter(case=case).order_by("pk")
    assert (failed.state, failed.purpose) == (SmsDelivery.State.FAILED, "acknowledge")
    assert (sent.state, sent.purpose, sent.gateway_id) == (
        SmsDelivery.State.SENT,
        "acknowledge",
        "ATXid_fake0002",
    )
    assert sent.event == case.events.get(action="acknowledge")
    assert [r["to"] for r in gateway.received] == [PHONE, PHONE]
    assert case.reference in gateway.received[-1]["message"].replace(" ", "")
