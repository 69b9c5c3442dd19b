"""The Swahili catalogue covers every user-facing string in the code, not only those extracted."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib

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
