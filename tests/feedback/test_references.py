"""Reference numbers and PINs: the Verhoeff check catches every single-digit typo and every swap
of neighbours; references are random, well-formed and survive the ways people type them."""

import random
import re
from collections import Counter

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.references import (
    REFERENCE_LENGTH,
    InvalidReference,
    check_digit,
    format_reference,
    is_valid,
    new_pin,
    new_reference,
    normalize,
)

DIGITS = "0123456789"

# An independent checker written from the tables as Verhoeff published them (multiplication in
# D5, inverses, and the position permutation 1576283094), to cross-check the module, which
# derives its tables from the pentagon's symmetries instead.
PUBLISHED_D = [
    "0123456789",
    "1234067895",
    "2340178956",
    "3401289567",
    "4012395678",
    "5987604321",
    "6598710432",
    "7659821043",
    "8765932104",
    "9876543210",
]
PUBLISHED_INV = "0432156789"
PUBLISHED_P1 = "1576283094"


def published_check_digit(payload: str) -> str:
    product = 0
    for place, digit in enumerate(reversed(payload), start=1):
        scrambled = int(digit)
        for _ in range(place % 8):
            scrambled = int(PUBLISHED_P1[scrambled])
        product = int(PUBLISHED_D[product][scrambled])
    return PUBLISHED_INV[product]


def make_reference(payload: str) -> str:
    return payload + check_digit(payload)


VALID = make_reference("123456789")

payloads = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(DIGITS[1:]),
    st.text(alphabet=DIGITS, min_size=REFERENCE_LENGTH - 2, max_size=REFERENCE_LENGTH - 2),
)
references = payloads.map(make_reference)


def substitutions(reference: str):
    """Every string that differs from `reference` in exactly one digit."""
    for position, original in enumerate(reference):
        for replacement in DIGITS:
            if replacement != original:
                yield reference[:position] + replacement + reference[position + 1 :]


def adjacent_transpositions(reference: str):
    """Every string made by swapping two different neighbouring digits of `reference`."""
    for position in range(len(reference) - 1):
        left, right = reference[position], reference[position + 1]
        if left != right:
            yield reference[:position] + right + left + reference[position + 2 :]


# --- check digit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("236", "3"), ("12345", "1"), ("142857", "0"), ("0", "4")],
)
def test_check_digit_known_vectors(payload, expected):
    assert check_digit(payload) == expected
    assert published_check_digit(payload) == expected


@given(st.text(alphabet=DIGITS, min_size=1, max_size=40))
@settings(max_examples=500)
def test_check_digit_agrees_with_published_tables(payload):
    assert check_digit(payload) == published_check_digit(payload)


@pytest.mark.parametrize("payload", ["", "12a", "12 3", "١٢٣", "1²3", "-12"])
def test_check_digit_rejects_anything_but_ascii_digits(payload):
    with pytest.raises(ValueError):
        check_digit(payload)


# --- detection of typing errors ----------------------------------------------------------------


@given(references)
@settings(max_examples=500, deadline=None)
def test_every_single_digit_substitution_is_detected(reference):
    assert is_valid(reference)
    for typo in substitutions(reference):
        assert not is_valid(typo), (reference, typo)


@given(references)
@settings(max_examples=500, deadline=None)
def test_every_adjacent_transposition_is_detected(reference):
    assert is_valid(reference)
    for swapped in adjacent_transpositions(reference):
        assert not is_valid(swapped), (reference, swapped)


def test_substitutions_and_transpositions_over_many_random_references():
    rng = random.Random(20240611)  # deterministic, so a failure reproduces
    for _ in range(300):
        payload = rng.choice(DIGITS[1:]) + "".join(rng.choices(DIGITS, k=REFERENCE_LENGTH - 2))
        reference = make_reference(payload)
        assert is_valid(reference)
        typos = list(substitutions(reference))
        assert len(typos) == REFERENCE_LENGTH * 9
        assert not any(is_valid(typo) for typo in typos), reference
        assert not any(is_valid(swapped) for swapped in adjacent_transpositions(reference))


def test_every_digit_pair_swapped_at_every_place_is_detected():
    """Exhaustive: whether a swap goes unnoticed depends only on the two digits and their place,
    not on the other digits, so one case per (place, pair) covers every 10-digit reference."""
    filler = "5" * (REFERENCE_LENGTH - 1)
    for position in range(REFERENCE_LENGTH - 2):  # both swapped digits inside the payload
        for a in DIGITS:
            for b in DIGITS:
                if a == b or (position == 0 and "0" in (a, b)):
                    continue
                payload = filler[:position] + a + b + filler[position + 2 :]
                swapped = filler[:position] + b + a + filler[position + 2 :]
                assert not is_valid(swapped + check_digit(payload)), (payload, swapped)
    # The last payload digit swapped with the check digit: find a payload for every pair.
    pairs_seen = set()
    for prefix in range(10_000_000, 10_001_000):
        for last in DIGITS:
            reference = make_reference(f"{prefix}{last}")
            check = reference[-1]
            if check != last:
                pairs_seen.add((last, check))
                assert not is_valid(reference[:-2] + check + last), reference
    assert len(pairs_seen) == 90


def test_is_valid_rejects_wrong_shapes():
    assert is_valid(VALID)
    assert not is_valid(VALID[:-1])
    assert not is_valid(VALID + "0")
    assert not is_valid(format_reference(VALID))
    assert not is_valid("")
    assert not is_valid("١٢٣٤٥٦٧٨٩٠")
    # A 0 first digit is never issued, even where the check digit happens to agree.
    assert not is_valid(make_reference("012345678"))


# --- new_reference -----------------------------------------------------------------------------


def test_new_reference_shape():
    for _ in range(1000):
        reference = new_reference()
        assert re.fullmatch(r"[1-9][0-9]{9}", reference), reference
        assert len(reference) == REFERENCE_LENGTH
        assert is_valid(reference)


def test_new_reference_rarely_repeats():
    # 9 random digits, first nonzero: 9e8 payloads. Among 10,000 draws the expected number of
    # repeated pairs is C(10000, 2) / 9e8 ~ 0.056, so zero cannot be asserted; 5 or more has
    # Poisson probability ~ 0.056**5 / 120 ~ 4e-9, while a broken generator gives thousands.
    drawn = Counter(new_reference() for _ in range(10_000))
    repeats = sum(count - 1 for count in drawn.values())
    assert repeats < 5


def chi_square(counts: Counter, categories: str) -> float:
    total = sum(counts[c] for c in categories)
    expected = total / len(categories)
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


def test_new_reference_digits_are_uniform():
    drawn = [new_reference() for _ in range(10_000)]
    first = Counter(reference[0] for reference in drawn)
    rest = Counter(digit for reference in drawn for digit in reference[1:-1])
    assert first["0"] == 0
    # A fair generator exceeds 50 with probability 4e-8 (8 degrees of freedom) and 1e-7 (9); one
    # skewed by a few percent per digit lands far above it (80,000 digits make the test sharp).
    assert chi_square(first, DIGITS[1:]) < 50.0
    assert chi_square(rest, DIGITS) < 50.0


def test_new_reference_does_not_use_the_random_module():
    random.seed(1)
    first = new_reference()
    random.seed(1)
    assert new_reference() != first  # equal by chance with probability 1 in 9e8


# --- normalize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        VALID,
        format_reference(VALID),
        f"{VALID[:3]}-{VALID[3:6]}-{VALID[6:]}",
        f"{VALID[:3]}.{VALID[3:6]}.{VALID[6:]}",
        f"  {VALID[:3]} - {VALID[3:6]} - {VALID[6:]}\n",
        f"{VALID[:3]}\u00a0{VALID[3:6]}\u2013{VALID[6:]}",
        " ".join(VALID),
    ],
)
def test_normalize_accepts_typed_and_printed_forms(typed):
    assert normalize(typed) == VALID


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (" - . ", "empty"),
        ("123456789O", "not_digits"),
        ("123-456-789*", "not_digits"),
        ("REF 1234567890", "not_digits"),
        ("١٢٣٤٥٦٧٨٩٠", "not_digits"),
        ("123 456 789", "wrong_length"),
        ("123 456 78901", "wrong_length"),
        (VALID[:-1], "wrong_length"),
        (VALID[:-1] + str((int(VALID[-1]) + 1) % 10), "typo"),
        (VALID[1] + VALID[0] + VALID[2:], "typo"),
        (make_reference("012345678"), "typo"),
    ],
)
def test_normalize_rejects_with_a_code(typed, code):
    with pytest.raises(InvalidReference) as caught:
        normalize(typed)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


@given(references, st.integers(min_value=1, max_value=9))
@settings(max_examples=200)
def test_normalize_calls_any_wrong_check_digit_a_typo(reference, shift):
    wrong = reference[:-1] + str((int(reference[-1]) + shift) % 10)
    with pytest.raises(InvalidReference) as caught:
        normalize(format_reference(wrong))
    assert caught.value.code == "typo"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please enter your reference number."),
        ("12a", "A reference number has only digits 0-9."),
        ("123", "A reference number has 10 digits."),
        (
            VALID[:-1] + str((int(VALID[-1]) + 1) % 10),
            "This number has a typo: please check each digit.",
        ),
    ],
)
def test_normalize_messages_are_for_people(typed, message):
    with translation.override("en"), pytest.raises(InvalidReference) as caught:
        normalize(typed)
    assert str(caught.value.message) == message
    assert str(caught.value) == message


# --- format_reference --------------------------------------------------------------------------


def test_format_reference_groups_three_three_four():
    assert format_reference("1234567890") == "123 456 7890"


@given(references)
def test_format_reference_round_trips_through_normalize(reference):
    formatted = format_reference(reference)
    assert re.fullmatch(r"\d{3} \d{3} \d{4}", formatted)
    assert normalize(formatted) == reference


@pytest.mark.parametrize("bad", ["", "123", "12345678901", "abcdefghij"])
def test_format_reference_rejects_non_references(bad):
    with pytest.raises(ValueError):
        format_reference(bad)


# --- new_pin -----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [4, 5, 6])
def test_new_pin_lengths(length):
    for _ in range(200):
        assert re.fullmatch(rf"[0-9]{{{length}}}", new_pin(length))


def test_new_pin_defaults_to_six_digits():
    assert re.fullmatch(r"[0-9]{6}", new_pin())


@pytest.mark.parametrize("length", [-1, 0, 3, 7, 10])
def test_new_pin_rejects_lengths_outside_four_to_six(length):
    with pytest.raises(ValueError):
        new_pin(length)


def test_new_pin_may_start_with_zero():
    # No leading 0 in 2,000 PINs has probability 0.9**2000 ~ 1e-92.
    assert any(new_pin(4).startswith("0") for _ in range(2000))
