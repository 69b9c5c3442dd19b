"""The auditor's tools in the admin: the audit-chain check runs in a background task, records
who ran it and when (in the chain itself), and names the first break; the Audit menu and its
exports are the auditors' and administrators' only."""

import pytest
from django.urls import reverse

from feedback.audit import current_head
from feedback.models import ChainCheck, Status
from feedback.workspace import audit_tools
from tests.feedback.factories import case_in, user

pytestmark = pytest.mark.django_db

CHECK = reverse("feedback_audit_chain_check")


def status_url(check):
    return reverse("feedback_audit_chain_check_status", args=[check.pk])


def run_check(client, django_capture_on_commit_callbacks):
    """POST as a browser would; the in-process task backend runs the check on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHECK)
    assert response.status_code == 302
    check = ChainCheck.objects.get()
    assert response["Location"] == status_url(check)
    check.refresh_from_db()
    return check


@pytest.mark.parametrize("username", ["auditor", "admin"])
def test_auditor_runs_the_check_and_reads_an_intact_chain(
    client, django_capture_on_commit_callbacks, username
):
    case_in(Status.RESOLVED)
    client.force_login(user(username))
    check = run_check(client, django_capture_on_commit_callbacks)
    assert (check.state, check.intact, check.requested_by) == ("done", True, user(username))
    # Every record in the chain when it started, and its own "running" record.
    assert (
        check.checked
        == check.head_seq_at_start + 1
        == check.history.get(state="done").chain_seq - 1
    )
    assert check.started_at <= check.finished_at
    html = client.get(status_url(check)).content.decode()
    assert "The chain is intact." in html and check.head_hash in html
    assert 'http-equiv="refresh"' not in html
    assert "Intact" in client.get(CHECK).content.decode()


def test_who_ran_the_check_is_itself_in_the_chain(client, django_capture_on_commit_callbacks):
    client.force_login(user("auditor"))
    check = run_check(client, django_capture_on_commit_callbacks)
    rows = check.history.order_by("chain_seq")
    assert [row.state for row in rows] == ["queued", "running", "done"]
    assert rows[0].history_user_id == user("auditor").pk
    assert all(row.chain_seq for row in rows)
    assert current_head().seq == rows.last().chain_seq


def test_a_tampered_record_is_named_with_its_position(client, django_capture_on_commit_callbacks):
    case = case_in(Status.RESOLVED)
    victim = case.history.get(status="acknowledged")
    type(victim).objects.filter(pk=victim.pk).update(description="Nothing to see here")
    client.force_login(user("auditor"))
    check = run_check(client, django_capture_on_commit_callbacks)
    assert (check.state, check.intact) == ("done", False)
    assert check.problem_position == victim.chain_seq
    assert (check.problem_model, check.problem_record) == (
        "feedback.HistoricalCase",
        str(victim.pk),
    )
    assert "content does not match its hash" in check.problem
    html = client.get(status_url(check)).content.decode()
    assert "The chain is broken." in html and f"At chain position {victim.chain_seq}" in html


def test_a_queued_check_shows_running_and_refreshes_itself(client):
    client.force_login(user("auditor"))
    response = client.post(CHECK)  # the on-commit task never runs in this test's transaction
    check = ChainCheck.objects.get()
    assert check.state == "queued"
    html = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in html and "Waiting to start" in html
    # A second request while one is under way follows the first instead of queueing another.
    assert client.post(CHECK)["Location"] == status_url(check)
    assert ChainCheck.objects.count() == 1
    assert "is under way" in client.get(CHECK).content.decode()


def test_the_task_leaves_a_check_already_run_alone(client, django_capture_on_commit_callbacks):
    client.force_login(user("auditor"))
    check = run_check(client, django_capture_on_commit_callbacks)
    finished_at = check.finished_at
    audit_tools.run_chain_check.call(check_id=check.pk)
    check.refresh_from_db()
    assert check.finished_at == finished_at
    audit_tools.run_chain_check.call(check_id=999_999)  # gone: nothing to do


@pytest.mark.parametrize(
    "username", ["officer", "lead", "oversight", "agent", "screener", "editor"]
)
def test_other_roles_may_not_run_or_read_the_check(client, username):
    client.force_login(user(username))
    assert client.post(CHECK).status_code == 403
    assert client.get(CHECK).status_code == 403
    assert not ChainCheck.objects.exists()
    with pytest.raises(audit_tools.ChainCheckNotAllowed):
        audit_tools.start_chain_check(user(username))


def test_unknown_check_is_not_found(client):
    client.force_login(user("auditor"))
    assert client.get(reverse("feedback_audit_chain_check_status", args=[4242])).status_code == 404


def test_the_audit_menu_and_exports_are_for_auditors_and_admins(client):
    client.force_login(user("auditor"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    for _label, url, _icon in audit_tools.exports():
        assert url.replace("&", "&amp;") in html or url in html, url
    assert CHECK in html
    client.force_login(user("officer"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert CHECK not in html


def test_the_dashboard_shows_the_head_and_the_last_result(
    client, django_capture_on_commit_callbacks
):
    client.force_login(user("auditor"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "No check has been run from the admin yet." in html
    check = run_check(client, django_capture_on_commit_callbacks)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert current_head().hash in html
    assert f"{check.checked} records verified" in html


@pytest.mark.django_db(transaction=True)
def test_the_check_outside_a_transaction_reads_one_snapshot(client):
    """As in production: the task runs after the request's commit, in its own transaction
    (REPEATABLE READ on PostgreSQL), and finds the chain intact."""
    from tests.feedback.factories import build_test_world

    build_test_world()
    case_in(Status.RESOLVED)
    client.force_login(user("auditor"))
    client.post(CHECK)
    check = ChainCheck.objects.get()
    assert (check.state, check.intact) == ("done", True)
    assert check.checked == check.head_seq_at_start + 1
