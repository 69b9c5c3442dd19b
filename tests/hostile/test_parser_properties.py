"""Property-based tests of the parsers that read references and PINs from anyone's input
(tests/feedback/test_references.py already proves the check digit catches typos and the
format round-trips; tests/channels/test_*_properties.py cover USSD and SMS)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback import references, workflow
from feedback.forms import PinForm, ReferenceForm
from feedback.models import Case
from feedback.references import InvalidReference, format_reference, is_valid, normalize

# The suite-wide cache reset (conftest.py) reads the database cache; no example writes.
pytestmark = pytest.mark.django_db

DIGITS = "0123456789"
payloads = st.text(alphabet=DIGITS, min_size=9, max_size=9).filter(lambda p: p[0] != "0")
valid_references = payloads.map(lambda p: p + references.check_digit(p))
# Anything a person, a phone or an attacker could type or paste, lone surrogates included.
any_text = (
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
    | st.from_regex(r"[0-9 \-.\u00a0\u202f\u2013\u0660-\u0669]{0,20}", fullmatch=True)
    | st.sampled_from(["\ud800", "0421\udfff37", "042137\x00", "٠٤٢١٣٧"])
)


@given(any_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=400)
def test_any_text_normalises_to_a_valid_reference_or_raises_invalid_reference(text):
    try:
        reference = normalize(text)
    except InvalidReference as error:
        assert error.code in ("empty", "not_digits", "wrong_length", "typo")
        return
    assert is_valid(reference) and reference.isascii() and len(reference) == 10


@given(valid_references, st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
def test_one_changed_digit_or_two_swapped_neighbours_is_caught(reference, data):
    place = data.draw(st.integers(0, 9))
    digit = data.draw(st.sampled_from([d for d in DIGITS if d != reference[place]]))
    changed = reference[:place] + digit + reference[place + 1 :]
    with pytest.raises(InvalidReference):
        normalize(changed)
    swap = data.draw(st.integers(0, 8))
    if reference[swap] != reference[swap + 1]:
        swapped = reference[:swap] + reference[swap + 1] + reference[swap] + reference[swap + 2 :]
        with pytest.raises(InvalidReference):
            normalize(swapped)


@given(valid_references, st.sampled_from([" ", "-", ".", "\u00a0", ""]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_format_then_normalise_is_the_identity(reference, separator):
    formatted = format_reference(reference)
    assert normalize(formatted) == reference
    assert normalize(formatted.replace(" ", separator)) == reference


@given(any_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
def test_the_tracking_form_takes_any_text_without_raising(text):
    form = ReferenceForm({"reference": text})
    if form.is_valid():
        assert is_valid(form.cleaned_data["reference"])
    else:
        assert form.errors["reference"]


@given(any_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
def test_the_pin_form_takes_any_text_without_raising(text):
    form = PinForm({"pin": text})
    if form.is_valid():
        assert 4 <= len(form.cleaned_data["pin"]) <= 6


REFERENCE, PIN = "1000000009", "042137"


@pytest.fixture
def sent():
    """A case as intake leaves it (only its reference and PIN digest matter), not saved."""
    return Case(reference=REFERENCE, pin_digest=workflow.pin_digest(REFERENCE, PIN))


@given(text=any_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
def test_check_pin_answers_any_text_with_a_boolean(sent, text):
    """Only the PIN itself (surrounding spaces forgiven) is accepted; any other text, lone
    surrogates and other digits than ASCII included, is simply wrong, never an exception."""
    answer = workflow.check_pin(sent, text)
    assert answer is (text.strip() == PIN)


@given(st.integers(0, 5), st.sampled_from(DIGITS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_check_pin_catches_any_changed_digit(sent, place, digit):
    pin = PIN
    changed = pin[:place] + digit + pin[place + 1 :]
    assert workflow.check_pin(sent, changed) is (changed == pin)
    assert workflow.check_pin(sent, f"  {pin}\t")
