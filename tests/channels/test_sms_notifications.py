"""The notification SMS: one segment where they can, every one naming the SMS number (and
the USSD code where it fits); "needs more information" says how to reply to that number, and
"resolved" how to say it is not (NO <ref>, by the reopen date). Each SMS leaves an
SmsDelivery naming the case, the event and the action, never the number or the text."""

import pytest
from django_tasks_db.models import DBTaskResult

from feedback import notifications, sms, sms_text, workflow
from feedback.models import SmsDelivery, Status
from tests.feedback.factories import CaseFactory, actor
from tests.feedback.test_notifications import run_worker

pytestmark = pytest.mark.django_db

NUMBER, USSD = "15000", "*152*00#"


@pytest.fixture
def channels(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SMS_SHORT_NUMBER, settings.USSD_CODE = NUMBER, USSD
    sms.outbox.clear()
    yield settings
    sms.outbox.clear()


def english_case(status):
    case = CaseFactory(status=status, language="en")
    DBTaskResult.objects.all().delete()
    sms.outbox.clear()
    return case


def one_sms():
    run_worker()
    (message,) = sms.outbox
    return message.body


def test_acknowledgement_names_the_number_and_the_code_in_one_segment(channels):
    case = english_case(Status.SUBMITTED)
    workflow.acknowledge(case, by=actor("officer"))
    body = one_sms()
    assert body.endswith(f"Questions? SMS HELP to {NUMBER} or dial {USSD}.")
    assert len(sms_text.parts(body)) == 1
    delivery = SmsDelivery.objects.get(case=case)
    assert (delivery.purpose, delivery.event, delivery.state) == (
        "acknowledge",
        case.events.get(action="acknowledge"),
        SmsDelivery.State.SENT,
    )


def test_request_for_information_says_how_to_reply_to_the_number(channels):
    case = english_case(Status.ACKNOWLEDGED)
    workflow.request_information(case, by=actor("lead"), question="Your meter number?")
    body = one_sms()
    assert "Your meter number?" in body
    assert f"Reply to {NUMBER} with {case.reference}, your PIN and your answer." in body
    assert "Reply with your reference and PIN." not in body
    assert len(sms_text.parts(body)) == 1


def test_resolved_says_how_to_dispute_by_the_reopen_date_and_shortens_a_long_answer(channels):
    case = english_case(Status.IN_PROGRESS)
    answer = "We replaced the meter at your kiosk and refunded the overcharge on your bill. " * 3
    workflow.resolve(case, by=actor("lead"), response=answer)
    body = one_sms()
    case.refresh_from_db()
    date = notifications._date(case.reopen_until)
    assert body.endswith(f"Not resolved? Reply NO {case.reference} to {NUMBER} by {date}.")
    assert "We replaced the meter" in body and "..." in body
    assert sms_text.length(body) <= 160


def test_without_a_number_the_texts_do_not_point_to_one(channels):
    channels.SMS_SHORT_NUMBER, channels.USSD_CODE = "", ""
    case = english_case(Status.ACKNOWLEDGED)
    workflow.request_information(case, by=actor("lead"), question="Your meter number?")
    body = one_sms()
    assert "Reply to" not in body and "SMS HELP" not in body
    assert f"/en/feedback/track/{case.reference}/" in body


@pytest.mark.parametrize("words", range(15, 30))
def test_the_officers_words_are_never_cut_inside_a_reference(words):
    text = "word " * words + "see case 123 456 7890 " + "more " * 30
    short = notifications._short(text)
    assert len(short) <= 140 and short.endswith("...")
    assert "123 456 7890" in short or "123" not in short
