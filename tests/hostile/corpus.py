"""Hostile and odd input, as data: what an attacker, a broken client or an odd phone sends.

Each list is (name, value) pairs so a parametrized test names the payload that failed. The
text payloads go into every free-text field; the short ones into every other parameter. The
1 MB string only goes where a field is free text (see `free_text`)."""

import io
import struct
import zipfile
import zlib

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
# What must never come back verbatim in an HTML answer (escaped, it is harmless).
UNESCAPED_MARKERS = (SCRIPT, "<img src=x onerror=alert(1)>")

# --- text that is hostile, but must be refused cleanly or stored harmlessly ------------------
HOSTILE_TEXT = [
    ("script_tag", SCRIPT),
    ("event_handler", ATTRIBUTE),
    ("javascript_url", "javascript:alert(document.cookie)"),
    ("template_tags", "{{ 7*7 }} {% debug %} ${7*7}"),
    ("sql_or", "' OR 1=1 --"),
    ("sql_drop", "1; DROP TABLE feedback_case; --"),
    ("nul", "before\x00after"),
    ("ansi_escape", "\x1b[31mred\x1b[0m \x07\x08"),
    ("header_injection", "x\r\nSet-Cookie: session=stolen\r\n\r\n<h1>hi</h1>"),
    ("rtl_override", "invoice\u202egpj.exe \u200f\u200e"),
    # Latin with Cyrillic a and Em (homoglyphs), then Arabic.
    (
        "homoglyphs",
        "P\u0430yp\u0430l \u041c\u0440\u0435\u0436\u0435\u0448\u043e "
        "\u0645\u0631\u062d\u0628\u0627",
    ),
    ("combining_pileup", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334a" * 20),
    ("over_long", "x" * 10_000),
]

# Short values for parameters that are not free text: ids, codes, pages, dates, choices.
HOSTILE_PARAMS = [
    ("script_tag", SCRIPT),
    ("event_handler", ATTRIBUTE),
    ("sql_or", "' OR 1=1 --"),
    ("nul", "1\x002"),
    ("negative", "-1"),
    ("huge", "99999999999999999999"),
    ("overflow_float", "1e309"),
    ("nan", "NaN"),
    ("non_digits", "abc"),
    ("path_traversal", "../../etc/passwd"),
    ("over_long", "9" * 5_000),
    ("rtl_override", "\u202e12"),
]

# One of each class, for sweeps over many routes (each route x each class, not every value).
PARAM_CLASSES = [
    p
    for p in HOSTILE_PARAMS
    if p[0] in ("script_tag", "event_handler", "sql_or", "nul", "huge", "non_digits", "over_long")
]

MEGABYTE = "a" * 1_048_576

# --- valid odd text: must be STORED and SHOWN BACK exactly ------------------------------------
VALID_ODD = [
    ("swahili", "Habari za asubuhi, maji hayatoki tangu Jumatatu"),
    ("family_emoji", "Familia yetu \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"),
    ("flags_and_skin_tones", "\U0001f1f9\U0001f1ff \U0001f1f0\U0001f1ea \U0001f44d\U0001f3ff"),
    ("arabic_rtl", "الماء مقطوع منذ يوم الاثنين"),
    ("cjk", "自来水从周一开始停水"),
    ("combining_accents", "Cafe\u0301 na cha\u0301i"),  # decomposed: must not be normalised
]

# --- JSON bodies that are not what an endpoint expects ----------------------------------------
NOT_AN_OBJECT = [
    ("list", b"[1, 2, 3]"),
    ("number", b"42"),
    ("null", b"null"),
    ("string", b'"hello"'),
    ("nested_10000", b"[" * 10_000 + b"]" * 10_000),
    ("nested_objects_10000", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    ("truncated", b'{"kind": "complaint", "subject": '),
    ("invalid_utf8", b'{"subject": "\xff\xfe\xc3\x28"}'),
    ("lone_surrogate", b'{"subject": "\\ud800 alone", "description": "\\udfff"}'),
    ("huge_number", b'{"subject": 99999999999999999999, "service": 1e309}'),
    ("nan", b'{"subject": NaN, "score": Infinity}'),
    ("duplicate_keys", b'{"kind": "complaint", "kind": "compliment"}'),
]

# --- XML bodies: entities must never be expanded ------------------------------------------------
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<service_request><description>&lol9;</description></service_request>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<service_request><description>&xxe;</description></service_request>"""
XML_BODIES = [
    ("billion_laughs", BILLION_LAUGHS),
    ("external_entity", EXTERNAL_ENTITY),
    ("invalid_utf8", b"<?xml version='1.0'?><service_request>\xff\xfe</service_request>"),
]
# What /etc/passwd holds on every Unix: its appearance means an entity was expanded.
PASSWD_MARKER = "root:x:0:0"

CONTENT_TYPES = [
    ("missing", None),
    ("text_plain", "text/plain"),
    ("xml_as_json", "application/xml"),
    ("garbage", "not/a-type; charset=nonsense"),
    ("unknown_charset", "application/json; charset=klingon"),
]


# --- uploads -----------------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG header for side x side grey pixels; its few KB inflate to ~400 MB."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * side
    data = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def zip_bomb() -> bytes:
    """A zip of 100 MB of zeros (about 100 KB on the wire)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * 100_000_000)
    return buffer.getvalue()


PDF_WITH_JAVASCRIPT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
    b"2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
)

# (name, file name, bytes, declared content type): every one must be refused with a 4xx and a
# message, or (pdf_with_javascript, a real PDF) stored as a PDF and never served inline as HTML.
REFUSED_UPLOADS = [
    ("exe_named_jpg", "photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00 executable", "image/jpeg"),
    ("html_named_pdf", "receipt.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("zip_bomb_named_pdf", "bill.pdf", None, "application/pdf"),  # filled in lazily
    ("png_bomb", "meter.png", None, "image/png"),
    ("zero_bytes", "empty.jpg", b"", "image/jpeg"),
]
ODD_FILE_NAMES = [
    ("traversal", "../../../../etc/passwd.png"),
    ("nul", "meter\x00.png"),
    ("rtl_override", "meter\u202egnp.exe.png"),
    ("script", "<script>alert(1)</script>.png"),
]


def upload_bytes(name: str, content: bytes | None) -> bytes:
    if content is not None:
        return content
    return {"zip_bomb_named_pdf": zip_bomb, "png_bomb": png_bomb}[name]()
