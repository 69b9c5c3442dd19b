"""seed_demo is for demonstrations only, and production code leans on no test tooling."""

import ast
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from feedback import demo, sla, sms
from feedback.audit import verify_chain
from feedback.models import Case
from feedback.reports.figures import compute_figures
from tests.conftest import seed_demo_content
from tests.feedback.factories import submit_case, user, water_service

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("seed_demo")
    assert not Case.objects.exists()


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_production_code_imports_no_django_test_helpers():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("feedback", "pages", "search", "config")
        for path in (ROOT / folder).rglob("*.py")
        if any(name == "django.test" or name.startswith("django.test.") for name in _imports(path))
    ]
    assert offenders == []


# The staff workspace's demo: every role finds work waiting on its dashboard.


def _dashboards(now) -> dict[str, dict[str, int]]:
    """Each role's numbers, computed here from plain querysets (not from the dashboards'
    own functions, which the command prints and tests/feedback/test_dashboards.py checks)."""
    from feedback.models import Appeal, CaseEvent, Directive, PublicOutcome, Status

    officer, lead, oversight = user("officer"), user("lead"), user("oversight")
    agent, screener = user("agent"), user("screener")
    soon = sla.add_working_days(now, 2, sla.default_country())
    mine = Case.objects.visible_to(officer).open()
    replied = CaseEvent.objects.filter(type=CaseEvent.Type.STAFF_MESSAGE, is_public=True)
    due_soon_unanswered = (
        mine.filter(status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED])
        .filter(resolve_due__gt=now, resolve_due__lte=soon)
        .exclude(pk__in=replied.values("case"))
    )
    ministry = oversight.staff_profile.institution
    return {
        "officer": {
            "open": mine.count(),
            "overdue": mine.overdue(now).count(),
            "assigned": mine.filter(assigned_to=officer).count(),
            "assigned overdue": mine.filter(assigned_to=officer).overdue(now).count(),
            "due soon, no reply": due_soon_unanswered.filter(assigned_to=officer).count(),
            "with a photo": mine.filter(
                assigned_to=officer, attachments__content_type="image/jpeg"
            ).count(),
            "with a PDF": mine.filter(
                assigned_to=officer, attachments__content_type="application/pdf"
            ).count(),
            "directives to answer": Directive.objects.open().filter(case__in=mine).count(),
            "disputed": mine.filter(disputed_at__isnull=False).count(),
        },
        "lead": {
            "unassigned": Case.objects.visible_to(lead).open().filter(assigned_to=None).count(),
            "drafts to approve": PublicOutcome.objects.filter(
                state=PublicOutcome.State.DRAFT, case__in=Case.objects.visible_to(lead)
            ).count(),
            "appeals to decide": Appeal.objects.filter(
                decided_at=None, institution=lead.staff_profile.institution
            ).count(),
        },
        "oversight": {
            "escalated to them": Case.objects.visible_to(oversight)
            .open()
            .filter(escalated_to=ministry)
            .count(),
            "appeals to decide": Appeal.objects.filter(
                decided_at=None, institution=ministry
            ).count(),
            "directives open and overdue": Directive.objects.overdue(now)
            .filter(given_by=oversight)
            .count(),
            "directives answered": Directive.objects.filter(
                given_by=oversight, answered_at__isnull=False
            ).count(),
        },
        "agent": {
            "submitted at the desk": Case.objects.visible_to(agent)
            .filter(channel="service_point", idempotency_key__startswith="demo:")
            .count(),
            "waiting for the citizen": Case.objects.visible_to(agent)
            .filter(status=Status.AWAITING_CITIZEN)
            .count(),
        },
        "screener": {"queue": Case.objects.visible_to(screener).open().count()},
    }


def test_seed_demo_run_again_adds_nothing_and_prints_every_dashboards_work(settings, monkeypatch):
    """Also the demo's pages: one tree per language, a Swahili page for every service. (One
    test for the whole command: each run of seed_demo costs seconds of Wagtail page saves.)"""
    from wagtail.models import Page

    from feedback.models import (
        Appeal,
        Attachment,
        CannedResponse,
        CaseEvent,
        Directive,
        Institution,
        PublicOutcome,
        Service,
        ServicePoint,
    )
    from pages.models import HomePage, ServicePage

    settings.DEBUG = True
    few_cases = demo.seed_cases
    monkeypatch.setattr(demo, "seed_cases", lambda: few_cases(count=8))  # the 300 take minutes
    models = (Case, CaseEvent, Attachment, Appeal, Directive, PublicOutcome, CannedResponse)
    models += (ServicePoint, Institution, Service, Page)
    first, again = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    counts = [model.objects.count() for model in models]
    settings.DEBUG = False  # a demonstration server: the flag lets it run
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=again)
    assert [model.objects.count() for model in models] == counts
    assert Service.objects.count() >= 20
    assert HomePage.objects.count() == 2
    assert ServicePage.objects.filter(locale__language_code="sw").count() == Service.objects.count()
    workspace_cases = len(demo.workspace_data()["cases"])
    assert Case.objects.count() == 8 + workspace_cases
    assert f"{workspace_cases} workspace cases new" in first.getvalue()
    assert "(0 new)" in again.getvalue() and "0 workspace cases new" in again.getvalue()
    output = again.getvalue()
    assert "Service point: Ilala Post Office (code 1811), agent: agent" in output
    for name in ("officer", "lead", "oversight", "agent", "screener", "auditor"):
        assert re.search(rf"^  {name} +\w", output, re.MULTILINE), name
    assert re.search(r"^  officer .*Assigned to you [1-9]", output, re.MULTILINE)
    assert re.search(r"^  screener +Waiting in the screening queue [4-6]$", output, re.MULTILINE)
    _the_demo_api_client_gets_a_fresh_key_on_each_run(first.getvalue(), output)


DEMO_KEY_LINE = re.compile(r"^  (mrj_[A-Za-z0-9]{8}\.[A-Za-z0-9]{40})   \((.+)\)$", re.MULTILINE)


def _the_demo_api_client_gets_a_fresh_key_on_each_run(first: str, again: str):
    """Printed beside the demo users; a second run registers no second client but issues the
    one client a fresh key (a key is stored as a digest only, so the first cannot be printed
    again), and says so."""
    from feedback.channels.keys import client_for_key
    from feedback.models import ApiClient

    assert "Demo API client: Demo mobile app (Mrejesho demo)" in first
    ((first_key, first_note),) = DEMO_KEY_LINE.findall(first)
    ((fresh_key, fresh_note),) = DEMO_KEY_LINE.findall(again)
    assert first_note == "new client" and "fresh key" in fresh_note and first_key != fresh_key
    assert first.index("Demo users") < first.index("Demo API client") < first.index("Service point")
    client = ApiClient.objects.get()
    assert (client.name, client.organisation) == ("Demo mobile app", "Mrejesho demo")
    assert client.created_by.username == "admin"
    assert client_for_key(first_key) is None and client_for_key(fresh_key) == client
    # The demo's API and Open311 cases name the app that sent them; no other case does.
    seeded = Case.objects.exclude(idempotency_key__startswith="demo:")
    sent = seeded.filter(channel__in=["api", "open311"])
    assert sent.exists() and set(sent.values_list("api_client", flat=True)) == {client.pk}
    assert (
        not seeded.exclude(channel__in=["api", "open311"]).filter(api_client__isnull=False).exists()
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 26, 9, 0),  # a Thursday
        datetime(2026, 11, 27, 23, 30),  # a Friday night
        datetime(2026, 11, 28, 12, 0),  # a Saturday
        datetime(2026, 12, 8, 16, 0),  # the day before Independence Day
        datetime(2026, 12, 24, 7, 0),  # before Christmas and Boxing Day
        datetime(2027, 1, 2, 10, 0),  # a Saturday after New Year
    ],
)
def test_due_soon_cases_fall_due_on_the_next_working_day_whatever_the_date(db, now):
    now = timezone.make_aware(now)
    country = sla.default_country()
    service = water_service()
    for kind, resolve_days in (("complaint", 5), ("inquiry", 7)):
        assert service.charter_for(kind)[1] == resolve_days
        submitted = demo._submitted_at({"due": "soon"}, service, kind, now)
        due = sla.add_working_days(submitted, resolve_days, country)
        assert submitted < now - timedelta(hours=2)
        # Due soon, yet not overdue before the day's demonstration is over.
        assert due == sla.add_working_days(now, 1, country)


@pytest.fixture(scope="class")
def demo_once(django_db_setup, django_db_blocker):
    """The demo content (tests/conftest.py `demo_content`: Wagtail's page saves make it cost
    seconds) made once for a class: in a transaction each test's own nests in and rolls back
    to, itself rolled back after the class's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_content()
        yield
        transaction.set_rollback(True)


class TestOnTheDemoContent:
    """The demo's parts on its institutions, services, staff and pages (made once)."""

    def test_demo_cases_notify_nobody_and_later_submissions_still_notify(
        self, demo_once, django_capture_on_commit_callbacks
    ):
        sms.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert demo.seed_cases(count=4) == 4
        assert (sms.outbox, mail.outbox) == ([], [])
        with django_capture_on_commit_callbacks(execute=True):
            submit_case()  # after seeding, the real task backend is back
        assert len(sms.outbox) == 1

    def test_demo_outcomes_are_published_and_searchable(self, demo_once, settings):
        from feedback.models import PublicOutcome
        from search.engines import get_engine
        from search.verification import verify

        settings.ELASTICSEARCH_URL = ""  # the embedded engine; Elasticsearch has its own suite
        demo.seed_cases(count=40)
        published = PublicOutcome.objects.public().count()
        assert published > 0
        result = verify(get_engine())
        assert (result.checked, result.clean) == (published, True)

    def test_workspace_demo_gives_every_role_work_waiting(self, demo_once):
        from feedback.models import CannedResponse, Status

        now = timezone.now()
        seeded = demo.seed_workspace(now=now)
        numbers = _dashboards(now)
        empty = [(role, name) for role, row in numbers.items() for name, n in row.items() if not n]
        assert empty == []
        assert 6 <= numbers["agent"]["submitted at the desk"] <= 10
        assert 4 <= numbers["screener"]["queue"] <= 6
        assert numbers["oversight"]["directives open and overdue"] == 1
        assert numbers["officer"]["disputed"] == 2  # one by SMS in Swahili, one by USSD
        # One of the screening queue's cases is a private dispute, for a tribunal, not a ministry.
        assert (
            Case.objects.visible_to(user("screener")).filter(subject__icontains="kiwanja").exists()
        )
        # The agent works at a service point, and the cases they took down name it.
        point = user("agent").staff_profile.service_point
        assert point is not None and point.code == "1811" and seeded["service_point"] == point
        desk = Case.objects.filter(channel="service_point", idempotency_key__startswith="demo:")
        assert set(desk.values_list("service_point", flat=True)) == {point.pk}
        # A pair of duplicates, merged: the duplicate is rejected and names the case that survives.
        merged = Case.objects.get(idempotency_key="demo:duplicate-burst-main-again")
        assert merged.status == Status.REJECTED
        assert merged.duplicate_of.idempotency_key == "demo:duplicate-burst-main"
        dawasa = merged.institution
        week = (timezone.localdate(now) - timedelta(days=7), timezone.localdate(now))
        assert (
            compute_figures(dawasa, *week, subunits=True, now=now).merged == 1
        )  # reports count it
        # Canned responses in both languages for the water utility and its ministry.
        for code in ("111", "11"):
            kept = CannedResponse.objects.filter(institution__short_code=code, is_active=True)
            assert 5 <= kept.count() <= 8
            assert all(r.body and r.body_sw and r.title_sw for r in kept)
        # Every change went through the workflow: the audit chain verifies.
        assert verify_chain().ok

    def test_seed_demo_registers_a_new_demo_client_when_the_old_one_was_revoked(self, demo_once):
        from feedback.channels import keys

        client, key, created = demo.seed_api_client()
        keys.revoke(client)
        replacement, new_key, created_again = demo.seed_api_client()
        assert (created, created_again) == (True, True) and replacement.pk != client.pk
        assert keys.client_for_key(key) is None and keys.client_for_key(new_key) == replacement
        same, newest, created_third = demo.seed_api_client()
        assert (same.pk, created_third) == (replacement.pk, False)
        assert keys.client_for_key(new_key) is None and keys.client_for_key(newest) == same

    def test_workspace_demo_attachments_are_a_real_photo_and_pdf_stored_as_uploads_are(
        self, demo_once
    ):
        from PIL import Image

        from feedback.models import Attachment

        demo.seed_workspace()
        photo = Attachment.objects.get(case__idempotency_key="demo:officer-meter-photo")
        pdf = Attachment.objects.get(case__idempotency_key="demo:officer-connection-receipt-pdf")
        with photo.file.open("rb") as stored, Image.open(stored) as image:
            assert (image.format, image.size) == ("JPEG", (480, 360))
            assert not image.getexif()  # re-encoded without metadata, as citizens' photos are
        with pdf.file.open("rb") as stored:
            assert stored.read(5) == b"%PDF-"
        assert (photo.original_name, pdf.content_type) == ("meter.jpg", "application/pdf")
        assert photo.file.name.startswith("attachments/") and "meter" not in photo.file.name
        assert photo.event is not None and photo.event.action == "submit"
