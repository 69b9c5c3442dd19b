"""Case reference numbers (10 random digits, Verhoeff check digit last) and PINs, both sized
for typing on a feature-phone keypad and for reading back over the telephone."""

import secrets

from django.utils.translation import gettext_lazy as _

REFERENCE_LENGTH = 10
PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 6

_DIGITS = "0123456789"
# Characters people type between digit groups, or that we print ourselves: ASCII space, tab,
# no-break spaces, hyphen and the dashes phones and word processors substitute for it, full stop.
_SEPARATORS = " \t\r\n\u00a0\u202f-\u2010\u2011\u2012\u2013\u2014\u2212."
_STRIP_SEPARATORS = str.maketrans("", "", _SEPARATORS)


# --- Verhoeff check digit --------------------------------------------------------------------
#
# The digits 0-9 name the ten symmetries of a regular pentagon whose corners are numbered
# 0-4 (the dihedral group D5): digit k < 5 is the rotation x -> x + k, and digit 5 + k is the
# reflection x -> k - x (arithmetic mod 5). Multiplying two digits composes their symmetries.
# D5 is not commutative, and that is what lets a check catch swapped neighbours, which a plain
# sum of digits cannot. Each digit is first scrambled by a power of a fixed permutation chosen
# by its position, so that equal digits in different places never cancel out.


def _as_map(element: int) -> tuple[int, int]:
    """The symmetry x -> sign * x + shift (mod 5) that a digit names, as (sign, shift)."""
    return (1, element) if element < 5 else (-1, element - 5)


def _from_map(sign: int, shift: int) -> int:
    return shift % 5 if sign == 1 else 5 + shift % 5


def _compose(a: int, b: int) -> int:
    """a * b, the symmetry that applies b and then a."""
    sign_a, shift_a = _as_map(a)
    sign_b, shift_b = _as_map(b)
    # a(b(x)) = sign_a * (sign_b * x + shift_b) + shift_a
    return _from_map(sign_a * sign_b, sign_a * shift_b + shift_a)


_MULTIPLY = tuple(tuple(_compose(a, b) for b in range(10)) for a in range(10))
_INVERSE = tuple(next(b for b in range(10) if _MULTIPLY[a][b] == 0) for a in range(10))

# Verhoeff's position permutation, 0->1, 1->5, 2->7, ... ; its powers repeat every 8 places.
_PERMUTATION = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _permutation_powers() -> tuple[tuple[int, ...], ...]:
    powers = [tuple(range(10))]
    while len(powers) < 8:
        powers.append(tuple(_PERMUTATION[digit] for digit in powers[-1]))
    return tuple(powers)


_POSITION_PERMUTATIONS = _permutation_powers()


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone would also accept "²" and Arabic-Indic or Devanagari digits.
    return text.isascii() and text.isdigit()


def _verhoeff(digits: str, offset: int) -> int:
    """Product of the position-scrambled digits, the rightmost digit taken at place `offset`."""
    product = 0
    for place, digit in enumerate(reversed(digits), start=offset):
        product = _MULTIPLY[product][_POSITION_PERMUTATIONS[place % 8][int(digit)]]
    return product


def check_digit(payload: str) -> str:
    """The Verhoeff check digit to append to `payload`, so that any single mistyped digit or
    any swap of two neighbouring digits in the result is detected."""
    if not _is_ascii_digits(payload):
        raise ValueError(f"check_digit() needs a string of digits 0-9, not {payload!r}")
    # The check digit will occupy place 0, so the payload's last digit is at place 1.
    return str(_INVERSE[_verhoeff(payload, offset=1)])


def is_valid(reference: str) -> bool:
    """Whether `reference` is shaped like one we issue (10 digits, first not 0) and its check
    digit agrees, i.e. whether it is worth looking up. Expects normalized input."""
    return (
        len(reference) == REFERENCE_LENGTH
        and _is_ascii_digits(reference)
        and reference[0] != "0"
        and _verhoeff(reference, offset=0) == 0
    )


def new_reference() -> str:
    """A fresh random reference: random so that one number reveals neither case counts nor other
    cases' numbers; first digit never 0 so spreadsheets keep all 10 digits. 9e8 possibilities
    make repeats rare, not impossible, so callers must still check uniqueness when storing."""
    payload = secrets.choice(_DIGITS[1:]) + "".join(
        secrets.choice(_DIGITS) for _ in range(REFERENCE_LENGTH - 2)
    )
    return payload + check_digit(payload)


class InvalidReference(ValueError):
    """A typed reference that cannot be one of ours. `code` is for programs ("empty",
    "not_digits", "wrong_length", "typo"); `message` is translatable text for the citizen."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize(raw: str) -> str:
    """The bare 10-digit reference in what someone typed or copied, e.g. "123 456-7890", so that
    a lookup never fails over formatting; raises InvalidReference saying what is wrong instead."""
    digits = raw.translate(_STRIP_SEPARATORS)
    if not digits:
        raise InvalidReference("empty", _("Please enter your reference number."))
    if not _is_ascii_digits(digits):
        raise InvalidReference("not_digits", _("A reference number has only digits 0-9."))
    if len(digits) != REFERENCE_LENGTH:
        raise InvalidReference("wrong_length", _("A reference number has 10 digits."))
    if not is_valid(digits):
        raise InvalidReference("typo", _("This number has a typo: please check each digit."))
    return digits


def format_reference(reference: str) -> str:
    """The reference in groups of 3, 3 and 4 ("123 456 7890"), which people read, copy and dictate
    more reliably than a run of ten digits; normalize() accepts this form back."""
    digits = reference.translate(_STRIP_SEPARATORS)
    if len(digits) != REFERENCE_LENGTH or not _is_ascii_digits(digits):
        raise ValueError(f"format_reference() needs a {REFERENCE_LENGTH}-digit reference")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def new_pin(length: int = 6) -> str:
    """A random numeric PIN of 4-6 digits that keypad users can type; unlike a reference it is
    never stored as a number, so it may start with 0 (which keeps all 10**length values)."""
    if not PIN_MIN_LENGTH <= length <= PIN_MAX_LENGTH:
        raise ValueError(f"A PIN has {PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits, not {length}.")
    return "".join(secrets.choice(_DIGITS) for _ in range(length))
