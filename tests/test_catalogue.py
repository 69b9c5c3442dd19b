"""The Swahili catalogue covers every user-facing string in the code, not only those extracted."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests.conftest import require_service

REPO = Path(__file__).resolve().parents[1]
NOT_SOURCE = [
    ".venv",
    ".git",
    ".es",
    "media",
    "staticfiles",
    "test-artifacts",
    "node_modules",
    "*.sqlite3",
    "*.sqlite3-*",
]


def test_every_marked_string_has_a_swahili_translation(tmp_path):
    require_service("GNU gettext", shutil.which("xgettext") is not None, "apt-get install gettext")
    # makemessages writes into the tree it reads: run it on a copy, never on the repository.
    tree = tmp_path / "tree"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sw", "--no-obsolete", "-i", "tests/*"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    catalogue = polib.pofile(str(tree / "locale" / "sw" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    missing += [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [], f"untranslated in Swahili (run make makemessages): {missing}"


# Our Swahili of Wagtail's own admin strings (locale/wagtail, scripts/wagtail_catalogue.py).
sys.path.insert(0, str(REPO / "scripts"))
import wagtail_catalogue  # noqa: E402

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{\w*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
# What staff meet every day; each must be Swahili (the rest of Wagtail may stay English).
EVERYDAY = {
    "django": [
        "Dashboard", "Search", "Save", "Cancel", "Delete", "Edit", "Add", "Sign in",
        "Log out", "Forgotten password?", "Reset your password", "Account",
        "Preferred language", "Filter by", "Apply filters", "Clear", "Sort by", "Next",
        "Previous", "No %(model_name)s match your query.", "Bulk actions", "Select all",
        "History", "Actions", "Yes, delete", "No, don't delete",
        "The %(model_name)s could not be saved due to errors.", "This field is required.",
        "Your username and password didn't match. Please try again.",
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s",
        # Django's, which its own Swahili leaves out:
        "%(num)d minute", "%(num)d day", "Your password can’t be entirely numeric.",  # noqa: RUF001 (Django spells it so)
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "CSRF verification failed. Request aborted.",
    ],
    "djangojs": ["Main menu", "No results", "Save", "Cancel", "Loading…", "Search"],
}  # fmt: skip


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def tags(text: str) -> list[str]:
    return sorted(TAG.findall(text))


@pytest.mark.parametrize("domain", wagtail_catalogue.DOMAINS)
def test_wagtail_catalogue_entries_are_well_formed(domain):
    catalogue = polib.pofile(str(wagtail_catalogue.catalogue_path(domain)))
    source = wagtail_catalogue.wagtail_entries(domain)
    source |= wagtail_catalogue.django_gap_entries(domain)
    ours = {wagtail_catalogue.key(entry) for entry in catalogue}
    assert ours == set(source), "out of step with the installed Wagtail or Django: run --sync"
    bad = []
    for entry in catalogue.translated_entries():
        pairs = (
            [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, swahili in pairs:
            # "1 page" / "%(counter)s pages": a singular may leave out the count it spells.
            expected = placeholders(source)
            if entry.msgid_plural and source is entry.msgid:
                expected = placeholders(entry.msgid_plural) if "%" in swahili else expected
            if placeholders(swahili) != expected or tags(swahili) != tags(source):
                bad.append((source, swahili))
            if swahili.strip() == "" or (swahili != swahili.strip() and source == source.strip()):
                bad.append((source, swahili))
    assert bad == []


@pytest.mark.parametrize("domain", wagtail_catalogue.DOMAINS)
def test_wagtail_strings_staff_meet_every_day_are_in_swahili(domain, capsys):
    catalogue = polib.pofile(str(wagtail_catalogue.catalogue_path(domain)))
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    assert [msgid for msgid in EVERYDAY[domain] if msgid not in translated] == []
    done, total = wagtail_catalogue.coverage(domain)
    with capsys.disabled():
        print(f"\nWagtail {domain}: {done} of {total} msgids in Swahili")
    assert done >= {"django": 1000, "djangojs": total}[domain]
    gaps = wagtail_catalogue.django_gap_entries(domain)
    assert wagtail_catalogue.coverage(domain, gaps) == (len(gaps), len(gaps))
