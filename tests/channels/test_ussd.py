"""Whole USSD sessions through the Africa's Talking callback, in English and Swahili: each step
a CON or END screen of at most 182 characters, and the cases and events that result."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from feedback import sms, workflow
from feedback.models import (
    Case,
    CaseEvent,
    Channel,
    Institution,
    Kind,
    PhonePreference,
    Status,
    UssdSession,
)
from tests.feedback.factories import InstitutionFactory, actor, user, water_service

pytestmark = pytest.mark.django_db

URL = "/channels/ussd/"
EVENTS_URL = "/channels/ussd/events/"
PHONE = "+255712345678"
OTHER_PHONE = "+255713000111"
ANSWER = "We replaced the meter on 26 November; your next bill is corrected."


@pytest.fixture(autouse=True)
def clean_outbox_and_counts():
    sms.outbox.clear()
    cache.clear()  # the look-up and PIN counters
    yield
    sms.outbox.clear()
    cache.clear()


def sw(text: str) -> str:
    """The Swahili of one of the menu's strings, as the catalogue has it."""
    with translation.override("sw"):
        return translation.gettext(text)


class Dial:
    """One USSD session: each `send` adds an input to the text, as the gateway does."""

    def __init__(self, client, session_id="ATUid_1", phone=PHONE):
        self.client = client
        self.session_id = session_id
        self.phone = phone
        self.inputs: list[str] = []

    def post(self, text: str, **query) -> tuple[str, str]:
        response = self.client.post(
            URL + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
            {
                "sessionId": self.session_id,
                "serviceCode": "*152*00#",
                "phoneNumber": self.phone,
                "networkCode": "63902",
                "text": text,
            },
            headers={"accept-encoding": "gzip, br"},  # as a gateway may send it
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        # A screen may show a PIN: no cache keeps it, and it is never compressed (BREACH).
        assert response["Cache-Control"] == "no-store"
        assert not response.has_header("Content-Encoding")
        kind, _space, screen = response.content.decode().partition(" ")
        assert kind in ("CON", "END"), response.content
        assert len(screen) <= 182, screen
        return kind, screen

    def start(self) -> tuple[str, str]:
        self.inputs = []
        return self.post("")

    def send(self, value: str) -> tuple[str, str]:
        self.inputs.append(value)
        return self.post("*".join(self.inputs))

    def replay(self) -> tuple[str, str]:
        return self.post("*".join(self.inputs))


def remember(language: str, phone: str = PHONE) -> None:
    from feedback.channels.phones import phone_digest

    PhonePreference.objects.update_or_create(
        phone_digest=phone_digest(phone), defaults={"language": language}
    )
    # The preference must predate the sessions the test opens.
    PhonePreference.objects.update(updated_at="2026-01-01T00:00:00Z")


def submit_by_ussd(client, session_id="ATUid_submit", description="My water meter counts twice"):
    """An English session that sends a complaint to DAWASA Customer Care's water service."""
    dial = Dial(client, session_id)
    dial.start()
    for value in ["1", "1", "1", "1", "1111", "2", description]:
        dial.send(value)
    kind, screen = dial.send("1")
    assert kind == "END", screen
    return dial, screen


def reference_and_pin(screen: str) -> tuple[str, str]:
    found = re.search(r"(\d{3} \d{3} \d{4}) PIN (\d{4,6})", screen)
    assert found, screen
    return found.group(1).replace(" ", ""), found.group(2)


# --- Giving feedback ----------------------------------------------------------------------


def test_english_session_asks_the_language_then_submits_a_complaint(
    client, django_capture_on_commit_callbacks
):
    dial = Dial(client)
    assert dial.start() == ("CON", "Choose language / Chagua lugha\n1 English\n2 Kiswahili")
    kind, screen = dial.send("1")
    assert kind == "CON" and screen.startswith("Mrejesho\n1 Give feedback\n2 Track a case")
    assert "6 Language" in screen
    assert dial.send("1") == (
        "CON",
        "What do you want to give?\n1 Complaint\n2 Suggestion\n3 Inquiry\n4 Compliment",
    )
    kind, screen = dial.send("1")
    assert "1 Type its code\n2 Choose from a list\n3 I do not know" in screen
    assert dial.send("1")[1].startswith("Type the institution's code")
    kind, screen = dial.send("1111")
    assert kind == "CON" and "1 Skip (not sure)\n2 Water bills and meters" in screen
    assert dial.send("2") == ("CON", "Describe it in a few words (no * sign):")
    kind, screen = dial.send("My water meter counts twice what I use")
    assert kind == "CON"
    assert screen.startswith("Send Complaint to DAWASA Customer Care:")
    assert '"My water meter counts twice what I use"\n1 Send\n2 Cancel' in screen
    with django_capture_on_commit_callbacks(execute=True):
        kind, screen = dial.send("1")
    assert kind == "END"
    assert "An SMS follows." in screen
    reference, pin = reference_and_pin(screen)

    case = Case.objects.get(reference=reference)
    assert case.channel == Channel.USSD
    assert case.kind == Kind.COMPLAINT
    assert case.institution.short_code == "1111"
    assert case.service == water_service()
    assert case.description == "My water meter counts twice what I use"
    assert case.contact.phone == PHONE
    assert case.language == "en"
    assert workflow.check_pin(case, pin)
    assert UssdSession.objects.get(session_id="ATUid_1").case == case
    (message,) = sms.outbox
    assert message.to == PHONE and reference in message.body.replace(" ", "")
    assert pin not in message.body
    # The language is remembered: the next session starts at the main menu.
    assert PhonePreference.objects.get().language == "en"
    assert Dial(client, "ATUid_2").start()[1].startswith("Mrejesho\n1 Give feedback")


def test_swahili_session_submits_a_suggestion_chosen_from_the_list(client):
    dial = Dial(client)
    dial.start()
    kind, screen = dial.send("2")
    assert kind == "CON" and f"1 {sw('Give feedback')}" in screen
    dial.send("1")
    assert f"2 {sw('Suggestion')}" in dial.replay()[1]
    dial.send("2")
    dial.send("2")
    kind, screen = dial.replay()
    assert sw("Choose the institution:") in screen
    number = re.search(r"(\d) Wizara ya Maji", screen).group(1)  # names in Swahili
    kind, screen = dial.send(number)
    assert f"2 {sw('Bili za maji na mita')}" in screen or "Bili za maji na mita" in screen
    dial.send("1")  # skip the service
    dial.send("Tafadhali ongezeni vituo vya maji")
    kind, screen = dial.send("1")
    assert kind == "END"
    reference, _pin = reference_and_pin(screen)
    case = Case.objects.get(reference=reference)
    assert case.kind == Kind.SUGGESTION and case.language == "sw"
    assert case.institution.short_code == "11" and case.service is None
    assert PhonePreference.objects.get().language == "sw"


def test_a_long_list_pages_with_back_and_more(client):
    root = Institution.get_first_root_node()
    for number in range(6):
        InstitutionFactory(short_code=f"77{number}", name=f"Zed Authority {number}", parent=root)
    remember("en")
    dial = Dial(client)
    for value in ["1", "1", "2"]:
        kind, screen = dial.send(value)
    assert screen.startswith("Choose the institution:\n1 Ministry of Health\n")
    assert screen.endswith("4 Zed Authority 0\n0 back, 00 more")
    kind, screen = dial.send("00")
    assert screen.startswith("Choose the institution:\n5 Zed Authority 1")
    assert screen.endswith("0 back, 00 more")
    kind, screen = dial.send("00")
    assert screen == "Choose the institution:\n9 Zed Authority 5\n0 back"
    kind, screen = dial.send("0")
    assert "5 Zed Authority 1" in screen
    kind, screen = dial.send("6")  # numbers run on across pages
    assert kind == "CON" and screen == "Describe it in a few words (no * sign):"
    kind, screen = dial.send("0")
    assert "5 Zed Authority 1" in screen


def test_wrong_inputs_repeat_the_screen_with_a_hint_and_create_nothing(client):
    remember("en")
    dial = Dial(client)
    kind, screen = dial.send("9")
    assert kind == "CON" and screen.startswith("Choose 1-6.\nMrejesho\n1 Give feedback")
    kind, screen = dial.send("")
    assert screen.startswith("Choose 1-6.\nMrejesho")
    dial.send("1")
    kind, screen = dial.send("x")
    assert screen.startswith("Choose 1-4.\nWhat do you want to give?")
    dial.send("3")
    dial.send("1")
    kind, screen = dial.send("9999")
    assert screen.startswith("No institution has this code.\nType the institution's code")
    dial.send("121")
    kind, screen = dial.send("00")  # one page only: no more
    assert screen.startswith("Choose 1-2.\nWhich service?")
    dial.send("2")
    kind, screen = dial.send("ab")
    assert screen.startswith("Write at least 5 characters.\nDescribe it")
    dial.send("When does my card come")
    kind, screen = dial.send("3")
    assert screen.startswith("Choose 1-2.\nSend Inquiry to National Health Insurance Fund:")
    assert dial.send("2") == ("END", "Cancelled. Nothing was sent.")
    assert not Case.objects.exists()


def test_back_works_on_every_screen(client):
    remember("sw")
    dial = Dial(client)
    main = dial.start()
    for value in ["1", "1", "1"]:
        dial.send(value)
    for _level in range(3):
        dial.send("0")
    assert dial.replay() == main
    _kind, screen = dial.send("0")  # nothing before the first screen: a hint
    assert screen.startswith(sw("Choose 1-%(count)d.") % {"count": 6})


def test_a_retried_confirm_creates_one_case_and_shows_the_reference_again(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dial, first = submit_by_ussd(client)
        reference, pin = reference_and_pin(first)
        kind, again = dial.replay()
    assert kind == "END"
    assert "Already sent." in again and "PIN was shown" in again
    assert reference in again.replace(" ", "") and pin not in again
    assert Case.objects.filter(channel=Channel.USSD).count() == 1
    assert len(sms.outbox) == 1


def test_an_expired_session_is_recorded_and_the_next_one_starts_afresh(client):
    remember("en")
    dial = Dial(client, "ATUid_dies")
    for value in ["1", "1", "1"]:
        dial.send(value)
    response = client.post(
        EVENTS_URL,
        {
            "sessionId": "ATUid_dies",
            "serviceCode": "*152*00#",
            "phoneNumber": PHONE,
            "status": "Incomplete",
            "duration": "45",
            "errorMessage": "SESSION_TIMEOUT",
        },
    )
    assert response.status_code == 200 and response.content == b"OK"
    ended = UssdSession.objects.get(session_id="ATUid_dies")
    assert ended.ended_at is not None and ended.end_status == "Incomplete"
    assert ended.duration_seconds == 45 and ended.case is None
    assert ended.started_at <= ended.last_seen_at

    kind, screen = Dial(client, "ATUid_new").start()
    assert kind == "CON" and screen.startswith("Mrejesho\n1 Give feedback")
    assert not Case.objects.exists()

    # A notification for a session the callback never saw is kept too.
    client.post(EVENTS_URL, {"sessionId": "ATUid_ghost", "status": "Failed", "duration": "x"})
    ghost = UssdSession.objects.get(session_id="ATUid_ghost")
    assert ghost.end_status == "Failed" and ghost.duration_seconds is None


def test_the_session_keeps_no_number_and_no_typed_text(client):
    submit_by_ussd(client, description="Secret words about my neighbour")
    session = UssdSession.objects.get()
    stored = " ".join(str(value) for value in vars(session).values())
    assert "712345678" not in stored and "Secret words" not in stored
    assert "712345678" not in " ".join(PhonePreference.objects.values_list("phone_digest", flat=1))


# --- Tracking -----------------------------------------------------------------------------


def mistype(reference: str) -> str:
    last = str((int(reference[-1]) + 1) % 10)
    return reference[:-1] + last


def test_a_mistyped_reference_is_caught_by_its_check_digit_before_any_look_up(client, settings):
    _dial, screen = submit_by_ussd(client)
    reference, _pin = reference_and_pin(screen)
    settings.REFERENCE_LOOKUPS_PER_PHONE = 1  # a phone's own limit (feedback.limits)
    remember("en", OTHER_PHONE)
    dial = Dial(client, "ATUid_track", OTHER_PHONE)
    dial.send("2")
    kind, screen = dial.send(mistype(reference))
    assert kind == "CON"
    assert screen == "This number has a typo: please check each digit.\nEnter the reference number:"
    kind, screen = dial.send("12345")
    assert screen.startswith("A reference number has 10 digits.")
    kind, screen = dial.send(reference)  # the one look-up this phone may make
    assert kind == "END"
    assert screen.startswith(f"Case {reference[:3]} {reference[3:6]} {reference[6:]}\n")
    assert "Status: Submitted" in screen and "Sent: " in screen and "Answer due: " in screen
    assert "meter" not in screen and "712" not in screen

    again = Dial(client, "ATUid_track2", OTHER_PHONE)
    again.send("2")
    kind, screen = again.send(reference)
    assert kind == "END" and screen.startswith("Too many reference numbers were looked up")


def test_tracking_in_swahili_shows_the_status_in_swahili(client):
    _dial, screen = submit_by_ussd(client)
    reference, _pin = reference_and_pin(screen)
    remember("sw", OTHER_PHONE)
    dial = Dial(client, "ATUid_sw", OTHER_PHONE)
    dial.send("2")
    kind, screen = dial.send(reference)
    with translation.override("sw"):
        status = str(Status.SUBMITTED.label)
    assert kind == "END" and status in screen
    assert (sw("Status: %(status)s") % {"status": status}) in screen


# --- Last answer, confirm, dispute, add information --------------------------------------


def resolved_case(client):
    _dial, screen = submit_by_ussd(client)
    reference, pin = reference_and_pin(screen)
    case = Case.objects.get(reference=reference)
    workflow.resolve(case, by=actor("officer"), response=ANSWER)
    return Case.objects.get(pk=case.pk), pin


def test_last_answer_needs_the_pin_and_shows_the_officers_words(client):
    case, pin = resolved_case(client)
    dial = Dial(client, "ATUid_answer")
    dial.send("3")
    dial.send(case.reference)
    kind, screen = dial.send("12")
    assert screen.startswith("A PIN has 4 to 6 digits.\nEnter your PIN:")
    kind, screen = dial.send(pin)
    assert kind == "END"
    assert screen.startswith(f"{case.reference[:3]} {case.reference[3:6]}")
    assert "(Resolved)" in screen and ANSWER in screen


def test_last_answer_before_any_answer_says_so(client):
    _dial, screen = submit_by_ussd(client)
    reference, pin = reference_and_pin(screen)
    dial = Dial(client, "ATUid_none")
    for value in ["3", reference]:
        dial.send(value)
    assert dial.send(pin) == (
        "END",
        f"{reference[:3]} {reference[3:6]} {reference[6:]} (Submitted)\nNo answer yet.",
    )


def test_a_wrong_pin_ends_the_session_and_is_counted_once(client):
    case, pin = resolved_case(client)
    wrong = "000000" if pin != "000000" else "111111"
    dial = Dial(client, "ATUid_wrong")
    for value in ["3", case.reference]:
        dial.send(value)
    assert dial.send(wrong) == ("END", "That PIN does not match this reference number.")
    dial.replay()  # a gateway retry of the same text
    from feedback import citizens

    state = cache.get(f"pin-failures:{case.reference}")
    assert state["failures"] == 2  # one per request: the session ends at the wrong PIN
    assert citizens.seconds_to_wait(case.reference) == 0


def test_dispute_reopens_the_case_with_priority_and_the_citizens_reason(client):
    case, pin = resolved_case(client)
    dial = Dial(client, "ATUid_dispute")
    for value in ["4", case.reference]:
        dial.send(value)
    kind, screen = dial.send(pin)
    assert kind == "CON" and screen.endswith("1 Yes, resolved\n2 No, not resolved")
    kind, screen = dial.send("2")
    assert screen == "What is still not resolved? Type it, or 1 to skip:"
    kind, screen = dial.send("The meter still counts double")
    assert (kind, screen) == (
        "END",
        "Your case is reopened with priority and goes to the level above.",
    )
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.disputed_at is not None
    event = case.events.filter(action="dispute").get()
    assert event.body == "The meter still counts double"
    assert event.actor_kind == CaseEvent.ActorKind.CITIZEN
    # The gateway retries: nothing more happens, and the screen says where the case is.
    kind, screen = dial.replay()
    assert kind == "END" and "Status: Reopened" in screen
    assert case.events.filter(action="dispute").count() == 1


def test_a_dispute_in_swahili_may_skip_the_reason(client):
    case, pin = resolved_case(client)
    remember("sw")
    dial = Dial(client, "ATUid_hapana")
    for value in ["4", case.reference, pin, "2"]:
        dial.send(value)
    kind, screen = dial.send("1")
    assert kind == "END"
    with translation.override("sw"):
        assert screen == str(workflow.ACTIONS["dispute"].thanks)
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.disputed_at is not None


def test_confirming_the_resolution_closes_the_case(client):
    case, pin = resolved_case(client)
    dial = Dial(client, "ATUid_yes")
    for value in ["4", case.reference, pin]:
        dial.send(value)
    assert dial.send("1") == ("END", "Thank you. Your case is closed.")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.disputed_at is None


def test_confirm_on_an_unresolved_case_says_its_state(client):
    _dial, screen = submit_by_ussd(client)
    reference, pin = reference_and_pin(screen)
    dial = Dial(client, "ATUid_early")
    for value in ["4", reference]:
        dial.send(value)
    kind, screen = dial.send(pin)
    assert kind == "END" and "Status: Submitted" in screen
    assert screen.endswith("There is no resolution to confirm.")


def test_add_information_once_even_when_the_gateway_retries(client):
    _dial, screen = submit_by_ussd(client)
    reference, pin = reference_and_pin(screen)
    dial = Dial(client, "ATUid_more")
    for value in ["5", reference, pin]:
        kind, screen = dial.send(value)
    assert screen == "Type the information to add (no * sign):"
    kind, screen = dial.send("Meter number 4711")
    assert (kind, screen) == ("END", "Thank you. Your information was added to the case.")
    dial.replay()
    case = Case.objects.get(reference=reference)
    added = case.events.filter(action="add_information")
    assert [event.body for event in added] == ["Meter number 4711"]


# --- The gateway, and requests we cannot read ----------------------------------------------


def test_with_a_shared_secret_set_a_callback_without_it_is_refused(client, settings):
    settings.CHANNEL_SHARED_SECRET = "s3cret"
    response = client.post(URL, {"sessionId": "x", "phoneNumber": PHONE, "text": ""})
    assert response.status_code == 403
    assert client.post(EVENTS_URL, {"sessionId": "x"}).status_code == 403
    dial = Dial(client)
    assert dial.post("", secret="s3cret")[0] == "CON"
    assert not UssdSession.objects.filter(session_id="x").exists()


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"sessionId": "s", "text": ""},
        {"sessionId": "s", "phoneNumber": "not a number", "text": "1"},
        {"sessionId": "s" * 500, "phoneNumber": PHONE, "text": ""},
    ],
)
def test_a_request_missing_its_fields_ends_with_a_short_message(client, form):
    response = client.post(URL, form)
    assert response.status_code == 200
    assert response.content.decode() == (
        "END Sorry, this request could not be read. Please dial again."
    )
    assert client.get(URL).content.decode().startswith("END ")


def test_a_session_id_belongs_to_one_phone(client):
    Dial(client, "ATUid_mine").start()
    kind, _screen = Dial(client, "ATUid_mine", OTHER_PHONE).start()
    assert kind == "END"


# --- The end-to-end line ---------------------------------------------------------------


def test_a_ussd_case_answered_in_the_admin_reaches_the_citizen_by_sms_and_on_ussd(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _dial, screen = submit_by_ussd(client)
    reference, pin = reference_and_pin(screen)
    case = Case.objects.get(reference=reference)
    sms.outbox.clear()

    client.force_login(user("officer"))
    page = reverse("feedback_case_workspace", args=[case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(page, {"action": "resolve", "resolve-response": ANSWER})
    assert answered.status_code == 302
    client.logout()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED

    resolved_sms = [message for message in sms.outbox if ANSWER[:30] in message.body]
    assert [message.to for message in resolved_sms] == [PHONE]

    dial = Dial(client, "ATUid_after")
    for value in ["3", reference]:
        dial.send(value)
    kind, screen = dial.send(pin)
    assert kind == "END" and ANSWER in screen


def test_unreadable_input_is_answered_in_the_gateways_format(client):
    form = {"sessionId": "ATUid_nul", "phoneNumber": PHONE, "text": "1*\x00"}
    response = client.post(URL, form)
    assert response.status_code == 200
    assert response.content.decode().startswith("END Sorry, this request could not be read.")
    assert client.post(EVENTS_URL, {"sessionId": "\x00"}).content == b"OK"
    latin1 = client.post(
        URL, b"sessionId=s&text=\xff", content_type="application/x-www-form-urlencoded"
    )
    assert latin1.content.decode().startswith("END ")


def test_changing_the_language_from_the_main_menu_keeps_the_session_readable(client):
    remember("en")
    dial = Dial(client)
    assert dial.send("6")[1] == "Choose language / Chagua lugha\n1 English\n2 Kiswahili"
    kind, screen = dial.send("2")
    assert kind == "CON" and screen.startswith(f"Mrejesho\n1 {sw('Give feedback')}")
    assert PhonePreference.objects.get().language == "sw"
    # The next inputs of the same session are still read from the main menu on.
    kind, screen = dial.send("1")
    assert screen.startswith(sw("What do you want to give?"))
    kind, screen = dial.send("0")
    assert screen.startswith(f"Mrejesho\n1 {sw('Give feedback')}")
    # A new session starts in Swahili, at the main menu.
    assert Dial(client, "ATUid_next").start()[1].startswith(f"Mrejesho\n1 {sw('Give feedback')}")


def test_not_knowing_the_institution_sends_the_case_to_screening(client):
    remember("en")
    dial = Dial(client)
    for value in ["1", "3", "3", "Who fixes the street lights here?"]:
        _kind, screen = dial.send(value)
    assert screen.startswith("Send Inquiry to the registry:")
    _kind, screen = dial.send("1")
    reference, _pin = reference_and_pin(screen)
    case = Case.objects.get(reference=reference)
    assert case.institution == Institution.get_first_root_node() and case.service is None
