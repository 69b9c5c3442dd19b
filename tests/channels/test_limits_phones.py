"""USSD and SMS limits, per phone: an END screen in the session's language; one SMS refusal,
then silence (each reply costs money); a limited request stores no case."""

import pytest
from django.core.cache import cache
from django.utils import translation

from feedback import limits, sms
from feedback.models import Case, InboundSms, UssdSession
from tests.channels.test_ussd import PHONE, Dial, remember, submit_by_ussd

pytestmark = pytest.mark.django_db

SMS_URL = "/channels/sms/"


@pytest.fixture(autouse=True)
def clean_outbox_and_counts():
    sms.outbox.clear()
    cache.clear()
    yield
    sms.outbox.clear()
    cache.clear()


def in_swahili(text: str) -> str:
    with translation.override("sw"):
        return translation.gettext(text)


def before_wait(text: str) -> str:
    return text.split("%(wait)s")[0].strip()


def test_ussd_sessions_past_the_phone_limit_end_at_once_in_the_phones_language(client, settings):
    settings.USSD_SESSIONS_PER_PHONE = 1
    remember("sw")
    dial = Dial(client, "ATUid_first")
    assert dial.start()[0] == "CON"
    assert dial.send("2")[0] == "CON"  # the same session goes on: counted once
    kind, screen = Dial(client, "ATUid_second").start()
    assert kind == "END"
    assert screen.startswith(
        before_wait(in_swahili("Too many sessions from this phone. Please dial again in %(wait)s."))
    )
    assert list(UssdSession.objects.values_list("session_id", flat=True)) == ["ATUid_first"]


def test_a_ussd_submission_past_the_phone_limit_ends_and_stores_nothing(client, settings):
    settings.SUBMISSIONS_PER_PHONE = 1
    submit_by_ussd(client, "ATUid_one")
    dial = Dial(client, "ATUid_two")
    dial.start()
    for value in ["1", "1", "1", "1", "1111", "2", "My water meter counts twice"]:
        dial.send(value)
    kind, screen = dial.send("1")
    assert (kind, screen.split(" Please")[0]) == (
        "END",
        "Too much feedback was sent with this phone number.",
    )
    assert Case.objects.count() == 1


def text(client, body: str, gateway_id: str, sender: str = PHONE):
    response = client.post(SMS_URL, {"from": sender, "to": "15200", "text": body, "id": gateway_id})
    assert (response.status_code, response.content) == (200, b"OK")


def test_sms_past_the_phone_limit_get_one_refusal_then_no_reply_at_all(client, settings):
    settings.SMS_MESSAGES_PER_PHONE = 2
    remember("sw")
    for n in range(2):
        text(client, "MSAADA", f"ATXid_{n}")
    assert len(sms.outbox) == 2
    text(client, "LALAMIKO 1111 Mita inahesabu mara mbili", "ATXid_2")
    (refusal,) = sms.outbox[2:]
    assert refusal.to == PHONE
    assert refusal.body.startswith(
        "Mrejesho: "
        + before_wait(
            in_swahili(
                "Too many messages from this phone. Messages sent in the next %(wait)s will "
                "not be read or answered."
            )
        )
    )
    for n in range(3, 20):  # a flood: not one more SMS is sent
        text(client, "LALAMIKO 1111 Mita inahesabu mara mbili", f"ATXid_{n}")
    assert len(sms.outbox) == 3
    assert not Case.objects.exists()
    assert InboundSms.objects.filter(handled_as="limited").count() == 18
    # A gateway's retry of a counted message is not counted again.
    text(client, "MSAADA", "ATXid_0")
    assert limits.used("sms-per-phone", PHONE) == 20


def test_an_sms_submission_past_the_phone_limit_is_answered_and_stores_nothing(client, settings):
    settings.SUBMISSIONS_PER_PHONE = 1
    text(client, "COMPLAINT 1111 My meter counts twice", "ATXid_a")
    text(client, "COMPLAINT 1111 My meter counts twice again", "ATXid_b")
    assert Case.objects.count() == 1
    assert sms.outbox[-1].body.startswith(
        "Mrejesho: Too much feedback was sent with this phone number."
    )
