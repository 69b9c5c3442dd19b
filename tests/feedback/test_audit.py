"""The audit trail: every change is a history row, every row is chained by a keyed hash, and
the chain head is published where the database cannot reach it."""

import itertools
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, execute_from_command_line
from django.db import connection
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from config.settings.guards import DEVELOPMENT_AUDIT_CHAIN_KEY, check_audit_chain_key
from feedback import audit
from feedback.audit import (
    AuditChainHead,
    PublishedChainHead,
    chained_history_models,
    current_head,
    publish_head,
    verify_chain,
)
from feedback.models import Case, Service, Status
from tests.feedback.factories import case_in, make_staff, user, water_service

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Jq9vXz-7pLw2Rb_5nTc8Hy0aUe4Mf6Gd1Sx9Qo2Vi7Zr3Bt5Nw8Ly0Kh4Pj6Ca"


def run_verify(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "verify_audit_chain", *args])
    return exit_info.value.code, capsys.readouterr()


def rewrite_whole_chain(key: bytes) -> None:
    """What a forger does with the project's own code: recompute every digest and link from the
    first record, and move the head, under the key they have."""
    audit.rechain(chained_history_models(), AuditChainHead, key)


def test_history_records_actor_and_reason_of_each_transition():
    case = case_in(Status.RESOLVED)
    rows = list(case.history.order_by("chain_seq"))
    assert [row.status for row in rows] == ["submitted", "acknowledged", "in_progress", "resolved"]
    assert rows[-1].history_user == user("admin")
    assert rows[-1].history_user_id == user("admin").pk
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


@pytest.mark.parametrize("forger_key", [b"", b"a guess at the key"], ids=["no-key", "wrong-key"])
def test_history_rewritten_and_rechained_without_the_key_is_caught(capsys, forger_key):
    case = case_in(Status.RESOLVED)
    victim = case.history.get(status="acknowledged")
    type(victim).objects.filter(pk=victim.pk).update(description="Nothing to see here")
    rewrite_whole_chain(forger_key)
    # The forged chain is consistent in itself: every link and the head agree...
    rows = sorted(
        (row for model in chained_history_models() for row in model.objects.all()),
        key=lambda row: row.chain_seq,
    )
    assert all(b.prev_hash == a.record_hash for a, b in itertools.pairwise(rows))
    assert current_head().hash == rows[-1].record_hash
    # ...but not one link was made with the chain key.
    code, output = run_verify(capsys)
    assert code == 1
    assert "TAMPERED at chain position 1:" in output.err
    assert "hash was not made with the chain key" in output.err


def test_rechaining_with_the_key_itself_verifies():
    """The other side of the test above: the same code with the right key makes a valid chain
    (so it is the key, not the recomputation, that the forger lacks)."""
    case_in(Status.RESOLVED)
    rewrite_whole_chain(audit.chain_key())
    assert verify_chain().ok


def saved_published_heads(client, tmp_path) -> Path:
    """The plain-text list of published heads, downloaded and kept as an auditor would."""
    response = client.get("/en/audit-chain.txt")
    assert response.status_code == 200
    saved = tmp_path / "mrejesho-audit-chain.txt"
    saved.write_bytes(response.content)
    return saved


@pytest.mark.parametrize("rewrite", ["remove-a-record", "truncate"])
def test_published_heads_catch_a_rewrite_by_someone_who_has_the_key(
    capsys, client, tmp_path, rewrite
):
    case = case_in(Status.RESOLVED)
    head, _created = publish_head(date.today() - timedelta(days=1))
    saved = saved_published_heads(client, tmp_path)
    case_in(Status.ACKNOWLEDGED)  # the chain grows after the publication

    # An insider with the database and the key rewrites what was published, and leaves no trace
    # in the database: the stored publication goes too, and the chain is rebuilt with the key.
    if rewrite == "remove-a-record":
        victim = case.history.get(status="acknowledged")
        type(victim).objects.filter(pk=victim.pk).delete()
    else:
        # Cut the chain back before the publication and delete what those records described
        # (the deletions write fresh history records, so the chain regrows past the old head).
        for model in chained_history_models():
            model.objects.filter(chain_seq__gte=head.seq - 2).delete()
        Case.objects.filter(pk__gte=case.pk).delete()
    PublishedChainHead.objects.all().delete()
    rewrite_whole_chain(audit.chain_key())
    assert verify_chain().ok  # nothing inside the database can tell any more

    code, output = run_verify(capsys, "--published", str(saved))
    assert code == 1
    assert f"head published for {head.date} was #{head.seq}" in output.err


def test_published_heads_of_an_intact_chain_verify(capsys, client, tmp_path):
    case_in(Status.RESOLVED)
    publish_head(date.today() - timedelta(days=2))
    case_in(Status.SUBMITTED)
    publish_head(date.today() - timedelta(days=1))
    saved = saved_published_heads(client, tmp_path)
    call_command("verify_audit_chain", "--published", str(saved))
    assert "2 published head(s) found in it" in capsys.readouterr().out


def test_a_published_heads_file_that_is_not_one_is_refused_plainly(capsys, tmp_path):
    saved = tmp_path / "heads.txt"
    saved.write_text("2026-11-25 12 not-a-hash\n", encoding="utf-8")
    code, output = run_verify(capsys, "--published", str(saved))
    assert code == 1
    assert "line 1 is not 'DATE SEQ HASH'" in output.err


def test_publishing_the_head_is_once_a_day_and_keeps_the_first(capsys):
    case_in(Status.SUBMITTED)
    call_command("publish_audit_head")
    first = PublishedChainHead.objects.get()
    case_in(Status.SUBMITTED)
    call_command("publish_audit_head")
    assert PublishedChainHead.objects.get() == first
    assert (first.seq, first.hash) != (current_head().seq, current_head().hash)
    assert "already published" in capsys.readouterr().out


@pytest.mark.parametrize("language", ["en", "sw"])
def test_public_page_lists_published_heads_newest_first(client, language):
    older, _ = publish_head(date(2026, 11, 1))
    case_in(Status.SUBMITTED)
    newer, _ = publish_head(date(2026, 11, 2))
    page = client.get(f"/{language}/audit-chain/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert html.index(newer.hash) < html.index(older.hash)
    text = client.get(f"/{language}/audit-chain.txt").content.decode()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [f"2026-11-02 {newer.seq} {newer.hash}", f"2026-11-01 {older.seq} {older.hash}"]


def test_update_that_bypassed_history_is_named(capsys):
    case = case_in(Status.ACKNOWLEDGED)
    Case.objects.filter(pk=case.pk).update(subject="Quietly reworded")
    code, output = run_verify(capsys)
    assert code == 1
    assert f"feedback.Case {case.pk}" in output.err
    assert "differs from its latest history record in subject" in output.err


def test_live_row_without_any_history_is_named():
    service = water_service()
    orphan = Service.objects.bulk_create(
        [Service(institution=service.institution, code="99", name="Written around history")]
    )[0]
    report = verify_chain()
    assert not report.ok
    assert (report.model, report.record_id) == ("feedback.Service", str(orphan.pk))
    assert report.problem == "has no history record"


def test_row_deleted_around_history_is_named():
    service = Service.objects.create(
        institution=water_service().institution, code="98", name="Deleted in SQL"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Service._meta.db_table} WHERE id = %s", [service.pk])
    report = verify_chain()
    assert not report.ok
    assert (report.model, report.record_id) == ("feedback.Service", str(service.pk))
    assert report.problem == "is gone but its history has no deletion"


def test_deleting_a_staff_user_leaves_their_history_records_intact():
    editor = make_staff("charter-editor", "lead", "1111")
    service = water_service()
    service.resolve_days += 1
    service._history_user = editor
    service.save()
    row = service.history.latest("chain_seq")
    assert row.history_user_id == editor.pk
    editor_id = editor.pk

    editor.delete()

    row.refresh_from_db()
    assert row.history_user_id == editor_id  # who did it stays on the record
    assert row.history_user is None  # the account itself is gone
    assert verify_chain().ok


def test_bulk_history_writes_are_chained():
    service = water_service()
    created = bulk_create_with_history(
        [Service(institution=service.institution, code=str(n), name=f"Bulk {n}") for n in (7, 8)],
        Service,
    )
    for one in created:
        one.resolve_days = 5
    bulk_update_with_history(created, Service, ["resolve_days"])
    rows = Service.history.filter(name__startswith="Bulk")
    assert rows.count() == 4
    assert all(row.chain_seq and len(row.record_hash) == 64 for row in rows)
    assert verify_chain().ok


@pytest.fixture
def case_description_erasable(monkeypatch):
    """Declare Case.description erasable, as a deployment that keeps personal data in it would."""
    monkeypatch.setitem(audit.ERASABLE_FIELDS, "feedback.HistoricalCase", ("description",))


def test_erasure_blanks_history_without_breaking_the_chain(case_description_erasable):
    case = case_in(Status.RESOLVED)
    rows = list(case.history.all())
    assert all(row.personal_digest and row.personal_salt for row in rows)
    Case.objects.filter(pk=case.pk).update(description="")
    for row in rows:
        audit.blank_personal_data(row)
    assert set(case.history.values_list("description", flat=True)) == {""}
    report = verify_chain()
    assert report.ok
    assert report.erased == len(rows)


@pytest.mark.parametrize(
    ("tamper", "complaint"),
    [
        ("edit", "personal data does not match its digest"),
        ("blank-without-seal", "personal data does not match its digest"),
        ("forged-seal", "personal data was blanked without a valid erasure seal"),
        ("refill-after-erasure", "an erased record holds personal data again"),
    ],
)
def test_erasable_fields_are_tamper_evident_too(case_description_erasable, tamper, complaint):
    case = case_in(Status.ACKNOWLEDGED)
    row = case.history.get(status="submitted")
    rows = type(row).objects.filter(pk=row.pk)
    if tamper == "edit":
        rows.update(description="Someone else's words")
    elif tamper == "blank-without-seal":
        rows.update(description="")
    elif tamper == "forged-seal":
        forged = audit._keyed(b"a guess at the key", "erased", row.record_hash)
        rows.update(description="", personal_salt="", erasure_seal=forged)
    else:
        audit.blank_personal_data(row)
        rows.update(description="Put back after erasure")
    report = verify_chain()
    assert not report.ok
    assert report.record_id == str(row.pk)
    assert report.problem.startswith(complaint)


@pytest.mark.parametrize(
    ("key", "complaint"),
    [
        ("", "AUDIT_CHAIN_KEY must be set"),
        (DEVELOPMENT_AUDIT_CHAIN_KEY, "AUDIT_CHAIN_KEY must be set"),
        ("short", "at least 32 characters"),
        (GOOD_KEY, "must differ from SECRET_KEY"),
    ],
    ids=["empty", "development-default", "short", "same-as-secret-key"],
)
def test_production_guard_refuses_an_unsafe_audit_chain_key(key, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint):
        check_audit_chain_key(audit_chain_key=key, secret_key=GOOD_KEY)


def test_production_guard_accepts_a_private_audit_chain_key():
    check_audit_chain_key(audit_chain_key=GOOD_KEY[::-1], secret_key=GOOD_KEY)


def test_production_settings_refuse_to_start_without_an_audit_chain_key():
    env = {k: v for k, v in os.environ.items() if k not in ("AUDIT_CHAIN_KEY", "DJANGO_DEBUG")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "example.org",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY must be set" in result.stderr


def test_a_column_added_later_leaves_older_digests_as_they_were():
    """Rows chained before `service_point` existed stored no such key; while it is NULL it
    stays out of the content, so adding the column broke no digest. Once set, it is content."""
    case = case_in(Status.SUBMITTED)
    row = case.history.order_by("chain_seq").last()
    assert '"service_point_id"' not in audit.record_content(row)
    assert row.content_digest == audit.content_digest(row)
    row.service_point_id = 7
    assert '"service_point_id": 7' in audit.record_content(row)
