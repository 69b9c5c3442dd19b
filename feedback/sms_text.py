"""SMS lengths as a phone counts them, and fitting a text in one segment.

A segment holds 160 characters of the GSM 03.38 alphabet (GSM-7), where the extended ones
(^ { } \\ [ ~ ] | € and form feed) take two; a single character outside it makes the whole
message UCS-2, 70 to a segment. A longer message is sent as concatenated parts of 153 (GSM-7)
or 67 (UCS-2). Swahili and English need nothing outside GSM-7.

`fit` shortens the free part of a message (an officer's answer, a question) rather than the
fixed part (reference, dates, how to reply), at a word boundary, and never cuts a reference
number ("123 456 7890"); when even the fixed part is longer than a segment, it goes in several
and no reference straddles two parts.
"""

import re

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}
ELLIPSIS = "..."  # three dots: "…" is not GSM-7 and would make the message UCS-2

# A reference as the messages write it (format_reference), or run together.
REFERENCE = re.compile(r"(?<!\d)(?:\d{3} \d{3} \d{4}|\d{10})(?!\d)")


def encoding(text: str) -> str:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "ucs2"


def _width(char: str, enc: str) -> int:
    if enc == "gsm7":
        return 2 if char in GSM7_EXTENDED else 1
    return 2 if ord(char) > 0xFFFF else 1  # UTF-16 code units


def length(text: str) -> int:
    """The text's length as the network counts it (septets, or UTF-16 units for UCS-2)."""
    enc = encoding(text)
    return sum(_width(c, enc) for c in text)


def _limits(text: str, limit: int) -> tuple[int, int]:
    """(one segment, one part of several) for this text; `limit` is the GSM-7 single segment."""
    enc = encoding(text)
    if enc == "gsm7":
        return limit, PART["gsm7"] * limit // SINGLE["gsm7"]
    return SINGLE["ucs2"] * limit // SINGLE["gsm7"], PART["ucs2"] * limit // SINGLE["gsm7"]


def parts(text: str, limit: int = 160) -> list[str]:
    """The text cut as the network cuts it: one segment, or parts of 153 (67 for UCS-2)."""
    single, part = _limits(text, limit)
    if length(text) <= single:
        return [text]
    enc = encoding(text)
    pieces, current, used = [], [], 0
    for char in text:
        width = _width(char, enc)
        if used + width > part:  # an escape pair is never split
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += width
    pieces.append("".join(current))
    return pieces


def _tokens(text: str) -> list[str]:
    """Words and the spaces between them, a reference kept as one word."""
    return re.findall(r"\d{3} \d{3} \d{4}(?!\d)|\s+|\S+", text)


def shorten(text: str, budget: int, enc: str = "gsm7") -> str:
    """The longest start of `text`, cut after a whole word (a whole reference), with "..."
    when cut, within `budget`; "" when not even one word fits."""
    if sum(_width(c, enc) for c in text) <= budget:
        return text
    room = budget - len(ELLIPSIS)
    kept, used = [], 0
    for token in _tokens(text):
        width = sum(_width(c, enc) for c in token)
        if used + width > room:
            break
        kept.append(token)
        used += width
    start = "".join(kept).rstrip()
    return f"{start}{ELLIPSIS}" if start else ""


def _gsm7_start(text: str, budget: int) -> str:
    """Like `shorten`, but stopping before the first character outside GSM-7 (cut there,
    with "..."), so the message can stay GSM-7."""
    cut = next((i for i, c in enumerate(text) if encoding(c) == "ucs2"), None)
    if cut is None:
        return shorten(text, budget, "gsm7")
    # A word too long to fit forces the cut (and its "...") right after the GSM-7 start.
    return shorten(f"{text[:cut].rstrip()} {'x' * (budget + 1)}", budget, "gsm7")


def _keep_references_whole(text: str, limit: int) -> str:
    """Pad with spaces before any reference that would straddle two parts of a long text."""
    for _attempt in range(20):
        pieces = parts(text, limit)
        if len(pieces) == 1:
            return text
        offset = 0
        for piece in pieces[:-1]:
            end = offset + len(piece)
            split = next((m for m in REFERENCE.finditer(text) if m.start() < end < m.end()), None)
            if split is not None:
                text = text[: split.start()] + " " * (end - split.start()) + text[split.start() :]
                break
            offset = end
        else:
            return text
    return text


def fit(text: str, limit: int = 160, *, free: str = "") -> str:
    """`text` in one segment if it can be: `free` (a part of `text`: an answer, a question)
    is shortened at a word boundary to make room; the rest is never cut. If the fixed part
    alone is too long, the text goes in several parts, with no reference split between two.
    """
    single, _part = _limits(text, limit)
    if length(text) > single and free and free in text:
        before, after = text.split(free, 1)
        shorter = None
        if encoding(before + after) == "gsm7":
            # A start of the answer without its non-GSM characters may fit 160 where the
            # whole of it would have made the message UCS-2 (70).
            candidate = _gsm7_start(free, max(limit - length(before + after), 0))
            if candidate:
                shorter = candidate
        if shorter is None:
            enc = encoding(text)
            shorter = shorten(free, max(single - length(before) - length(after), 0), enc)
        if shorter:
            text = f"{before}{shorter}{after}"
        else:  # not one word fits: the message goes without the officer's words
            text = f"{before.rstrip(' ')} {after.lstrip(' ')}"
    return _keep_references_whole(text, limit)
