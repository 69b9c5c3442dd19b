"""What an inbound SMS asks for: a pure function from the text typed to an intent and its
arguments, forgiving of case, spacing, punctuation and the common misspellings in KEYWORDS.

It never looks anything up and never raises: checking the reference's check digit, the PIN,
the institution code and the case is the handler's work (feedback/channels/sms.py).
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from feedback.models import Kind
from feedback.references import PIN_MAX_LENGTH, PIN_MIN_LENGTH, REFERENCE_LENGTH


class Intent(StrEnum):
    TRACK = "track"
    SUBMIT = "submit"
    ADD_INFORMATION = "add_information"
    DISPUTE = "dispute"
    CONFIRM = "confirm"
    HELP = "help"
    UNKNOWN = "unknown"


# The one table of keywords: (intent, kind for a submission, language, words). The first word
# of each row is the one the help text teaches; the others are the spellings people send.
KEYWORDS: tuple[tuple[Intent, str, str, tuple[str, ...]], ...] = (
    (Intent.TRACK, "", "en", ("TRACK", "TRAK", "TRACKING", "TRAC", "TRCK", "TRUCK", "STATUS")),
    (Intent.TRACK, "", "sw", ("FUATILIA", "FUATILA", "FUATLIA", "FWATILIA", "FUATILIYA", "FUATA")),
    (
        Intent.SUBMIT,
        Kind.COMPLAINT,
        "en",
        ("COMPLAINT", "COMPLAIN", "COMPLAINTS", "COMPLANT", "COMPLIANT", "COMPLAINTE"),
    ),
    (
        Intent.SUBMIT,
        Kind.COMPLAINT,
        "sw",
        ("MALALAMIKO", "MALALAMIKA", "MALAMIKO", "MALALMIKO", "MALALAMKO", "LALAMIKO", "LALAMIKA"),
    ),
    (
        Intent.SUBMIT,
        Kind.SUGGESTION,
        "en",
        ("SUGGESTION", "SUGESTION", "SUGGESTIONS", "SUGGEST", "SUGGETION", "SUGGESTON"),
    ),
    (
        Intent.SUBMIT,
        Kind.SUGGESTION,
        "sw",
        ("PENDEKEZO", "MAPENDEKEZO", "PENDEKEZA", "PENDEKEZ", "MAONI", "MAONII"),
    ),
    (
        Intent.SUBMIT,
        Kind.INQUIRY,
        "en",
        ("INQUIRY", "ENQUIRY", "INQUIRE", "ENQUIRE", "INQUIRI", "ENQUIRI", "QUESTION", "QUERY"),
    ),
    (Intent.SUBMIT, Kind.INQUIRY, "sw", ("SWALI", "MASWALI", "SUALI", "ULIZO", "MAULIZO", "ULIZA")),
    (
        Intent.SUBMIT,
        Kind.COMPLIMENT,
        "en",
        ("COMPLIMENT", "COMPLEMENT", "COMPLIMENTS", "COMPLIMET", "PRAISE"),
    ),
    (Intent.SUBMIT, Kind.COMPLIMENT, "sw", ("PONGEZI", "PONGEZA", "PONGEZ", "HONGERA")),
    (Intent.DISPUTE, "", "en", ("NO", "NOT", "NOO", "NOPE")),
    (Intent.DISPUTE, "", "sw", ("HAPANA", "APANA", "HAPANAA", "HAPNA", "SIO")),
    (Intent.CONFIRM, "", "en", ("YES", "YS", "YESS", "YEAH", "YEP")),
    (Intent.CONFIRM, "", "sw", ("NDIYO", "NDIO", "NDYO", "NDIYOO", "SAWA")),
    (Intent.HELP, "", "en", ("HELP", "HLP", "HELLP", "HEPL", "HELPP", "MENU", "INFO")),
    (Intent.HELP, "", "sw", ("MSAADA", "MSADA", "MSAADAA", "MSAAD", "SAIDIA", "MSAIDIE")),
)


@dataclass(frozen=True)
class Keyword:
    intent: Intent
    kind: str
    language: str


_WORDS: dict[str, Keyword] = {
    word: Keyword(intent, kind, language)
    for intent, kind, language, words in KEYWORDS
    for word in words
}
# Longer words are also recognised one slip away (a letter missing, extra, wrong or swapped),
# when that slip points to one meaning only; short ones ("NO", "YES") only as listed.
_FUZZY_MIN_LENGTH = 5


def keyword_of(word: str) -> Keyword | None:
    """The keyword a word means, as listed or one slip away from a long one; None if none."""
    word = word.upper()
    if word in _WORDS:
        return _WORDS[word]
    if len(word) < _FUZZY_MIN_LENGTH or not word.isalpha():
        return None
    near = {
        meaning
        for listed, meaning in _WORDS.items()
        if len(listed) >= _FUZZY_MIN_LENGTH and _one_slip(word, listed)
    }
    return near.pop() if len(near) == 1 else None


def _one_slip(a: str, b: str) -> bool:
    """Whether b is a with at most one letter inserted, deleted, replaced or two swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@dataclass(frozen=True)
class Request:
    """What one SMS asks: its intent and the arguments as typed (not yet checked)."""

    intent: Intent
    language: str = ""  # the language its keyword is in; "" when it has none (digits only)
    reference: str = ""  # the digits typed as the reference
    pin: str = ""
    kind: str = ""
    institution_code: str = ""
    text: str = ""  # the description, the information, the reason: as typed


# Words (letters of any script) and runs of digits; everything else separates them.
_TOKEN = re.compile(r"[^\W\d_]+|[0-9]+")
# An institution's keypad short code, as Institution.short_code allows.
_CODE_MAX_LENGTH = 6


def parse(text: str) -> Request:
    """The intent of an SMS and its arguments; Intent.UNKNOWN for anything else."""
    text = text if isinstance(text, str) else ""
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return Request(Intent.UNKNOWN)
    first = tokens[0].group()
    if _is_digits(first):
        return _starting_with_reference(text, tokens)
    keyword = keyword_of(first)
    if keyword is None:
        return Request(Intent.UNKNOWN)
    rest = tokens[1:]
    if keyword.intent == Intent.SUBMIT:
        code = ""
        if rest and _is_digits(rest[0].group()) and len(rest[0].group()) <= _CODE_MAX_LENGTH:
            code, rest = rest[0].group(), rest[1:]
        return Request(
            Intent.SUBMIT,
            keyword.language,
            kind=keyword.kind,
            institution_code=code,
            text=_from(text, rest),
        )
    if keyword.intent == Intent.HELP:
        return Request(Intent.HELP, keyword.language)
    reference, pin, rest = _reference_and_pin(rest)
    return Request(
        keyword.intent, keyword.language, reference=reference, pin=pin, text=_from(text, rest)
    )


def _starting_with_reference(text: str, tokens: list) -> Request:
    """`<ref>` (track), `<ref> <PIN>` (track, with the answer), `<ref> <PIN> <text>` (add
    information), `<ref> <PIN> NO|YES [reason]`, and `<ref> NO|YES` (proved by the number)."""
    reference, pin, rest = _reference_and_pin(tokens)
    keyword = keyword_of(rest[0].group()) if rest else None
    if keyword is not None and keyword.intent in (Intent.DISPUTE, Intent.CONFIRM):
        return Request(
            keyword.intent,
            keyword.language,
            reference=reference,
            pin=pin,
            text=_from(text, rest[1:]),
        )
    if not rest:
        return Request(Intent.TRACK, reference=reference, pin=pin)
    return Request(Intent.ADD_INFORMATION, reference=reference, pin=pin, text=_from(text, rest))


def _reference_and_pin(tokens: list) -> tuple[str, str, list]:
    """The reference (digit groups up to 10 digits, as in "123 456 7890"), then a PIN if the
    next group has 4 to 6 digits; and the tokens left. A PIN typed onto the reference without
    a space is split off when what follows the 10th digit is PIN-sized."""
    digits, index = "", 0
    while index < len(tokens) and _is_digits(tokens[index].group()) and len(digits) < 10:
        digits += tokens[index].group()
        index += 1
    rest = tokens[index:]
    extra = digits[REFERENCE_LENGTH:]
    if extra and PIN_MIN_LENGTH <= len(extra) <= PIN_MAX_LENGTH:
        return digits[:REFERENCE_LENGTH], extra, rest
    pin = ""
    if (
        len(digits) == REFERENCE_LENGTH
        and rest
        and _is_digits(rest[0].group())
        and PIN_MIN_LENGTH <= len(rest[0].group()) <= PIN_MAX_LENGTH
    ):
        pin, rest = rest[0].group(), rest[1:]
    return digits, pin, rest


def _is_digits(word: str) -> bool:
    return word.isascii() and word.isdigit()


def _from(text: str, tokens: list) -> str:
    """The text as typed from the first of these tokens on (punctuation and all)."""
    return " ".join(text[tokens[0].start() :].split()) if tokens else ""
