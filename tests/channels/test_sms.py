"""Inbound SMS at /channels/sms/: whole conversations in Swahili and English through the
gateway's callback, asserting the cases, the events and the replies sent (feedback.sms.outbox).

New texts are asserted in English; in Swahili the tests assert what does not wait for the
catalogue merge: the keywords of the table, the reference, and strings already translated.
"""

import re
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback import references, sms, workflow
from feedback.channels.phones import phone_digest
from feedback.channels.sms_parser import KEYWORDS
from feedback.models import (
    Case,
    CaseEvent,
    Channel,
    Contact,
    InboundSms,
    Kind,
    NotifyBy,
    PhonePreference,
    Status,
)
from tests.feedback.factories import actor, submit_case

pytestmark = pytest.mark.django_db
URL = "/channels/sms/"
PHONE = "+255712345678"  # the number on the factories' cases
OTHER = "+255754000111"
SMS_SEGMENT = 160
_ids = count(1)


@pytest.fixture(autouse=True)
def empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def callback(client, text, sender=PHONE, gateway_id=None, url=URL):
    return client.post(
        url,
        {
            "from": sender,
            "to": "15200",
            "text": text,
            "date": "2026-11-26 10:00:00",
            "id": gateway_id or f"ATXid_{next(_ids)}",
            "linkId": "SampleLinkId123",
        },
    )


def text_message(client, text, sender=PHONE, gateway_id=None, limit=SMS_SEGMENT) -> str:
    """Send one SMS; the one reply it got, to the sender, within `limit` characters."""
    before = len(sms.outbox)
    response = callback(client, text, sender, gateway_id)
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    (reply,) = sms.outbox[before:]
    assert reply.to == sender
    assert len(reply.body) <= limit, reply.body
    return reply.body


def reference_and_pin(reply: str) -> tuple[str, str]:
    found = re.search(r"(\d{3} \d{3} \d{4})\D+(\d{6})\b", reply)
    assert found, reply
    return found.group(1).replace(" ", ""), found.group(2)


def resolved_case(phone=PHONE, language="sw"):
    """A case resolved by the officer, and its PIN (which the factories' CaseFactory loses)."""
    submission = submit_case(
        contact=workflow.ContactDetails(phone=phone, notify_by=NotifyBy.SMS), language=language
    )
    case, officer = submission.case, actor("officer")
    case = workflow.acknowledge(case, by=officer)
    case = workflow.start(case, by=officer)
    case = workflow.resolve(case, by=officer, response="Bill corrected to 12,000 shillings.")
    return case, submission.pin


def typo(reference: str) -> str:
    return reference[:-1] + str((int(reference[-1]) + 1) % 10)


# --- Swahili ---------------------------------------------------------------------------------


def test_a_swahili_conversation_submit_track_add_information(client):
    reply = text_message(client, "malalamiko  1111  Maji hayatoki Kariakoo tangu Jumatatu.")
    ref, pin = reference_and_pin(reply)
    assert f"FUATILIA {references.format_reference(ref)}" in reply
    case = Case.objects.get(reference=ref)
    assert (case.channel, case.kind, case.institution.short_code) == (
        Channel.SMS,
        Kind.COMPLAINT,
        "1111",
    )
    assert case.language == "sw"
    assert case.description == "Maji hayatoki Kariakoo tangu Jumatatu."
    assert case.subject.startswith("Maji hayatoki")
    assert case.idempotency_key.startswith("sms:ATXid_")
    assert workflow.check_pin(case, pin)
    contact = Contact.objects.get(case=case)
    assert (contact.phone, contact.notify_by) == (PHONE, NotifyBy.SMS)
    assert PhonePreference.objects.get(phone_digest=phone_digest(PHONE)).language == "sw"
    inbound = InboundSms.objects.get(case=case)
    assert inbound.handled_as == "submit"
    assert inbound.phone_digest == phone_digest(PHONE)  # never the number itself

    # Tracking: status and dates, in Swahili (a misspelt keyword, with punctuation).
    reply = text_message(client, f"Fuatila: {references.format_reference(ref)}")
    assert "Imewasilishwa" in reply  # "Submitted", from the catalogue
    assert "Kariakoo" not in reply

    # Adding information with the PIN; the reference typed with dashes.
    reply = text_message(client, f"{ref[:3]}-{ref[3:6]}-{ref[6:]} {pin} Mita namba 4455.")
    event = case.events.get(type=CaseEvent.Type.CITIZEN_MESSAGE)
    assert event.body == "Mita namba 4455."
    assert references.format_reference(ref) in reply


def test_swahili_kinds_map_to_their_kind(client):
    for text, kind in [
        ("MAONI 121 Mngeongeza saa za kazi", Kind.SUGGESTION),
        ("SWALI 121 Bima inaanza lini?", Kind.INQUIRY),
        ("PONGEZI 121 Huduma nzuri sana", Kind.COMPLIMENT),
        ("LALAMIKO 121 Nilisubiri saa tano", Kind.COMPLAINT),
    ]:
        ref, _pin = reference_and_pin(text_message(client, text))
        case = Case.objects.get(reference=ref)
        assert (case.kind, case.institution.short_code) == (kind, "121")


def test_dispute_from_the_contact_number_reopens_with_priority(client):
    case, _pin = resolved_case()
    reply = text_message(
        client, f"HAPANA {references.format_reference(case.reference)} Bili bado si sahihi"
    )
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert case.disputed_at is not None
    event = case.events.get(action="dispute")
    assert event.body == "Bili bado si sahihi"
    assert event.actor_kind == CaseEvent.ActorKind.CITIZEN
    assert references.format_reference(case.reference) in reply
    assert InboundSms.objects.get(case=case).handled_as == "dispute"


def test_dispute_without_a_reason_records_no_words(client):
    case, _pin = resolved_case()
    text_message(client, f"no {case.reference}")
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.disputed_at is not None
    # Staff pages say "no reason given" in their own language (feedback/workspace/case_page).
    assert case.events.get(action="dispute").body == ""


def test_dispute_from_another_number_is_refused_and_asks_for_the_pin(client):
    case, pin = resolved_case()
    reply = text_message(client, f"HAPANA {case.reference}", sender=OTHER)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.disputed_at is None
    assert "<PIN> HAPANA" in reply
    assert "Bill corrected" not in reply  # the answer is not for an unproved number
    assert "Resolved" not in reply and "Imetatuliwa" not in reply

    # The PIN proves it from any number.
    text_message(client, f"{case.reference} {pin} hapana bado", sender=OTHER)
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert case.events.get(action="dispute").body == "bado"


def test_dispute_after_the_window_is_refused(client):
    case, _pin = resolved_case()
    Case.objects.filter(pk=case.pk).update(reopen_until=timezone.now() - timedelta(days=1))
    text_message(client, f"NO {case.reference}")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_dispute_of_a_case_not_resolved_changes_nothing(client):
    case = submit_case().case
    reply = text_message(client, f"NO {case.reference}")
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert "not waiting for your answer" in reply


def test_confirm_from_the_contact_number_closes(client):
    case, _pin = resolved_case(language="en")
    reply = text_message(client, f"ndiyo {case.reference}")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert "Asante" in reply  # the action's thanks, from the catalogue


# --- English ---------------------------------------------------------------------------------


def test_an_english_conversation(client):
    reply = text_message(client, "Complaint 1111 My March bill is twice the usual amount.")
    assert reply.startswith("Mrejesho: Complaint received.")
    ref, pin = reference_and_pin(reply)
    case = Case.objects.get(reference=ref)
    assert case.language == "en"
    assert f"TRACK {references.format_reference(ref)}" in reply

    reply = text_message(client, f"trak {ref}")
    assert "Submitted" in reply and "To be acknowledged by" in reply
    assert "bill" not in reply.lower()

    officer = actor("officer")
    case = workflow.acknowledge(case, by=officer)
    workflow.request_information(case, by=officer, question="What is your meter number?")
    reply = text_message(client, f"{ref} {pin}", limit=300)  # with the PIN: the last answer
    assert "What is your meter number?" in reply

    reply = text_message(client, f"{ref} {pin} Meter 4455, account 9981.")
    assert "Thank you. Your information was added to the case." in reply
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS  # work resumes
    assert case.events.filter(body="Meter 4455, account 9981.").exists()


def test_a_mistyped_reference_is_caught_before_any_look_up(client, settings):
    settings.REFERENCE_LOOKUPS_PER_PHONE = 1  # a phone's own limit (feedback.limits)
    case = submit_case().case
    for _attempt in range(3):
        reply = text_message(client, f"TRACK {typo(case.reference)}")
        assert "typo" in reply
    reply = text_message(client, f"TRACK {case.reference}")  # the one look-up allowed
    assert "Submitted" in reply or "Imewasilishwa" in reply
    reply = text_message(client, f"TRACK {case.reference}")
    assert "Too many" in reply or "Maombi" in reply or "mengi" in reply


def test_a_wrong_pin_gets_a_short_answer_and_adds_nothing(client):
    case = submit_case(language="en").case
    reply = text_message(client, f"{case.reference} 000000 My meter is 4455", sender=OTHER)
    # Digits only name no language, and this number chose none: Swahili.
    assert reply == "Mrejesho: PIN hiyo hailingani na namba hii ya kumbukumbu."
    text_message(client, "help", sender=OTHER)  # now it has chosen English
    reply = text_message(client, f"{case.reference} 000000 My meter is 4455", sender=OTHER)
    assert reply == "Mrejesho: That PIN does not match this reference number."
    assert not case.events.filter(type=CaseEvent.Type.CITIZEN_MESSAGE).exists()


def test_a_retried_callback_makes_one_case_and_one_reply(client):
    first = callback(client, "COMPLAINT 1111 No water", gateway_id="ATXid_retry")
    second = callback(client, "COMPLAINT 1111 No water", gateway_id="ATXid_retry")
    assert first.status_code == second.status_code == 200
    assert Case.objects.filter(channel=Channel.SMS, idempotency_key="sms:ATXid_retry").count() == 1
    assert len(sms.outbox) == 1
    assert InboundSms.objects.filter(gateway_id="ATXid_retry").count() == 1


def test_an_unknown_institution_code_says_so(client):
    reply = text_message(client, "COMPLAINT 9999 No water")
    assert "9999" in reply and "HELP" in reply
    assert not Case.objects.filter(channel=Channel.SMS).exists()


def test_a_kind_without_text_makes_no_case(client):
    reply = text_message(client, "COMPLAINT 1111")
    assert "Write your message after the code, for example: COMPLAINT 1111 ..." in reply
    reply = text_message(client, "complaint")
    assert "TRACK <ref>" in reply  # the keyword alone: the help
    assert not Case.objects.filter(channel=Channel.SMS).exists()


def test_a_submission_without_a_code_goes_to_screening(client):
    ref, _pin = reference_and_pin(text_message(client, "Suggestion Open on Saturdays please"))
    case = Case.objects.get(reference=ref)
    assert case.institution.short_code == "1"  # the top of the tree screens it


def test_help_and_gibberish_get_help_in_their_language(client):
    reply = text_message(client, "help")
    assert "TRACK" in reply and "COMPLAINT" in reply and "NO <ref>" in reply
    reply = text_message(client, "asdf qwerty", sender=OTHER)  # unknown number: Swahili
    assert "FUATILIA" in reply and "MALALAMIKO" in reply
    reply = text_message(client, "Msada", sender=OTHER)
    assert "FUATILIA" in reply and "HAPANA" in reply
    reply = text_message(client, "???")  # this number chose English by its keyword
    assert "TRACK" in reply


def test_unknown_reference_and_missing_one(client):
    reply = text_message(client, "TRACK")
    assert "TRACK 123 456 7890" in reply
    unused = "123456789" + references.check_digit("123456789")
    reply = text_message(client, f"TRACK {unused}")
    assert "No case has this number" in reply


def test_the_gateway_secret_is_checked_first(client, settings):
    settings.CHANNEL_SHARED_SECRET = "s3cret"
    assert callback(client, "HELP").status_code == 403
    assert callback(client, "HELP", url=f"{URL}?secret=wrong").status_code == 403
    assert InboundSms.objects.count() == 0 and sms.outbox == []
    assert callback(client, "HELP", url=f"{URL}?secret=s3cret").status_code == 200
    assert len(sms.outbox) == 1


def test_a_callback_without_sender_or_id_is_a_bad_request(client):
    assert client.post(URL, {"text": "HELP", "id": "x"}).status_code == 400
    assert client.post(URL, {"text": "HELP", "from": PHONE}).status_code == 400
    assert sms.outbox == []


def test_a_sender_that_is_no_phone_number_is_recorded_and_not_answered(client):
    response = callback(client, "HELP", sender="MPESA")
    assert response.status_code == 200
    assert sms.outbox == []
    assert InboundSms.objects.get().handled_as == "no_reply_number"


def test_no_reply_to_an_unproved_number_carries_the_case(client):
    case, _pin = resolved_case(language="en")
    replies = [
        text_message(client, f"TRACK {case.reference}", sender=OTHER),
        text_message(client, f"YES {case.reference}", sender=OTHER),
        text_message(client, f"{case.reference} more details here", sender=OTHER),
    ]
    for reply in replies:
        assert "Bill corrected" not in reply
        assert "twice the usual" not in reply.lower() and "march bill" not in reply.lower()
        assert PHONE not in reply and PHONE[4:] not in reply
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_an_erased_contact_proves_nothing_and_the_pin_is_asked(client):
    case, _pin = resolved_case(language="en")
    Contact.objects.filter(case=case).update(erased_at=timezone.now(), phone="")
    reply = text_message(client, f"NO {case.reference}")
    assert "<PIN> NO" in reply
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_a_fault_of_ours_lets_the_gateway_retry_submit_once(client, monkeypatch):
    from feedback.channels import sms as channel

    monkeypatch.setattr(channel, "handle", _failing_after(channel.handle))
    with pytest.raises(RuntimeError):
        callback(client, "COMPLAINT 1111 No water", gateway_id="ATXid_fault")
    assert not InboundSms.objects.filter(gateway_id="ATXid_fault").exists()
    monkeypatch.undo()
    reply = text_message(client, "COMPLAINT 1111 No water", gateway_id="ATXid_fault")
    assert Case.objects.filter(idempotency_key="sms:ATXid_fault").count() == 1
    assert "We already have this message" in reply  # the PIN went with the first answer only


def _failing_after(handle):
    def failing(*args, **kwargs):
        handle(*args, **kwargs)  # the case is made, then something of ours breaks
        raise RuntimeError("boom")

    return failing


ANY_WORD = st.sampled_from([word for _i, _k, _l, words in KEYWORDS for word in words])
SOME_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=16)
# What a gateway can deliver: any text but NUL (which no SMS carries; a callback with one is
# unreadable, and answered apart: test_an_unreadable_callback_is_accepted_and_not_answered).
TEXTS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200),
    st.lists(st.one_of(ANY_WORD, SOME_DIGITS, st.text(max_size=6)), max_size=6).map(" ".join),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_any_text_gets_200_and_one_short_reply(client, text):
    before = len(sms.outbox)
    response = callback(client, text)
    assert response.status_code == 200
    (reply,) = sms.outbox[before:]
    assert reply.body.startswith("Mrejesho") and len(reply.body) <= 300


def test_an_unreadable_callback_is_accepted_and_not_answered(client):
    response = client.post(
        "/channels/sms/", {"from": "+255712345678", "id": "x1", "text": "a\x00b"}
    )
    assert response.status_code == 200 and response.content == b"OK"
    assert sms.outbox == []
