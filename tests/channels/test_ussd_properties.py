"""Properties of the USSD menu: whatever a phone sends, the answer is a CON or END screen of at
most 182 characters, the same text gives the same screen, and nothing raises. Run on the pure
machine with a registry in memory (many examples), and through the callback (a few)."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback import references
from feedback.channels import ussd_menu
from feedback.channels.ussd_menu import CaseView, Choice, Refused, Sent

REFERENCE = "1234567" + "890"
REFERENCE = REFERENCE[:9] + references.check_digit(REFERENCE[:9])
GOOD_PIN = "123456"
LONG = "Wizara ya Maendeleo ya Jamii, Jinsia, Wanawake na Makundi Maalum " * 3


class MemoryRegistry:
    """The registry as the menu sees it, in memory, with long names and long answers."""

    def __init__(self, status="resolved", allowed=("close", "dispute", "add_information")):
        self.status = status
        self.allowed = frozenset(allowed)
        self.sent = 0
        self.performed: list[tuple[str, dict]] = []

    def remember_language(self, language):
        assert language in ("en", "sw")

    def institution_by_code(self, code):
        return Choice(int(code), LONG) if code in ("1111", "121") else None

    def institutions(self):
        return [Choice(number, f"{number} {LONG}") for number in range(1, 11)]

    def services(self, institution):
        return [Choice(number, LONG) for number in range(institution % 7)]

    def submit(self, *, kind, institution, service, description, language):
        assert kind in ussd_menu.KINDS and 5 <= len(description) <= ussd_menu.DESCRIPTION_MAX
        self.sent += 1
        return Sent(REFERENCE, "042424" if self.sent == 1 else None)

    def _case(self):
        now = datetime(2026, 11, 26, tzinfo=UTC)
        return CaseView(
            reference=REFERENCE,
            status=self.status,
            status_label=LONG,
            submitted_at=now,
            resolve_due=now,
            resolved_at=now,
            last_answer=LONG * 3,
            allowed=self.allowed,
        )

    def look_up(self, reference):
        return self._case() if reference == REFERENCE else None

    def prove(self, reference, pin):
        if reference != REFERENCE or pin != GOOD_PIN:
            raise Refused("That PIN does not match this reference number.")
        return self._case()

    def perform(self, case, action, **params):
        self.performed.append((action, params))
        return "Thank you."


# What a keypad sends, plus what a broken or hostile gateway might.
inputs = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "9", "0", "00", "000", "", " ", "*"]),
    st.sampled_from(["1111", "121", "9999", REFERENCE, GOOD_PIN, "12", "#", "1 1"]),
    st.text(max_size=40),
    st.text(alphabet="0123456789*", max_size=30),
    st.text(min_size=150, max_size=400),
    st.just("Mita yangu ya maji inahesabu mara mbili 🚰 ñ"),
)
texts = st.lists(inputs, max_size=25).map("*".join)
starts = st.sampled_from([None, "en", "sw"])
# Paths that reach deep screens (feedback to the end, each reference flow), then anything.
deep = st.sampled_from(
    [
        "1*1*1*1111*2*Maji hayatoki kabisa",
        "1*4*2*00*00*7*1",
        f"3*{REFERENCE}*{GOOD_PIN}",
        f"4*{REFERENCE}*{GOOD_PIN}*2",
        f"5*{REFERENCE}*{GOOD_PIN}",
        "2",
    ]
)


def assert_screen(reply: ussd_menu.Reply) -> None:
    assert reply.kind in ("CON", "END")
    assert str(reply).startswith(reply.kind + " ")
    assert 0 < len(reply.text) <= ussd_menu.SCREEN_LIMIT, reply.text
    if reply.kind == "CON":  # a menu is never cut: its choices are at the end
        assert not reply.text.endswith("..."), reply.text


@settings(max_examples=600)
@given(text=texts, language=starts, status=st.sampled_from(["resolved", "in_progress"]))
def test_any_input_gives_a_screen_that_fits(text, language, status):
    reply = ussd_menu.respond(text, language=language, registry=MemoryRegistry(status))
    assert_screen(reply)


@settings(max_examples=400)
@given(prefix=deep, rest=texts, language=starts)
def test_any_input_after_a_deep_path_gives_a_screen_that_fits(prefix, rest, language):
    text = f"{'1*' if language is None else ''}{prefix}*{rest}" if rest else prefix
    registry = MemoryRegistry()
    assert_screen(ussd_menu.respond(text, language=language, registry=registry))
    # Nothing but the last input changes anything, and a change ends the session.
    assert registry.sent + len(registry.performed) <= 1


@settings(max_examples=300)
@given(text=texts, language=starts)
def test_the_same_text_gives_the_same_screen(text, language):
    registry = MemoryRegistry(status="in_progress")  # its submit answers without a PIN twice
    registry.sent = 1
    first = ussd_menu.respond(text, language=language, registry=registry)
    assert ussd_menu.respond(text, language=language, registry=registry) == first


@settings(max_examples=200)
@given(text=texts)
def test_back_from_any_second_screen_is_the_first_screen(text):
    first = ussd_menu.respond("", language="en", registry=MemoryRegistry())
    for choice in "12345":
        reply = ussd_menu.respond(f"{choice}*0", language="en", registry=MemoryRegistry())
        assert reply == first
    assert_screen(ussd_menu.respond(text, language="en", registry=MemoryRegistry()))


def test_a_long_answer_is_cut_to_fit_and_says_so():
    reply = ussd_menu.respond(f"3*{REFERENCE}*{GOOD_PIN}", language="sw", registry=MemoryRegistry())
    assert reply.kind == "END" and len(reply.text) <= ussd_menu.SCREEN_LIMIT
    assert reply.text.endswith("..")


def test_every_fixed_screen_fits_in_both_languages():
    paths = [
        "",
        "1",
        "1*1",
        "1*1*1",
        "1*1*1*1111",
        "1*1*2",
        "1*1*1*1111*1",
        "1*1*1*1111*1*Maji hayatoki",
        "2",
        "3",
        f"3*{REFERENCE}",
        f"4*{REFERENCE}*{GOOD_PIN}",
        f"4*{REFERENCE}*{GOOD_PIN}*2",
        f"5*{REFERENCE}*{GOOD_PIN}",
        "6",
        "9",
    ]
    for language in ("en", "sw"):
        for path in paths:
            assert_screen(ussd_menu.respond(path, language=language, registry=MemoryRegistry()))


# --- Through the callback --------------------------------------------------------------------


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(texts, deep.map(lambda path: "1*" + path)))
def test_the_callback_answers_any_text_with_a_screen_that_fits(client, text):
    response = client.post(
        "/channels/ussd/",
        {"sessionId": "ATUid_prop", "phoneNumber": "+255712345678", "text": text},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body[:4] in ("CON ", "END ")
    assert len(body) - 4 <= ussd_menu.SCREEN_LIMIT


def test_the_swahili_screens_fit_too():
    """Every screen of the main paths in Swahili (the catalogue's words) fits the limit."""
    paths = ["", "1", "1*1", "1*1*1", "1*1*2", "1*1*1*1111*1", "1*1*1*1111*1*Maji hayatoki"]
    paths += [f"{paths[-1]}*1", f"{paths[-1]}*2", "2", "2*12", f"2*{REFERENCE}", "9", "1*9"]
    paths += [f"{n}*{REFERENCE}*{GOOD_PIN}" for n in "345"] + [f"4*{REFERENCE}*{GOOD_PIN}*2"]
    for path in paths:
        for status in ("resolved", "in_progress"):
            reply = ussd_menu.respond(path, language="sw", registry=MemoryRegistry(status))
            assert_screen(reply)
    assert ussd_menu.respond("1", language="sw", registry=MemoryRegistry()).text.startswith(
        "Unataka kutoa nini?"
    )


def test_a_star_in_the_description_is_seen_on_the_confirm_screen():
    reply = ussd_menu.respond(
        "1*1*1*1111*1*Pipe broken*near the school", language="en", registry=MemoryRegistry()
    )
    assert reply.kind == "CON"
    assert reply.text.startswith("Choose 1-2.\nSend Complaint to ")
    assert '"Pipe broken"\n1 Send\n2 Cancel' in reply.text
    back = ussd_menu.respond(
        "1*1*1*1111*1*Pipe broken*near the school*0", language="en", registry=MemoryRegistry()
    )
    assert back.text == "Describe it in a few words (no * sign):"
