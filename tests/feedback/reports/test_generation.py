"""generate_report: the one entry point for every format; it checks who asks, and records
each generation (who, what, when, the file's SHA-256) in the chained history."""

import hashlib

import pytest

from feedback.audit import current_head, verify_chain
from feedback.models import Institution
from feedback.reports.csv import case_csv, figures_csv
from feedback.reports.figures import InvalidPeriod, compute_figures
from feedback.reports.generation import ReportNotAllowed, generate_report
from feedback.reports.models import ReportGeneration
from tests.feedback.factories import user
from tests.feedback.reports.conftest import FROM, NOW, TO

pytestmark = pytest.mark.django_db


def test_the_case_csv_is_the_csv_module_s_and_its_generation_is_recorded(seeded, dawasa):
    head = current_head()
    content, record = generate_report(
        dawasa, FROM, TO, subunits=True, language="sw", format="csv", by=user("auditor"), now=NOW
    )
    assert content == case_csv(dawasa, FROM, TO, subunits=True, now=NOW, language="sw")
    record.refresh_from_db()
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert (record.size, record.format, record.language) == (len(content), "csv", "sw")
    assert (record.institution, record.date_from, record.date_to) == (dawasa, FROM, TO)
    assert record.subunits and record.generated_by == user("auditor")
    assert record.generated_at == NOW
    assert (record.head_seq, record.head_hash) == (head.seq, head.hash)
    # The record entered the audit chain, written by the auditor, and the chain still holds.
    history = record.history.get()
    assert history.chain_seq == head.seq + 1 and history.history_user_id == user("auditor").pk
    report = verify_chain()
    assert report.ok, report.problem


def test_the_figures_csv_comes_from_the_figures(seeded, dawasa):
    content, record = generate_report(dawasa, FROM, TO, format="figures-csv", now=NOW)
    assert content == figures_csv(compute_figures(dawasa, FROM, TO, now=NOW), "en")
    assert record.generated_by is None  # the command line has no user


@pytest.mark.parametrize(
    ("username", "code", "allowed"),
    [
        ("auditor", "121", True),
        ("oversight", "111", True),  # the ministry of water covers DAWASA
        ("oversight", "121", False),  # but not the health insurance fund
        ("lead", "1111", True),
        ("lead", "11", False),  # not the level above
        ("officer", "111", False),  # officers handle cases; they do not make reports
        ("editor", "111", False),
    ],
)
def test_only_reporting_roles_within_their_scope_may_generate(db, username, code, allowed):
    institution = Institution.objects.get(short_code=code)
    if allowed:
        generate_report(institution, FROM, TO, format="csv", by=user(username), now=NOW)
        return
    with pytest.raises(ReportNotAllowed):
        generate_report(institution, FROM, TO, format="csv", by=user(username), now=NOW)
    assert not ReportGeneration.objects.exists()


def test_a_reversed_period_or_an_unknown_format_is_refused_before_any_record(dawasa):
    with pytest.raises(InvalidPeriod):
        generate_report(dawasa, TO, FROM, format="csv")
    with pytest.raises(ValueError, match="unknown report format"):
        generate_report(dawasa, FROM, TO, format="docx")
    assert not ReportGeneration.objects.exists()
