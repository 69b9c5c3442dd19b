"""Properties of the SMS keyword parser (feedback.channels.sms_parser.parse), a pure function:
any text gives an intent of the known set, and valid messages typed with random case, spacing,
punctuation and the misspellings of the keyword table parse to the right intent and arguments."""

from hypothesis import given
from hypothesis import strategies as st

from feedback.channels.sms_parser import KEYWORDS, Intent, Request, parse
from feedback.channels.sms_parser import _one_slip as one_slip
from feedback.references import check_digit

# The table's rows by intent: (kind, language, words).
ROWS = {
    intent: [
        (kind, language, words)
        for row_intent, kind, language, words in KEYWORDS
        if row_intent == intent
    ]
    for intent in Intent
}
SPACES = st.text(alphabet=" \t", min_size=1, max_size=4)
PUNCTUATION = st.sampled_from(["", ":", ".", ",", "-", "!", "#"])


def typed(word: str):
    """The word as someone types it: each letter in either case."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )


@st.composite
def keyword(draw, intent: Intent):
    kind, language, words = draw(st.sampled_from(ROWS[intent]))
    word = draw(typed(draw(st.sampled_from(words))))
    return kind, language, f"{draw(st.text(alphabet=' ', max_size=3))}{word}{draw(PUNCTUATION)}"


@st.composite
def reference(draw) -> tuple[str, str]:
    """A valid reference and the way it was typed: as one run, or in groups."""
    payload = draw(st.integers(1, 9)).__str__() + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8))
    )
    digits = payload + check_digit(payload)
    separator = draw(st.sampled_from(["", " ", "-", "  ", "."]))
    if not separator:
        return digits, digits
    return digits, separator.join([digits[:3], digits[3:6], digits[6:]])


PINS = st.text(alphabet="0123456789", min_size=4, max_size=6)
# Free text: words starting with a letter (a digit there would read as more reference).
WORDS = st.lists(
    st.builds(
        str.__add__,
        st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789,.?'", max_size=8),
    ),
    min_size=1,
    max_size=8,
).map(" ".join)


@given(st.text(max_size=300))
def test_any_text_gives_a_known_intent(text):
    request = parse(text)
    assert isinstance(request, Request)
    assert request.intent in set(Intent)
    assert request.language in ("", "en", "sw")


@given(st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_any_bytes_give_a_known_intent(text):
    assert parse(text).intent in set(Intent)


@given(keyword(Intent.TRACK), SPACES, reference())
def test_track(word, space, ref):
    _kind, language, typed_word = word
    digits, as_typed = ref
    request = parse(f"{typed_word}{space}{as_typed}")
    assert (request.intent, request.language, request.reference) == (Intent.TRACK, language, digits)


@given(
    keyword(Intent.SUBMIT),
    SPACES,
    st.text(alphabet="0123456789", min_size=1, max_size=6),
    SPACES,
    WORDS,
)
def test_submit(word, space, code, space2, text):
    kind, language, typed_word = word
    request = parse(f"{typed_word}{space}{code}{space2}{text}")
    assert request.intent == Intent.SUBMIT
    assert (request.kind, request.language, request.institution_code) == (kind, language, code)
    assert request.text == " ".join(text.split())


@given(reference(), SPACES, PINS, SPACES, WORDS)
def test_add_information(ref, space, pin, space2, text):
    digits, as_typed = ref
    first = parse(text.split()[0]).intent
    request = parse(f"{as_typed}{space}{pin}{space2}{text}")
    if first in (Intent.DISPUTE, Intent.CONFIRM):  # "<ref> <PIN> no ..." answers a resolution
        assert request.intent == first
    else:
        assert request.intent == Intent.ADD_INFORMATION
        assert request.text == " ".join(text.split())
    assert (request.reference, request.pin) == (digits, pin)


@given(st.sampled_from([Intent.DISPUTE, Intent.CONFIRM]), st.data(), SPACES, reference(), WORDS)
def test_answers_to_a_resolution(intent, data, space, ref, reason):
    _kind, language, typed_word = data.draw(keyword(intent))
    digits, as_typed = ref
    request = parse(f"{typed_word}{space}{as_typed} {reason}")
    assert (request.intent, request.language, request.reference) == (intent, language, digits)
    assert request.pin == ""
    assert request.text == " ".join(reason.split())


@given(st.sampled_from([Intent.DISPUTE, Intent.CONFIRM]), st.data(), reference(), PINS)
def test_answers_to_a_resolution_with_the_pin(intent, data, ref, pin):
    _kind, _language, typed_word = data.draw(keyword(intent))
    digits, as_typed = ref
    request = parse(f"{as_typed} {pin} {typed_word}")
    assert (request.intent, request.reference, request.pin) == (intent, digits, pin)


@given(keyword(Intent.HELP))
def test_help(word):
    _kind, language, typed_word = word
    assert (parse(typed_word).intent, parse(typed_word).language) == (Intent.HELP, language)


@given(
    st.sampled_from([w for _i, _k, _l, words in KEYWORDS for w in words if len(w) >= 6]),
    st.data(),
)
def test_one_slip_in_a_long_keyword_is_forgiven(word, data):
    """A letter dropped from a long keyword still reads as that keyword, unless the slip is
    as near another meaning ("COMPLIENT": COMPLIMENT or COMPLIANT, i.e. complaint), which
    is then not guessed."""
    position = data.draw(st.integers(0, len(word) - 1))
    slipped = word[:position] + word[position + 1 :]
    expected, got = parse(word), parse(slipped)
    if got.intent == Intent.UNKNOWN:
        meanings = {
            (intent, kind, language)
            for intent, kind, language, words in KEYWORDS
            for listed in words
            if len(listed) >= 5 and one_slip(slipped, listed)
        }
        assert len(meanings) > 1, slipped
    else:
        assert (got.intent, got.kind) == (expected.intent, expected.kind)
