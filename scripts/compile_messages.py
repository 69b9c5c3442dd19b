"""Compile every locale/*/LC_MESSAGES/*.po to .mo and fail when a catalogue of ours has gaps.

Also compiles locale/wagtail/*/LC_MESSAGES/*.po, our Swahili of Wagtail's own admin strings
(scripts/wagtail_catalogue.py): it holds every Wagtail msgid and translates those staff meet,
so its empty entries are expected (Wagtail's English shows) and only counted, not a failure.
Uses polib rather than GNU gettext's msgfmt, so a machine with only Python can build.
"""

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
WAGTAIL_DIR = LOCALE_DIR / "wagtail"


def catalogue_gaps(po: polib.POFile) -> list[str]:
    """Messages a reader would see in English: untranslated or fuzzy entries."""
    missing = [entry.msgid for entry in po.untranslated_entries()]
    missing += [entry.msgid for entry in po.fuzzy_entries()]
    return missing


def main() -> int:
    failed = False
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        gaps = catalogue_gaps(po)
        if gaps:
            failed = True
            print(f"{po_path}: {len(gaps)} message(s) without translation:", file=sys.stderr)
            for msgid in gaps[:20]:
                print(f"  {msgid!r}", file=sys.stderr)
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count = len(po.translated_entries())
        print(f"compiled {po_path.relative_to(LOCALE_DIR.parent)}: {count} messages")
    for po_path in sorted(WAGTAIL_DIR.glob("*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count = len(po.translated_entries())
        print(
            f"compiled {po_path.relative_to(LOCALE_DIR.parent)}: {count} of {len(po)} "
            "messages of Wagtail and Django (the rest show in English)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
