"""SMS gateway failing (HTTP 500, stopped: connection refused, or slower than our timeout):
submissions on the web, by USSD and by SMS still give the citizen a reference and a PIN; the
USSD and SMS callbacks still answer the gateway; every SMS notification waits in the queue and
is delivered once, to the right number, when the gateway accepts again.

How replies leave: a USSD screen is the HTTP answer itself, and the "received" SMS after a USSD
submission is a queued task, so the USSD answer never waits on the outbound gateway (asserted:
no request reaches it during the callback). The answer to an inbound SMS (its reference and
PIN) is sent inline, before the callback's "OK", because a PIN may never be written to a task
row: a slow gateway holds that callback for at most AFRICASTALKING_TIMEOUT. If that reply is
refused, the "received" message (reference, and the way to a new PIN) is queued instead.
"""

import re

import pytest

from feedback import privacy, references, workflow
from feedback.models import Case, Channel, SmsDelivery
from tests.channels.test_ussd import Dial
from tests.faults.conftest import run_due_tasks, time_passes, waiting
from tests.feedback.factories import water_service

pytestmark = pytest.mark.django_db

WEB_PHONE, USSD_PHONE, SMS_PHONE = "+255712000001", "+255712000002", "+255712000003"


def break_gateway(gateway, fault: str) -> None:
    if fault == "stopped":
        gateway.stop()
    else:
        gateway.set_mode(fault)


def mend_gateway(gateway, fault: str) -> None:
    gateway.set_mode("accept")
    if fault == "stopped":
        gateway.start()


def submit_on_the_web(client) -> tuple[str, str]:
    form = {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "phone": WEB_PHONE,
        "notify_by": "sms",
    }
    assert client.post("/en/feedback/new/", form).status_code == 302
    response = client.post("/en/feedback/new/review/", {"send": "1"})
    assert response.status_code == 200
    pin = re.search(r'data-testid="pin">(\d{6})<', response.content.decode()).group(1)
    return privacy.cases_of_data_subject(phone=WEB_PHONE).get().reference, pin


def submit_by_ussd(client, gateway) -> tuple[str, str]:
    dial = Dial(client, "ATUid_fault", phone=USSD_PHONE)
    dial.start()
    for value in ["1", "1", "1", "1", "1111", "2", "My water meter counts twice"]:
        dial.send(value)
    before = len(gateway.received)
    kind, screen = dial.send("1")
    assert kind == "END", screen
    assert len(gateway.received) == before  # the answer did not wait on the outbound gateway
    found = re.search(r"(\d{3} \d{3} \d{4}) PIN (\d{4,6})", screen)
    return found.group(1).replace(" ", ""), found.group(2)


def submit_by_sms(client) -> str:
    response = client.post(
        "/channels/sms/",
        {
            "from": SMS_PHONE,
            "to": "15200",
            "text": "Complaint 1111 My March bill is twice the usual amount.",
            "date": "2026-11-26 10:00:00",
            "id": "ATXid_fault1",
        },
    )
    assert (response.status_code, response.content) == (200, b"OK")  # the gateway is answered
    return privacy.cases_of_data_subject(phone=SMS_PHONE).get(channel=Channel.SMS).reference


@pytest.mark.parametrize("fault", ["fail", "stopped", "slow"])
def test_submissions_succeed_while_the_gateway_fails_and_every_sms_goes_out_once_after(
    client, database_queue, sms_gateway, fault
):
    break_gateway(sms_gateway, fault)

    # (a) every channel still takes the submission and gives the reference and PIN
    web_ref, web_pin = submit_on_the_web(client)
    ussd_ref, ussd_pin = submit_by_ussd(client, sms_gateway)
    sms_ref = submit_by_sms(client)
    for reference, pin in ((web_ref, web_pin), (ussd_ref, ussd_pin)):
        assert workflow.check_pin(Case.objects.get(reference=reference), pin)
    # the inline SMS reply (reference and PIN) was not accepted, and is recorded as such
    reply = SmsDelivery.objects.get(case__reference=sms_ref, purpose="sms_reply")
    assert reply.state == SmsDelivery.State.FAILED

    # (b) the notifications wait in the queue; attempts fail and are queued again
    assert waiting().count() == 3
    assert run_due_tasks() == 3
    time_passes()
    assert run_due_tasks() == 3
    assert waiting().count() == 3
    assert not sms_gateway.accepted()
    for pin in (web_pin, ussd_pin):
        assert not any(pin in str(row.args_kwargs) for row in waiting())

    # (c) the gateway accepts again: one message to each citizen, with their reference
    mend_gateway(sms_gateway, fault)
    time_passes()
    assert run_due_tasks() == 3
    assert not waiting().exists()
    delivered = {request["to"]: request["message"] for request in sms_gateway.accepted()}
    assert len(sms_gateway.accepted()) == 3
    citizens = ((WEB_PHONE, web_ref), (USSD_PHONE, ussd_ref), (SMS_PHONE, sms_ref))
    for phone, reference in citizens:
        assert references.format_reference(reference) in delivered[phone]
        sent = SmsDelivery.objects.filter(case__reference=reference, state=SmsDelivery.State.SENT)
        assert sent.count() == 1
    time_passes()
    assert run_due_tasks() == 0
    assert len(sms_gateway.accepted()) == 3
