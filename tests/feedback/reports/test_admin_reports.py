"""The reports screen of the admin: who may use it and for which institutions, the form's
errors, the small scope (downloaded at once) and the large one (a request, its task, a
progress page, a private file for its requester only), and the sweep that deletes it."""

import hashlib
import re
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from feedback.escalation import sweep
from feedback.models import Institution, Role
from feedback.reports import delivery
from feedback.reports.admin_forms import Period, quick_period
from feedback.reports.csv import case_csv
from feedback.reports.models import ReportGeneration
from feedback.reports.requests import ReportRequest
from tests.feedback.factories import make_staff, user
from tests.feedback.reports.conftest import FROM, TO

pytestmark = pytest.mark.django_db

URL = "/admin/feedback/reports/"
TASK = "feedback.reports.delivery.generate_requested_report"


def client_of(username: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user(username))
    return client


def ask(client, **overrides):
    data = {
        "institution": Institution.objects.get(short_code="111").pk,
        "subunits": "on",
        "period": Period.CUSTOM,
        "date_from": FROM.isoformat(),
        "date_to": TO.isoformat(),
        "language": "en",
        "format": "csv",
    }
    data.update(overrides)
    return client.post(URL, {k: v for k, v in data.items() if v is not None})


def rows(content: bytes) -> list[bytes]:
    return content.rstrip(b"\r\n").split(b"\r\n")


@pytest.mark.parametrize(
    "username, status",
    [
        ("auditor", 200),
        ("oversight", 200),
        ("lead", 200),
        ("officer", 403),
        ("agent", 403),
        ("editor", 403),
        ("admin", 200),
    ],
)
def test_only_auditors_oversight_leaders_feedback_leads_and_admins_open_reports(username, status):
    client = client_of(username)
    assert client.get(URL).status_code == status
    assert ask(client).status_code in ((200,) if status == 200 else (403,))
    menu = client.get("/admin/").content.decode()
    assert (URL in menu) is (status == 200)


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login():
    response = Client().get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "username, codes",
    [
        ("lead", {"111", "1111"}),
        ("oversight", {"11", "111", "1111"}),
        ("auditor", {"1", "11", "111", "1111", "12", "121", "122", "18"}),
    ],
)
def test_the_form_offers_only_the_institutions_the_user_covers(username, codes):
    offered = set(delivery.institutions_for(user(username)).values_list("short_code", flat=True))
    if username == "auditor":
        assert codes <= offered
    else:
        assert offered == codes
    html = client_of(username).get(URL).content.decode()
    for institution in Institution.objects.all():
        assert (f'value="{institution.pk}"' in html) is (institution.short_code in offered)


def test_an_institution_outside_the_users_view_is_a_form_error_not_a_file(seeded):
    nhif = Institution.objects.get(short_code="121")
    response = ask(client_of("lead"), institution=nhif.pk)
    assert response.status_code == 400
    assert "attachment" not in response.get("Content-Disposition", "")
    with pytest.raises(delivery.ReportNotAllowed):
        delivery.render_report(
            user("lead"),
            nhif,
            FROM,
            TO,
            subunits=False,
            language="en",
            fmt="csv",
            now=timezone.now(),
        )


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"date_from": None, "date_to": None}, "date_from"),
        ({"date_from": "2026-11-30", "date_to": "2026-10-01"}, "date_to"),
        ({"date_from": "30/11/2026"}, "date_from"),
        ({"format": "xls"}, "format"),
        ({"language": "fr"}, "language"),
        ({"institution": "abc"}, "institution"),
        ({"period": "last_century"}, "period"),
    ],
)
def test_bad_input_is_a_400_with_the_message_beside_the_field_and_nothing_lost(overrides, field):
    response = ask(client_of("auditor"), **{"language": "sw", **overrides})
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    # Everything chosen comes back chosen, beside the error.
    html = response.content.decode()
    if field != "language":
        assert re.search(r'name="language" value="sw"[^>]*checked', html)
    assert re.search(r'name="subunits"[^>]*checked', html)
    if field != "institution":
        dawasa = Institution.objects.get(short_code="111").pk
        assert re.search(rf'<option value="{dawasa}" selected>', html)
    for name in ("date_from", "date_to"):
        if overrides.get(name, "") is not None:
            assert f'value="{overrides.get(name, form.data[name])}"' in html


@pytest.mark.parametrize(
    "choice, today, period",
    [
        (Period.LAST_MONTH, date(2026, 12, 15), (date(2026, 11, 1), date(2026, 11, 30))),
        (Period.LAST_MONTH, date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 31))),
        (Period.LAST_MONTH, date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        (Period.LAST_QUARTER, date(2026, 12, 15), (date(2026, 7, 1), date(2026, 9, 30))),
        (Period.LAST_QUARTER, date(2026, 2, 10), (date(2025, 10, 1), date(2025, 12, 31))),
        (Period.LAST_QUARTER, date(2026, 4, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        (Period.LAST_YEAR, date(2026, 12, 15), (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_quick_periods_are_the_last_whole_month_quarter_or_year(choice, today, period):
    assert quick_period(choice, today) == period


def test_a_quick_period_overrides_dates_typed_beside_it(seeded):
    response = ask(client_of("auditor"), period=Period.LAST_YEAR, date_from="2030-01-01")
    assert response.status_code == 200
    last_year = timezone.localdate().year - 1
    assert f"-{last_year}0101-{last_year}1231-" in response["Content-Disposition"]


def test_a_small_scope_downloads_at_once_the_same_bytes_as_the_case_csv(seeded, dawasa):
    response = ask(client_of("oversight"), language="sw")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="report-111-with-subunits-20261001-20261130-sw.csv"'
    )
    expected = case_csv(dawasa, FROM, TO, subunits=True, now=timezone.now(), language="sw")
    assert response.content == expected
    assert len(rows(response.content)) == 1 + 11  # the header, then cases A..K
    assert not ReportRequest.objects.exists()
    (record,) = ReportGeneration.objects.all()  # recorded in the history by generate_report
    assert (record.generated_by, record.format, record.language) == (user("oversight"), "csv", "sw")
    assert record.sha256 == hashlib.sha256(response.content).hexdigest()


def test_the_figures_csv_downloads_too(seeded):
    response = ask(client_of("lead"), format="figures-csv")
    assert response.status_code == 200
    assert b"received" in response.content.splitlines()[1] or b"11" in response.content


@pytest.fixture
def large(settings):
    """Any scope of more than five cases counts as large."""
    settings.REPORT_BACKGROUND_CASES = 5


def test_a_large_scope_is_made_by_the_task_and_offered_by_a_link(
    seeded, large, django_capture_on_commit_callbacks
):
    client = client_of("auditor")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client)
    row = ReportRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{row.pk}/"
    assert (row.state, row.progress, row.cases) == (ReportRequest.State.READY, 100, 11)
    page = client.get(response["Location"]).content.decode()
    assert f"{URL}{row.pk}/download/" in page and 'http-equiv="refresh"' not in page
    download = client.get(f"{URL}{row.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert len(rows(b"".join(download.streaming_content))) == 12
    assert f"{URL}{row.pk}/download/" in client.get(URL).content.decode()


@pytest.fixture
def task_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    """What db_worker does for each ready row (it closes the test's connection, so not it)."""
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def test_on_the_database_queue_the_task_carries_the_request_id_only_and_runs_once(
    seeded, large, task_queue
):
    client = client_of("lead")
    response = ask(client, language="sw", format="figures-csv")
    row = ReportRequest.objects.get()
    (queued,) = DBTaskResult.objects.filter(task_path=TASK)
    assert queued.args_kwargs == {"args": [], "kwargs": {"request_id": row.pk}}
    page = client.get(response["Location"]).content.decode()
    assert row.state == ReportRequest.State.QUEUED
    assert '<meta http-equiv="refresh" content="3">' in page and "download/" not in page
    assert client.get(f"{URL}{row.pk}/download/").status_code == 404

    run_worker()
    row.refresh_from_db()
    assert row.state == ReportRequest.State.READY
    name, finished = row.file.name, row.finished_at
    assert name.endswith("report-111-with-subunits-20261001-20261130-figures-sw.csv")

    delivery.generate_requested_report.call(request_id=row.pk)  # a retry
    row.refresh_from_db()
    assert (row.file.name, row.finished_at) == (name, finished)
    assert storages["reports"].exists(name)


def test_a_request_being_run_is_left_alone_unless_its_worker_died(seeded):
    row = make_request("auditor")
    row.state, row.started_at = ReportRequest.State.RUNNING, timezone.now()
    row.save()
    delivery.generate_requested_report.call(request_id=row.pk)
    row.refresh_from_db()
    assert row.state == ReportRequest.State.RUNNING
    row.started_at = timezone.now() - delivery.STALE_AFTER - timedelta(minutes=1)
    row.save()
    delivery.generate_requested_report.call(request_id=row.pk)
    row.refresh_from_db()
    assert row.state == ReportRequest.State.READY


def make_request(username: str, **fields) -> ReportRequest:
    values = {
        "requested_by": user(username),
        "institution": Institution.objects.get(short_code="111"),
        "date_from": FROM,
        "date_to": TO,
        "subunits": True,
        "language": "en",
        "format": "csv",
        "created_at": timezone.now(),
    }
    return ReportRequest.objects.create(**{**values, **fields})


def test_a_file_is_served_only_to_the_user_who_asked_for_it(seeded):
    row = make_request("auditor")
    delivery.generate_requested_report.call(request_id=row.pk)
    make_staff("auditor2", Role.AUDITOR, None)
    download = f"{URL}{row.pk}/download/"
    assert client_of("auditor").get(download).status_code == 200
    assert client_of("auditor2").get(download).status_code == 404
    assert client_of("auditor2").get(f"{URL}{row.pk}/").status_code == 404
    assert client_of("officer").get(download).status_code == 403
    assert Client().get(download).status_code == 302  # to the login


def test_a_lead_moved_out_of_the_institution_can_no_longer_download_its_report(seeded):
    row = make_request("lead")
    delivery.generate_requested_report.call(request_id=row.pk)
    make_staff("lead", Role.LEAD, "121")
    assert client_of("lead").get(f"{URL}{row.pk}/download/").status_code == 404


def test_the_sweep_deletes_reports_past_their_retention_and_their_files(seeded, settings):
    settings.REPORT_RETENTION_DAYS = 7
    now = timezone.now()
    old = make_request("auditor", created_at=now - timedelta(days=8))
    old.file.save("old.csv", ContentFile(b"x"), save=True)
    fresh = make_request("auditor", created_at=now - timedelta(days=6))
    fresh.file.save("fresh.csv", ContentFile(b"y"), save=True)
    result = sweep(now)
    assert result.counts["reports_deleted"] == 1 and not result.failed_steps
    assert list(ReportRequest.objects.all()) == [fresh]
    assert not storages["reports"].exists(old.file.name)
    assert storages["reports"].exists(fresh.file.name)


def test_reports_are_stored_outside_the_public_media_storage():
    assert storages["reports"] is not storages["default"]
    assert ReportRequest._meta.get_field("file").storage is storages["reports"]
