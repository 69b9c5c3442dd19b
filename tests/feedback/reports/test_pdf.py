"""The PDF report, read back with Debian's poppler-utils: every headline figure in its text
equals plain SQL (in English and Swahili), the embedded CSV is the CSV export byte for byte,
pdfinfo reports PDF/A-3a and tagging, the first two pages are kept as PNGs, the same inputs
give the same bytes, and the chain check's result is printed."""

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from feedback.audit import current_head
from feedback.models import Case
from feedback.reports.csv import case_csv
from feedback.reports.figures import HEADLINE
from feedback.reports.generation import RENDERERS, ReportScope, generate_report
from feedback.reports.models import ReportGeneration
from tests.conftest import require_service
from tests.feedback.factories import user
from tests.feedback.reports.conftest import FROM, NOW, TO
from tests.feedback.reports.test_csv import swahili  # noqa: F401 (a fixture)
from tests.feedback.reports.test_figures import Scope, expected_by_sql

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
POPPLER = ("pdftotext", "pdfinfo", "pdfdetach", "pdftoppm")


@pytest.fixture(autouse=True)
def poppler():
    require_service(
        "poppler-utils",
        all(shutil.which(tool) for tool in POPPLER),
        "apt-get install poppler-utils",
    )


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def printed(value) -> str:
    """How the PDF prints a figure, written out again: percentages for shares."""
    if value is None:
        return "\u2013"
    if isinstance(value, Decimal) and value.as_tuple().exponent == -4:
        return f"{value * 100:.1f}%"
    return str(value)


def headline_values(text: str, names: dict[str, str]) -> dict[str, str]:
    """attribute -> the value printed after its name in the headline table (the first line
    that is only the name and a value)."""
    found = {}
    for attribute, name in names.items():
        match = re.search(rf"^\s*{re.escape(name)}\s{{2,}}(\S+)\s*$", text, re.MULTILINE)
        assert match, f"{name!r} not found in the PDF's text"
        found[attribute] = match.group(1)
    return found


@pytest.fixture(params=["en", "sw"])
def report(request, seeded, dawasa, tmp_path, swahili):  # noqa: F811
    language = request.param
    content, record = generate_report(
        dawasa, FROM, TO, subunits=True, language=language, by=user("auditor"), now=NOW
    )
    path = tmp_path / f"report-{language}.pdf"
    path.write_bytes(content)
    return language, path, record, swahili


def test_every_headline_figure_in_the_pdf_matches_plain_sql(report):
    language, path, _record, words = report
    text = run("pdftotext", "-layout", "-f", "1", "-l", "2", str(path), "-")
    names = {
        attribute: words[str(name)] if language == "sw" else str(name)
        for attribute, name, _definition in HEADLINE
    }
    expected = expected_by_sql(Scope("111", True))
    assert headline_values(text, names) == {
        attribute: printed(expected[attribute]) for attribute in names
    }
    name = "Mamlaka ya Maji Dar es Salaam" if language == "sw" else "Dar es Salaam Water Authority"
    assert name in text


def test_the_embedded_csv_is_the_case_csv_byte_for_byte(report, dawasa, tmp_path):
    language, path, _record, _sw = report
    listing = run("pdfdetach", "-list", str(path))
    assert "1: cases.csv" in listing
    out = tmp_path / "detached.csv"
    run("pdfdetach", "-save", "1", "-o", str(out), str(path))
    expected = case_csv(dawasa, FROM, TO, subunits=True, now=NOW, language=language)
    assert out.read_bytes() == expected


def test_pdfinfo_reports_a_tagged_pdf_a_3a(report):
    _language, path, record, _sw = report
    info = run("pdfinfo", str(path))
    # This poppler prints no "PDF subtype" line for WeasyPrint's XMP; -meta shows the claim.
    meta = run("pdfinfo", "-meta", str(path))
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="A"' in meta, meta
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    assert int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1)) >= 4
    assert record.format == "pdf" and len(record.sha256) == 64


def test_the_first_two_pages_are_kept_as_pngs(report):
    language, path, _record, _sw = report
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / f"report-{language}"
    for old in ARTIFACTS.glob(f"report-{language}-*.png"):
        old.unlink()
    run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(path), str(prefix))
    pages = sorted(ARTIFACTS.glob(f"report-{language}-*.png"))
    assert len(pages) == 2 and all(page.stat().st_size > 20_000 for page in pages)


def test_the_pdf_text_has_the_charts_cases_methods_and_chain_check(report):
    language, path, record, words = report
    text = run("pdftotext", "-layout", str(path), "-")

    def said(english: str) -> str:
        return words[english] if language == "sw" else english

    for heading in ("Monthly trend", "Deadline compliance", "Overdue and escalated cases"):
        assert said(heading) in text
    assert said("Methods: what each figure means") in text
    # The overdue and escalated cases are listed by reference (D, F and I, C, K...).
    listed = Case.objects.filter(reference__in=re.findall(r"\b\d{10}\b", text))
    assert listed.exists()
    assert all(case.escalation_count or case.status != "closed" for case in listed)
    # The chain head at generation time and the check's result.
    assert record.head_hash in text.replace("\n", "").replace(" ", "")
    assert re.search(r"#\d+", text)
    passed = said("Passed: %(checked)s records checked, none changed, moved or removed.")
    assert passed.split("%(checked)s")[0].strip() in text


def test_the_same_inputs_give_the_same_bytes(seeded, dawasa):
    scope = ReportScope(dawasa, FROM, TO, True, "en", NOW, None, current_head())
    assert RENDERERS["pdf"](scope) == RENDERERS["pdf"](scope)


def test_a_broken_chain_is_reported_in_the_pdf(seeded, dawasa, tmp_path):
    # A change written around the history (a queryset update) is what the check must name.
    Case.objects.filter(pk=seeded["A"].pk).update(satisfaction=1)
    content, _record = generate_report(dawasa, FROM, TO, now=NOW)
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    text = run("pdftotext", str(path), "-")
    assert "FAILED" in text and "satisfaction" in text


def test_the_command_writes_and_records_the_pdf(seeded, tmp_path):
    out = tmp_path / "dawasa.pdf"
    call_command(
        "accountability_report",
        *("--institution", "111", "--from", "2026-10-01", "--to", "2026-11-30"),
        *("--subunits", "--language", "sw", "--user", "auditor", "--out", str(out)),
    )
    record = ReportGeneration.objects.get()
    content = out.read_bytes()
    assert content.startswith(b"%PDF-")
    assert (record.format, record.language, record.generated_by) == ("pdf", "sw", user("auditor"))
    import hashlib

    assert record.sha256 == hashlib.sha256(content).hexdigest()


VERAPDF = Path(__file__).resolve().parents[3] / "scripts" / "verapdf"


@pytest.fixture(scope="module")
def verapdf_classpath(tmp_path_factory) -> str:
    """veraPDF's classpath from the local Maven repository (offline), or "" if absent; asked of
    Maven once for the module (each start of mvn costs seconds)."""
    if not (shutil.which("java") and shutil.which("mvn")):
        return ""
    out = tmp_path_factory.mktemp("verapdf") / "classpath.txt"
    done = subprocess.run(
        ["mvn", "-q", "-o", "dependency:build-classpath", f"-Dmdep.outputFile={out}"],
        cwd=VERAPDF,
        capture_output=True,
    )
    return out.read_text() if done.returncode == 0 and out.exists() else ""


def test_verapdf_finds_the_pdf_compliant(report, verapdf_classpath):
    require_service(
        "veraPDF",
        bool(verapdf_classpath),
        "needs java and mvn; resolve it once with `mvn dependency:build-classpath` in "
        "scripts/verapdf (org.verapdf:validation-model from Maven Central)",
    )
    _language, path, _record, _sw = report
    done = subprocess.run(
        ["java", "-cp", verapdf_classpath, str(VERAPDF / "ValidatePdf.java"), str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "flavour 3a" in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().endswith("compliant")
