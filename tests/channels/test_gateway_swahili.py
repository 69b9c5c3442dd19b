"""The Swahili of the notification SMS (the catalogue's entries from feedback/notifications.py
that the sample below can fill): same placeholders as the English, GSM-7 only, and one
segment once fitted."""

import re
from pathlib import Path

import polib
import pytest

from feedback import sms_text

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "sw" / "LC_MESSAGES" / "django.po"
SAMPLE = {
    "ref": "123 456 7890",
    "compact": "1234567890",
    "place": "Huduma kwa Wateja DAWASA",
    "number": "15000",
    "ussd": "*152*00#",
    "date": "12 Des 2026",
    "url": "https://mrejesho.example/sw/maoni/track/1234567890/",
    "question": "Tafadhali tuma namba ya mita yako na picha ya bili ya mwezi uliopita. " * 2,
    "answer": "Tumebadilisha mita ya kioski chako na kurudisha malipo ya ziada kwenye bili. " * 2,
}


def placeholders(text):
    return sorted(re.findall(r"%\((\w+)\)s", text))


SMS_ENTRIES = [
    entry
    for entry in polib.pofile(str(CATALOGUE))
    if entry.msgid.startswith(("Mrejesho", "Questions?", "Help:"))
    and any(path == "feedback/notifications.py" for path, _line in entry.occurrences)
    and set(placeholders(entry.msgid)) <= set(SAMPLE)
]


@pytest.mark.parametrize("entry", SMS_ENTRIES, ids=lambda e: e.msgid[:40])
def test_swahili_sms_keeps_the_placeholders_and_fits_one_segment(entry):
    assert entry.msgstr and placeholders(entry.msgstr) == placeholders(entry.msgid)
    text = entry.msgstr % SAMPLE
    free = next((SAMPLE[k] for k in ("question", "answer") if SAMPLE[k] in text), "")
    fitted = sms_text.fit(text, free=free)
    assert sms_text.encoding(fitted) == "gsm7"
    assert len(sms_text.parts(fitted)) == 1 or "url" in placeholders(entry.msgid)


def test_the_dispute_keyword_is_hapana_in_swahili():
    (entry,) = [e for e in SMS_ENTRIES if "Reply NO" in e.msgid]
    assert "HAPANA %(compact)s" in entry.msgstr
