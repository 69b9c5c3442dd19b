"""Takes personal data out of a text meant for the public, and says what it took out.

`scrub(text, contact, language)` replaces phone numbers, e-mail addresses, identity and
document numbers, and every name, phone and e-mail of the case's own contact with a
placeholder in the outcome's language ("[phone number]", "[namba ya simu]"). What it removed
comes back as (kind, masked) pairs: enough for the officer to see what went, never the data.

What it keeps: amounts of money (TSh 45,000, KES 1,200.50, 45000/=), dates, times, years,
counts, and our own case reference numbers. The rule between a reference and the numbers it
resembles (written down here because the two look alike):

- A case reference is ten digits, first digit not 0, with a valid Verhoeff check digit,
  written as we write it: bare (4938210563) or grouped 3-3-4 (493 821 0563, also with
  hyphens or dots). Such a number is kept.
- A ten-digit number starting with 0 is a local phone number (references never start with 0).
- A ten-digit number in the reference's form whose check digit fails is not ours: it is
  removed as a document number (Tanzanian driving licences, for one, are ten digits).
- A number after "+", "00" or an East African country code (255, 254, 256) is a phone
  number whatever its check digit.
A reference's check digit is right by chance for one number in ten, so a licence number can
be kept as if it were a reference when nothing around it says "licence"; with such a word
before it, it is removed whatever its check digit.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from feedback import references

PLACEHOLDERS = {
    "phone": _("[phone number]"),
    "email": _("[e-mail address]"),
    "national_id": _("[ID number]"),
    "passport": _("[passport number]"),
    "voter_id": _("[voter card number]"),
    "licence": _("[licence number]"),
    "document": _("[document number]"),
    "name": _("[name]"),
}
# How the officer's list of removals names each kind.
KIND_LABELS = {
    "phone": _("Phone number"),
    "email": _("E-mail address"),
    "national_id": _("National ID number"),
    "passport": _("Passport number"),
    "voter_id": _("Voter card number"),
    "licence": _("Licence number"),
    "document": _("Document number"),
    "name": _("Name"),
}
MASK = "•"
EAST_AFRICAN_CODES = ("255", "254", "256")  # Tanzania, Kenya, Uganda
CURRENCIES = frozenset({"TSH", "TZS", "KES", "KSH", "UGX", "USD", "EUR", "GBP"})


@dataclass(frozen=True)
class Removal:
    kind: str
    masked: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "masked": self.masked}


@dataclass(frozen=True)
class Scrubbed:
    text: str
    removed: list[Removal] = field(default_factory=list)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


def placeholder(kind: str, language: str = "en") -> str:
    with translation.override(language):
        return str(PLACEHOLDERS[kind])


# --- What is removed wherever it appears -------------------------------------------------

_SEP = r"[\s.()\-]{0,2}"  # between digits of a phone: space, dot, hyphen, brackets
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONES = [
    # International: +CC or 00CC, then the number (7 to 14 more digits), e.g. +255 712 345 678,
    # +254-722-000-111, +256 (0) 772 123 456, 00255712345678, +44 20 7946 0958.
    re.compile(rf"(?<![\w+])(?:\+|00)\s?\(?\d(?:{_SEP}\d){{7,14}}(?![\d:])"),
    # East African country code without the plus: 255 712 345 678.
    re.compile(rf"(?<![\w+.,])25[456]{_SEP}(?:\(0\){_SEP})?\d(?:{_SEP}\d){{8}}(?![\d:,])"),
    # Local: ten digits starting with 0, e.g. 0712 345 678, (022) 211 2345, 0722-000-111.
    re.compile(rf"(?<![\w+.,/])\(?0(?:{_SEP}\d){{9}}(?![\d:,/])"),
]
_DATE_START = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
# Tanzania's NIDA number, e.g. 19850101-12345-00001-23, or its twenty digits run together.
_NIDA = re.compile(r"(?<![\w-])\d{8}[\s-]?\d{5}[\s-]?\d{5}[\s-]?\d{2}(?![\w-])")
# Passport-like (AB1234567, TAE123456) and voter-card-like (T-1000-1234-567-8) numbers.
_LETTERS_DIGITS = re.compile(r"(?<![\w-])([A-Z]{1,3})(\d{6,9})(?![\w-])")
_HYPHENATED = re.compile(r"(?<![\w-])[A-Z]{1,2}-\d{2,}(?:-\d+){2,}(?![\w-])")
# Ten digits in our reference's form (see the module's docstring).
_TEN_DIGITS = re.compile(r"(?<![\w+.,/-])[1-9]\d{2}[\s.-]?\d{3}[\s.-]?\d{4}(?![\w,/]|[.-]\d)")

# A number after a word that says what it is: "passport no. AB123456", "leseni namba
# 4001234567", "kitambulisho cha mpiga kura T-1000-...", "ID 12345678" (Kenya: 7-8 digits).
_CONTEXT_WORDS = [
    ("passport", r"passport|pasipoti|hati\s+ya\s+kusafiria"),
    ("voter_id", r"voter'?s?(?:\s+(?:card|id))?|mpiga\s+kura|kadi\s+ya\s+kura"),
    ("licence", r"(?:driving\s+)?licen[cs]e|leseni(?:\s+ya\s+udereva)?|udereva"),
    ("national_id", r"national\s+id|nida|id\s+card|kitambulisho|i\.?d\.?"),
]
_CONNECTIVES = (
    r"(?:\s*(?:no\.?|nos\.?|number|namba|nambari|card|ya|la|wa|cha|chake|changu|yake|yangu|"
    r"his|her|the|is|ni|of|[:#]))*"
)
_CONTEXT = re.compile(
    r"(?<!\w)(?:"
    + "|".join(f"(?P<{kind}>{words})" for kind, words in _CONTEXT_WORDS)
    + rf")(?![^\W\d_]){_CONNECTIVES}\s*"
    + r"(?P<number>[A-Za-z0-9](?:[A-Za-z0-9/-]|\s(?=\d))*[A-Za-z0-9])",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _phone_spans(text: str) -> Iterator[_Span]:
    for pattern in _PHONES:
        for match in pattern.finditer(text):
            if _DATE_START.match(match.group().lstrip("(")):
                continue  # 01.12.2026 10 is a date and an hour, not a phone
            yield _Span(match.start(), match.end(), "phone")


def _document_spans(text: str) -> Iterator[_Span]:
    # First the numbers whose kind a word before them names: at an equal span, the first wins.
    for match in _CONTEXT.finditer(text):
        number = match.group("number")
        digits = _digits(number)
        kind = next(k for k, _w in _CONTEXT_WORDS if match.group(k))
        # Kenya's ID numbers have 7 or 8 digits; other documents at least 5.
        enough = 7 if kind == "national_id" and digits == number else 5
        if len(digits) >= enough:
            yield _Span(match.start("number"), match.end("number"), kind)
    for match in _NIDA.finditer(text):
        yield _Span(match.start(), match.end(), "national_id")
    for match in _LETTERS_DIGITS.finditer(text):
        if match.group(1).upper() not in CURRENCIES:
            yield _Span(match.start(), match.end(), "document")
    for match in _HYPHENATED.finditer(text):
        yield _Span(match.start(), match.end(), "document")
    for match in _TEN_DIGITS.finditer(text):
        if not references.is_valid(_digits(match.group())):
            yield _Span(match.start(), match.end(), "document")


# --- The case's own contact --------------------------------------------------------------


def _national_number(phone: str) -> tuple[str, str]:
    """(country code or "", the number without it or a trunk 0) of a stored phone."""
    digits = _digits(phone)
    if phone.strip().startswith(("+", "00")):
        digits = digits.removeprefix("00") if phone.strip().startswith("00") else digits
        for code in EAST_AFRICAN_CODES:
            if digits.startswith(code):
                return code, digits[len(code) :].lstrip("0")
        return "", digits
    return "", digits.lstrip("0")


def _contact_phone_pattern(phone: str) -> re.Pattern | None:
    """The contact's phone in any formatting: +255 712.., 255712.., 0712 345 678, 712-345-678."""
    code, national = _national_number(phone)
    if len(national) < 6:
        return None
    body = _SEP.join(re.escape(digit) for digit in national)
    codes = "|".join(EAST_AFRICAN_CODES if code in EAST_AFRICAN_CODES else (code or "255",))
    prefix = rf"(?:(?:(?:\+|00)\s?\(?(?:{codes})\)?|(?:{codes})){_SEP}(?:\(0\){_SEP})?|\(?0{_SEP})?"
    return re.compile(rf"(?<![\w+]){prefix}{body}(?!\d)")


def _name_pattern(name: str) -> re.Pattern | None:
    """The full name and each part of three letters or more, as whole words in any case; a run
    of them ("Hassan, Juma") is one removal."""
    # Apostrophes and hyphens inside a name (O'Neill, Mary-Anne) keep it one part.
    parts = sorted(set(re.findall(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", name)), key=len)
    parts = [part for part in reversed(parts) if len(part) >= 3]
    if not parts:
        return None
    one = "|".join(re.escape(part) for part in parts)
    return re.compile(rf"(?<!\w)(?:{one})(?:[\s,]+(?:{one}))*(?!\w)", re.IGNORECASE)


def _contact_spans(text: str, contact) -> Iterator[_Span]:
    if contact is None:
        return
    name, phone, email = (getattr(contact, key, "") or "" for key in ("name", "phone", "email"))
    if email.strip():
        for match in re.finditer(re.escape(email.strip()), text, re.IGNORECASE):
            yield _Span(match.start(), match.end(), "email")
    if phone.strip() and (pattern := _contact_phone_pattern(phone)) is not None:
        for match in pattern.finditer(text):
            yield _Span(match.start(), match.end(), "phone")
    if name.strip() and (pattern := _name_pattern(name)) is not None:
        for match in pattern.finditer(text):
            yield _Span(match.start(), match.end(), "name")


# --- Masks: what the officer sees of what went --------------------------------------------


def mask(kind: str, found: str) -> str:
    """ "+255 7•• ••• 567", "j•••@example.org", "J••• M•••", "19•••23"."""
    if kind == "email":
        local, _at, domain = found.partition("@")
        return f"{local[:1]}{MASK * 3}@{domain}"
    if kind == "name":
        return " ".join(f"{word[:1]}{MASK * 3}" for word in re.split(r"[\s,]+", found) if word)
    if kind == "phone":
        return _mask_phone(found)
    compact = re.sub(r"[\s-]", "", found)
    return f"{compact[:2]}{MASK * 3}{compact[-2:]}"


def _mask_phone(found: str) -> str:
    """Keep the country code or trunk 0, the next digit and the last three; mask the rest."""
    digits = _digits(found)
    keep_head = 1
    if found.lstrip("(").startswith(("+", "00")) or digits[:3] in EAST_AFRICAN_CODES:
        stripped = digits.removeprefix("00") if found.lstrip().startswith("00") else digits
        code = next((c for c in EAST_AFRICAN_CODES if stripped.startswith(c)), stripped[:2])
        keep_head = len(digits) - len(stripped) + len(code) + 1
    elif digits.startswith("0"):
        keep_head = 2
    out, seen, total = [], 0, len(digits)
    for ch in found:
        if ch.isdigit():
            out.append(ch if seen < keep_head or seen >= total - 3 else MASK)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


# --- The function ------------------------------------------------------------------------


def _unbracketed(text: str, span: _Span) -> _Span:
    """ "(0712 345 678, ...)": a bracket that the number does not close is the sentence's."""
    if text[span.start] == "(" and ")" not in text[span.start : span.end]:
        return _Span(span.start + 1, span.end, span.kind)
    return span


def _chosen(text: str, spans: list[_Span]) -> list[_Span]:
    """Overlapping finds: the one that starts first wins, the longer at the same start."""
    chosen: list[_Span] = []
    spans = [_unbracketed(text, span) for span in spans]
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if chosen and span.start < chosen[-1].end:
            continue
        chosen.append(span)
    return chosen


def scrub(text: str, contact=None, language: str = "en") -> Scrubbed:
    """`text` with personal data replaced by placeholders in `language`, and what was removed.

    `contact` is the case's Contact (or anything with name, phone and e-mail): its name, name
    parts, phone and e-mail are removed wherever they appear, in any case or formatting.
    """
    text = text or ""
    spans = [
        *_contact_spans(text, contact),
        *(_Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)),
        *_document_spans(text),
        *_phone_spans(text),
    ]
    pieces, removed, position = [], [], 0
    for span in _chosen(text, spans):
        found = text[span.start : span.end]
        pieces += [text[position : span.start], placeholder(span.kind, language)]
        removal = Removal(span.kind, mask(span.kind, found))
        if removal not in removed:
            removed.append(removal)
        position = span.end
    pieces.append(text[position:])
    return Scrubbed("".join(pieces), removed)
