"""The case-level and figures CSVs: deterministic bytes, no personal data, formulas
neutralised, the header in English and Swahili; and the accountability_report command."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from feedback.models import Case
from feedback.reports.csv import (
    CASE_COLUMNS,
    LocalTimeText,
    _when,
    case_csv,
    case_fields_csv,
    case_header,
    figures_csv,
    neutralise,
)
from feedback.reports.figures import compute_figures
from tests.conftest import require_service
from tests.feedback.factories import InstitutionFactory, ServiceFactory, submit_case
from tests.feedback.reports.conftest import FROM, NOW, TO, at

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]
# The project's catalogue, and the branches' Swahili until the lead merges it into that one
# (and deletes the pending files).
CATALOGUES = [
    path
    for path in (
        REPO / "locale" / "sw" / "LC_MESSAGES" / "django.po",
        *sorted((REPO / "locale" / "pending").glob("*.po")),
    )
    if path.exists()
]


@pytest.fixture
def swahili(settings, tmp_path):
    """The Swahili catalogues compiled afresh, this branch's pending one ahead of the
    project's (whose .mo `make messages` builds); returns msgid -> msgstr."""
    paths = []
    for n, path in enumerate(reversed(CATALOGUES)):
        target = tmp_path / str(n) / "sw" / "LC_MESSAGES"
        target.mkdir(parents=True)
        polib.pofile(str(path)).save_as_mofile(str(target / "django.mo"))
        paths.append(tmp_path / str(n))
    settings.LOCALE_PATHS = paths
    translations = {}
    for path in CATALOGUES:
        translations |= {e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.msgstr}
    return translations


def lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_the_header_is_documented_in_english_and_swahili(swahili):
    english = case_header("en")
    assert english == [str(header) for _key, header, _meaning in CASE_COLUMNS]
    assert english[:3] == ["Reference", "Kind", "Channel"]
    kiswahili = case_header("sw")
    assert kiswahili == [swahili[header] for header in english]
    assert kiswahili[0] == "Namba ya kumbukumbu"
    fields = lines(case_fields_csv("sw"))
    assert fields[0] == ["Safu", "Kichwa", "Maana"]
    assert [row[0] for row in fields[1:]] == [key for key, _h, _m in CASE_COLUMNS]
    assert all(row[2] for row in fields[1:])  # every column has a meaning


def test_the_swahili_files_differ_from_the_english_only_in_words(swahili, seeded, dawasa):
    english = lines(case_csv(dawasa, FROM, TO, subunits=True, now=NOW, language="en"))
    kiswahili = lines(case_csv(dawasa, FROM, TO, subunits=True, now=NOW, language="sw"))
    assert kiswahili[0] != english[0]
    names = {"institution", "service"}
    keys = [key for key, _h, _m in CASE_COLUMNS]
    for en_row, sw_row in zip(english[1:], kiswahili[1:], strict=True):
        for key, en_cell, sw_cell in zip(keys, en_row, sw_row, strict=True):
            assert key in names or en_cell == sw_cell
    assert "Mamlaka ya Maji Dar es Salaam" in {row[4] for row in kiswahili[1:]}
    figures = compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    sw_figures = lines(figures_csv(figures, "sw"))
    assert sw_figures[0] == ["Kielelezo", "Jina", "Thamani", "Maana"]
    assert sw_figures[1][:3] == ["received", "Yaliyopokelewa", "11"]
    en_values = [(row[0], row[2]) for row in lines(figures_csv(figures, "en"))[1:]]
    assert [(row[0], row[2]) for row in sw_figures[1:]] == en_values


def test_the_case_csv_bytes_are_deterministic(seeded, dawasa):
    first = case_csv(dawasa, FROM, TO, subunits=True, now=NOW)
    assert first == case_csv(dawasa, FROM, TO, subunits=True, now=NOW)
    assert not first.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    assert first.endswith(b"\r\n") and first.count(b"\r\n") == 12  # header and 11 cases
    rows = lines(first)
    a = next(row for row in rows if row[0] == seeded["A"].reference)
    assert a[7:10] == ["2026-10-05 09:00:00", "2026-10-06 23:59:59", "2026-10-05 10:00:00"]
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])


def test_the_case_csv_holds_no_personal_data(seeded, dawasa):
    content = case_csv(dawasa, FROM, TO, subunits=True, now=NOW).decode()
    for personal in ("Water bill doubled", "My March bill", "+255712345678", "712345678"):
        assert personal not in content


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_could_run_as_a_formula_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "0", "Ministry of Water", "1111/1", "'=x"])
def test_a_plain_cell_is_left_alone(cell):
    assert neutralise(cell) == cell


def test_names_written_as_formulas_reach_the_files_as_text(dawasa):
    unit = InstitutionFactory(
        parent=dawasa, short_code="1119", name='=HYPERLINK("http://x")', name_sw="@SUM(1)"
    )
    service = ServiceFactory(institution=unit, code="7", name="+danger", name_sw="-2+3")
    submit_case(now=at(10, 5), service=service, institution=unit)
    english = lines(case_csv(dawasa, FROM, TO, subunits=True, now=NOW))
    assert english[1][4:7] == ['\'=HYPERLINK("http://x")', "1119/7", "'+danger"]
    kiswahili = lines(case_csv(dawasa, FROM, TO, subunits=True, now=NOW, language="sw"))
    assert kiswahili[1][4] == "'@SUM(1)" and kiswahili[1][6] == "'-2+3"
    figures = compute_figures(dawasa, FROM, TO, subunits=True, now=NOW)
    for row in lines(figures_csv(figures))[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def run_report(*args: str) -> None:
    call_command("accountability_report", *args)


def test_the_command_writes_the_case_csv(seeded, tmp_path):
    out = tmp_path / "dawasa.csv"
    run_report(
        "--institution", "111", "--from", "2026-10-01", "--to", "2026-11-30",
        "--subunits", "--language", "sw", "--out", str(out),
    )  # fmt: skip
    from feedback.models import Institution

    dawasa = Institution.objects.get(short_code="111")
    expected = case_csv(dawasa, FROM, TO, subunits=True, now=timezone.now(), language="sw")
    assert out.read_bytes() == expected
    assert len(lines(expected)) == 12


def test_the_command_writes_the_figures_csv(seeded, tmp_path):
    out = tmp_path / "figures.csv"
    run_report(
        "--institution", "1111", "--from", "2026-10-01", "--to", "2026-11-30",
        "--format", "figures-csv", "--out", str(out),
    )  # fmt: skip
    values = {row[0]: row[2] for row in lines(out.read_bytes())[1:]}
    assert values["received"] == "9"
    assert "by_subunit:1111" not in values  # without --subunits, no sub-unit breakdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--institution", "999"], "No institution has the short code '999'"),
        (["--from", "2026-12-01"], "is after --to"),
        (["--to", "2026-13-01"], "is not a date"),
        (["--user", "nobody"], "No user is called 'nobody'"),
    ],
)
def test_the_command_refuses_bad_input_with_a_clear_message(tmp_path, args, message):
    given = {
        "--institution": "111",
        "--from": "2026-10-01",
        "--to": "2026-11-30",
        "--out": str(tmp_path / "report.csv"),
    }
    given |= dict(zip(args[::2], args[1::2], strict=True))
    with pytest.raises(CommandError, match=message):
        run_report(*[part for pair in given.items() for part in pair])
    assert not (tmp_path / "report.csv").exists()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 10, 5, 20, 59, 59, 999999, tzinfo=UTC),  # 23:59:59 in Dar, not 00:00:00
        datetime(2026, 10, 5, 21, 0, 0, 500000, tzinfo=UTC),  # the next local day
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # a new year, locally
    ],
)
def test_postgresql_writes_a_time_as_python_does(moment):
    """The case CSV lets PostgreSQL format its times (LocalTimeText): the same bytes as _when,
    seconds truncated, in the project's time zone."""
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")
    case = submit_case(now=moment).case
    text = (
        Case.objects.filter(pk=case.pk)
        .annotate(text=LocalTimeText("submitted_at"))
        .values_list("text", flat=True)
        .get()
    )
    assert text == _when(case.submitted_at) == _when(moment)
