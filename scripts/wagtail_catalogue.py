"""Our Swahili of Wagtail's own admin strings: locale/wagtail/sw/LC_MESSAGES/{django,djangojs}.po.

Wagtail ships no Swahili, so the admin staff use every day is translated here, apart from our
own catalogue (locale/sw), which `make makemessages --no-obsolete` rewrites from our sources.
The same catalogue also holds the few Django strings the admin shows (form errors, password
rules, "5 minutes ago", the CSRF failure page) that Django's own Swahili leaves untranslated
(DJANGO_GAPS); they are counted apart from Wagtail's.

    python scripts/wagtail_catalogue.py           # coverage: how many of Wagtail's msgids we cover
    python scripts/wagtail_catalogue.py --sync    # after upgrading Wagtail: refresh the msgids

The msgids come from the installed Wagtail's English source catalogues
(wagtail/**/locale/en/LC_MESSAGES/*.po). --sync writes every one of them, keeps the Swahili
already written, leaves the rest empty for a translator, and drops msgids Wagtail no longer has.
An empty msgstr is not compiled: Django then shows Wagtail's English.
"""

import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = REPO / "locale" / "wagtail" / "sw" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")
HEADER = {
    "Project-Id-Version": "Mrejesho: Wagtail admin in Swahili",
    "Language": "sw",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


def wagtail_dir() -> Path:
    import wagtail

    return Path(wagtail.__file__).resolve().parent


def key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid)


def wagtail_entries(domain: str) -> dict[tuple, polib.POEntry]:
    """Every msgid of the installed Wagtail in one domain, keyed by (msgctxt, msgid)."""
    entries: dict[tuple, polib.POEntry] = {}
    root = wagtail_dir()
    for po_path in sorted(root.glob(f"**/locale/en/LC_MESSAGES/{domain}.po")):
        app = po_path.parents[3].relative_to(root.parent).as_posix()  # wagtail/admin
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete or not entry.msgid:
                continue
            # Where Wagtail uses it (file only: line numbers would churn at every upgrade).
            files = dict.fromkeys(f"{app}/{path}" for path, _line in entry.occurrences)
            entry.occurrences = [(path, "") for path in files]
            known = entries.setdefault(key(entry), entry)
            if known is not entry:
                known.occurrences += [o for o in entry.occurrences if o not in known.occurrences]
    return entries


# Django's catalogues, and the source files of theirs whose strings staff meet in the admin.
DJANGO_GAPS = {
    "conf/locale": (
        "forms/",
        "core/validators.py",
        "core/paginator.py",
        "utils/timesince.py",
        "views/csrf.py",
        "db/models/base.py",
    ),
    "contrib/auth/locale": ("password_validation.py", "forms.py"),
}


def django_gap_entries(domain: str) -> dict[tuple, polib.POEntry]:
    """Django's msgids from DJANGO_GAPS' files that Django's Swahili does not translate."""
    if domain != "django":
        return {}
    import django

    root = Path(django.__file__).resolve().parent
    entries: dict[tuple, polib.POEntry] = {}
    for locale_dir, sources in DJANGO_GAPS.items():
        english = polib.pofile(str(root / locale_dir / "en" / "LC_MESSAGES" / "django.po"))
        swahili = polib.pofile(str(root / locale_dir / "sw" / "LC_MESSAGES" / "django.po"))
        done = {key(entry) for entry in swahili.translated_entries()}
        app = (root / locale_dir).parent.relative_to(root.parent).as_posix()  # django/contrib/auth
        for entry in english:
            if entry.obsolete or not entry.msgid or key(entry) in done:
                continue
            files = [path for path, _line in entry.occurrences if path.startswith(sources)]
            files += [p for p, _l in entry.occurrences if p.endswith(sources) and p not in files]
            if files:
                entry.occurrences = [(f"{app}/{path}", "") for path in files]
                entries.setdefault(key(entry), entry)
    return entries


def catalogue_path(domain: str) -> Path:
    return CATALOGUE_DIR / f"{domain}.po"


def is_translated(entry: polib.POEntry) -> bool:
    return entry.translated() and "fuzzy" not in entry.flags


def coverage(domain: str, source: dict | None = None) -> tuple[int, int]:
    """(Wagtail msgids we translate, Wagtail msgids) in one domain (or of another `source`)."""
    source = wagtail_entries(domain) if source is None else source
    path = catalogue_path(domain)
    ours = polib.pofile(str(path)) if path.exists() else []
    done = {key(entry) for entry in ours if is_translated(entry)}
    return len(done & source.keys()), len(source)


def sync(domain: str) -> None:
    source = {**django_gap_entries(domain), **wagtail_entries(domain)}
    path = catalogue_path(domain)
    old = {key(e): e for e in polib.pofile(str(path))} if path.exists() else {}
    po = polib.POFile(wrapwidth=100)
    po.header = "Swahili of Wagtail's admin strings (scripts/wagtail_catalogue.py: --sync)."
    po.metadata = dict(HEADER)
    for k in sorted(source, key=lambda k: (k[1].lower(), k[1], k[0] or "")):
        wagtail_entry = source[k]
        entry = polib.POEntry(
            msgctxt=wagtail_entry.msgctxt,
            msgid=wagtail_entry.msgid,
            msgid_plural=wagtail_entry.msgid_plural,
            msgstr="",
            msgstr_plural={0: "", 1: ""} if wagtail_entry.msgid_plural else {},
            occurrences=wagtail_entry.occurrences[:3],
            comment=wagtail_entry.comment,
            flags=[f for f in wagtail_entry.flags if f != "fuzzy"],
        )
        if k in old and old[k].msgid_plural == entry.msgid_plural:
            entry.msgstr = old[k].msgstr
            entry.msgstr_plural = old[k].msgstr_plural or entry.msgstr_plural
            entry.tcomment = old[k].tcomment
            if "fuzzy" in old[k].flags:
                entry.flags.append("fuzzy")
        po.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))


def main(argv: list[str]) -> int:
    for domain in DOMAINS:
        if "--sync" in argv:
            sync(domain)
        done, total = coverage(domain)
        print(
            f"Wagtail {domain}: {done} of {total} msgids translated into Swahili "
            f"({100 * done / total:.0f}%)"
        )
        if gaps := django_gap_entries(domain):
            done, total = coverage(domain, gaps)
            print(f"Django {domain}, gaps in Django's Swahili staff meet: {done} of {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
