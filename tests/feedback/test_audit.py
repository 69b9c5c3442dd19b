"""The audit trail: every change is a history row, and every row is chained by SHA-256."""

import pytest
from django.core.management import call_command, execute_from_command_line

from feedback.audit import chained_history_models, verify_chain
from feedback.models import Service, Status
from tests.feedback.factories import case_in, user

pytestmark = pytest.mark.django_db


def run_verify(capsys):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "verify_audit_chain"])
    return exit_info.value.code, capsys.readouterr()


def test_history_records_actor_and_reason_of_each_transition():
    case = case_in(Status.RESOLVED)
    rows = list(case.history.order_by("chain_seq"))
    assert [row.status for row in rows] == ["submitted", "acknowledged", "in_progress", "resolved"]
    assert rows[-1].history_user == user("admin")
    assert rows[-1].history_change_reason == "resolve: Bill corrected."
    assert all(len(row.record_hash) == 64 for row in rows)


def test_intact_chain_verifies(capsys):
    case_in(Status.CLOSED)
    report = verify_chain()
    assert report.ok and report.checked > 10
    call_command("verify_audit_chain")
    assert f"OK: {report.checked} history records verified" in capsys.readouterr().out


def test_edited_history_row_is_named_and_exits_non_zero(capsys):
    case = case_in(Status.RESOLVED)
    victim = case.history.get(status="acknowledged")
    type(victim).objects.filter(pk=victim.pk).update(description="Nothing to see here")
    code, output = run_verify(capsys)
    assert code == 1
    assert f"feedback.HistoricalCase {victim.pk}" in output.err
    assert f"chain position {victim.chain_seq}" in output.err
    assert "content does not match its hash" in output.err


def test_reordered_history_rows_are_detected(capsys):
    case = case_in(Status.IN_PROGRESS)
    first, second = case.history.order_by("chain_seq")[1:3]
    model = type(first)
    model.objects.filter(pk=first.pk).update(chain_seq=-1)
    model.objects.filter(pk=second.pk).update(chain_seq=first.chain_seq)
    model.objects.filter(pk=first.pk).update(chain_seq=second.chain_seq)
    code, output = run_verify(capsys)
    assert code == 1
    assert str(second.pk) in output.err
    assert "previous-hash link is broken" in output.err


def test_removed_history_row_is_detected(capsys):
    case = case_in(Status.IN_PROGRESS)
    middle = case.history.order_by("chain_seq")[1]
    type(middle).objects.filter(pk=middle.pk).delete()
    code, output = run_verify(capsys)
    assert code == 1
    assert f"chain position {middle.chain_seq + 1} found where {middle.chain_seq} was expected" in (
        output.err
    )


def test_removed_last_row_is_detected_by_the_chain_head():
    case_in(Status.ACKNOWLEDGED)
    last = max(
        (model.objects.order_by("-chain_seq").first() for model in chained_history_models()),
        key=lambda row: row.chain_seq if row else 0,
    )
    type(last).objects.filter(pk=last.pk).delete()
    report = verify_chain()
    assert not report.ok and "records at the end were removed" in report.problem


def test_charter_changes_are_in_the_chain_too():
    service = Service.objects.first()
    service.resolve_days += 1
    service._change_reason = "charter revised"
    service.save()
    row = service.history.latest("chain_seq")
    assert row.history_change_reason == "charter revised"
    assert verify_chain().ok


def test_contact_history_keeps_no_personal_data():
    case = case_in(Status.SUBMITTED)
    row = case.contact.history.get()
    field_names = {f.name for f in row._meta.fields}
    assert not field_names & {"name", "phone", "email"}
