"""Every page kind answers in an exact number of SQL queries, and that number does not grow with
the rows it shows: each page is rendered with 2 rows and with 20, and both counts must be the
figure in COUNTS. A query per row (a missing select_related or prefetch_related, a lookup in a
template loop) fails here; so does any new query on a page, which should then be a choice.

Counts are for the default test settings (the database search engine, the database cache, no
second factor) and are the same on SQLite and PostgreSQL unless COUNTS says per backend.
"""

import itertools
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import tracking, workflow
from feedback.audit import PublishedChainHead
from feedback.models import Institution, Kind, Status
from feedback.reports.requests import ReportRequest
from pages.models import HomePage, ServiceIndexPage
from search.documents import public_documents
from search.engines import get_engine
from tests.feedback.factories import (
    CaseFactory,
    InstitutionFactory,
    ServiceFactory,
    actor,
    submit_case,
    user,
    water_service,
)
from tests.pages.factories import ServiceIndexPageFactory, ServicePageFactory
from tests.search.factories import publish_outcome

pytestmark = pytest.mark.django_db

# page kind: queries per request (an int: both backends; a dict: per backend).
COUNTS: dict[str, int | dict[str, int]] = {}

SIZES = (2, 20)
NUMBERS = itertools.count()  # rows numbered across a test's two sizes


def expected(kind: str) -> int:
    count = COUNTS[kind]
    return count if isinstance(count, int) else count[connection.vendor]


def assert_queries(
    django_assert_num_queries,
    kind: str,
    render: Callable[[], object],
    add_rows: Callable[[int], None] | None = None,
    status: int = 200,
):
    """The one check of this module: `render()` (a request, its body read) runs exactly
    COUNTS[kind] queries with SIZES[0] rows and again with SIZES[1] rows (`add_rows(n)` adds n).
    Each size is rendered once first, so per-process caches (Wagtail's site root paths, the
    user's session) are warm, as they are on a server. Without `add_rows`, one render counts."""
    steps = [SIZES[0], SIZES[1] - SIZES[0]] if add_rows is not None else [0]
    response = None
    for added in steps:
        if add_rows is not None:
            add_rows(added)
        warm = render()
        assert warm.status_code == status, warm
        with django_assert_num_queries(expected(kind)):
            response = render()
    return response


def body(response):
    """Reads a response in full, streamed or not: its queries run while it is read."""
    if response.streaming:
        response.read_body = b"".join(response.streaming_content)
    else:
        response.read_body = response.content
    return response


def get(client, url: str, **headers):
    return lambda: body(client.get(url, **headers))


@pytest.fixture(autouse=True)
def database_engine(settings):
    """The outcome search on the database engine, as in the default settings."""
    settings.ELASTICSEARCH_URL = ""


@pytest.fixture(autouse=True)
def fresh_cache():
    """Limits and Wagtail's site root paths live in the cache, which outlives a test."""
    global NUMBERS
    NUMBERS = itertools.count()
    cache.clear()
    yield
    cache.clear()


# --- Rows ------------------------------------------------------------------------------------


def home() -> HomePage:
    return HomePage.objects.get(slug="home")


def add_service_indexes(count: int) -> None:
    start = ServiceIndexPage.objects.count()
    for n in range(start, start + count):
        ServiceIndexPageFactory(parent=home(), title=f"Services {n}", slug=f"services-{n}")


def new_services(count: int) -> list:
    agency = Institution.objects.get(short_code="111")
    start = agency.services.count()
    return [
        ServiceFactory(institution=agency, code=str(100 + n), name=f"Service {n}")
        for n in range(start, start + count)
    ]


def add_service_pages(count: int) -> None:
    index = ServiceIndexPage.objects.get(slug="services")
    for service in new_services(count):
        ServicePageFactory(parent=index, service=service)


def add_institutions_under(code: str) -> Callable[[int], None]:
    def add(count: int) -> None:
        parent = Institution.objects.get(short_code=code)
        for _n in range(count):
            InstitutionFactory(parent=parent, level=Institution.Level.UNIT)

    return add


def add_replies(case) -> Callable[[int], None]:
    def add(count: int) -> None:
        for _n in range(count):
            body = f"Reply {next(NUMBERS)}."
            workflow.reply(case, by=actor("officer"), body=body, visibility="public")

    return add


def add_cases(count: int) -> None:
    for n in range(count):
        case = submit_case(subject=f"Case {n}").case
        if n % 2 == 0:
            workflow.assign(case, by=actor("lead"), officer=user("officer"))
        if n % 3 == 0:
            workflow.reply(case, by=actor("officer"), body="On it.", visibility="public")


def add_outcomes(count: int) -> None:
    for _i in range(count):
        n = next(NUMBERS)
        publish_outcome(
            summary=f"Water meter number {n} was read twice; the bill was corrected.",
            response="We corrected the bill.",
            service=water_service(),
            kind=[Kind.COMPLAINT, Kind.INQUIRY][n % 2],
            verdict=["", "closed", "rated:4"][n % 3],
        )
    get_engine().index(list(public_documents()))  # as `search_index sync` would


# --- Public pages ----------------------------------------------------------------------------
# The Wagtail pages that may be kept in the page cache (config.page_cache.PublicPageMixin) ask
# whether a view restriction covers them before they say "public": 2 queries (the ancestors,
# then EXISTS), paid only when the page is rendered, not when the cache answers.

COUNTS["home"] = 12


def test_home(client, django_assert_num_queries):
    assert_queries(django_assert_num_queries, "home", get(client, "/en/"), add_service_indexes)


COUNTS["service index"] = 13


def test_service_index(client, django_assert_num_queries):
    render = get(client, "/en/services/")
    assert_queries(django_assert_num_queries, "service index", render, add_service_pages)


COUNTS["service page"] = 16


def test_service_page(client, django_assert_num_queries):
    render = get(client, "/en/services/water-bills-and-meters-1111/")
    assert_queries(django_assert_num_queries, "service page", render)


COUNTS["standard page"] = 11


def test_standard_page(client, django_assert_num_queries):
    assert_queries(django_assert_num_queries, "standard page", get(client, "/en/about/"))


COUNTS["feedback landing"] = 11


def test_feedback_landing(client, django_assert_num_queries):
    assert_queries(django_assert_num_queries, "feedback landing", get(client, "/en/feedback/"))


COUNTS["feedback form"] = 12


def test_feedback_form(client, django_assert_num_queries):
    render = get(client, "/en/feedback/new/")
    assert_queries(django_assert_num_queries, "feedback form", render, new_services)


def test_the_forms_lists_are_read_without_a_server_side_cursor(client):
    """feedback.forms.ListedChoiceIterator: Django's own reads each list through a server-side
    cursor on PostgreSQL (DECLARE, FETCH, CLOSE: three round trips, one logged). Only
    PostgreSQL has them: on SQLite this passes whatever the form does."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/en/feedback/new/").status_code == 200
    assert not [query for query in queries if query["sql"].startswith("DECLARE")]


FORM = {
    "kind": "complaint",
    "subject": "Bili ya maji imeongezeka",
    "description": "Bili ya mwezi Machi ni mara mbili ya kawaida.",
    "phone": "0712 345 678",
    "notify_by": "sms",
    "consent_to_publish": "on",
}

COUNTS["review"] = 13


def test_review(client, django_assert_num_queries):
    client.post("/en/feedback/new/", {**FORM, "service": water_service().pk})
    assert_queries(django_assert_num_queries, "review", get(client, "/en/feedback/new/review/"))


COUNTS["sent"] = 17


def test_sent(client, django_assert_num_queries):
    """The confirmation of a send already made (a retry, the back button): the send itself is a
    write whose queries the workflow owns."""
    client.post("/en/feedback/new/", {**FORM, "service": water_service().pk})
    assert client.post("/en/feedback/new/review/", {"send": "1"}).status_code == 200
    render = lambda: client.post("/en/feedback/new/review/", {"send": "1"})  # noqa: E731
    assert_queries(django_assert_num_queries, "sent", render)


COUNTS["track form"] = 11  # the blank form is public too: the 2 view-restriction queries


def test_track_form(client, django_assert_num_queries):
    assert_queries(django_assert_num_queries, "track form", get(client, "/en/feedback/track/"))


COUNTS["case before the PIN"] = {"sqlite": 24, "postgresql": 25}


def test_case_before_the_pin(client, django_assert_num_queries):
    case = case_in_progress()
    render = get(client, f"/en/feedback/track/{case.reference}/")
    assert_queries(django_assert_num_queries, "case before the PIN", render, add_replies(case))


COUNTS["case after the PIN"] = 15


def test_case_after_the_pin(client, django_assert_num_queries):
    case = case_in_progress()
    session = client.session
    tracking.remember_proven(session, case.reference)
    session.save()
    render = get(client, f"/en/feedback/track/{case.reference}/")
    response = assert_queries(
        django_assert_num_queries, "case after the PIN", render, add_replies(case)
    )
    assert "Reply 19." in response.read_body.decode()


def case_in_progress():
    return CaseFactory(status=Status.IN_PROGRESS)


COUNTS["search"] = 17


def test_search_with_results_and_facets(client, django_assert_num_queries):
    render = get(client, "/en/search/?q=water")
    response = assert_queries(django_assert_num_queries, "search", render, add_outcomes)
    assert "number 19" in response.read_body.decode()


COUNTS["outcome page"] = 7


def test_outcome_page(client, django_assert_num_queries):
    outcome = publish_outcome(
        summary="The meter was read twice.", response="Corrected.", service=water_service()
    )
    render = get(client, f"/en/outcomes/{outcome.case.reference}/")
    assert_queries(django_assert_num_queries, "outcome page", render, add_outcomes)


COUNTS["performance index"] = 1


def test_performance_index(client, django_assert_num_queries):
    render = get(client, "/en/performance/")
    assert_queries(
        django_assert_num_queries, "performance index", render, add_institutions_under("11")
    )


COUNTS["performance of an institution"] = {"sqlite": 11, "postgresql": 12}


def test_performance_of_an_institution(client, django_assert_num_queries):
    add_cases(3)
    render = get(client, "/en/performance/111/")
    assert_queries(
        django_assert_num_queries,
        "performance of an institution",
        render,
        add_institutions_under("111"),
    )


def add_published_heads(count: int) -> None:
    start = date(2026, 1, 1) + timedelta(days=PublishedChainHead.objects.count())
    PublishedChainHead.objects.bulk_create(
        PublishedChainHead(date=start + timedelta(days=n), seq=n + 1, hash=f"{n:064x}")
        for n in range(count)
    )


COUNTS["audit chain"] = 4
COUNTS["audit chain text"] = 1


def test_audit_chain_pages(client, django_assert_num_queries):
    render = get(client, "/en/audit-chain/")
    assert_queries(django_assert_num_queries, "audit chain", render, add_published_heads)
    render = get(client, "/en/audit-chain.txt")
    assert_queries(django_assert_num_queries, "audit chain text", render, add_published_heads)


COUNTS["outcomes CSV"] = 2
COUNTS["outcomes JSON"] = 2


@pytest.mark.parametrize(
    ("kind", "url"),
    [("outcomes CSV", "/en/search/outcomes.csv"), ("outcomes JSON", "/en/search/outcomes.json")],
)
def test_open_data_downloads(client, django_assert_num_queries, kind, url):
    response = assert_queries(django_assert_num_queries, kind, get(client, url), add_outcomes)
    assert b"Water meter number 19" in response.read_body


# --- Staff pages -----------------------------------------------------------------------------


def staff_client(client, username: str):
    client.force_login(user(username))
    return client


COUNTS["admin case page, officer"] = 27
COUNTS["admin case page, lead"] = 32


@pytest.mark.parametrize("username", ["officer", "lead"])
def test_admin_case_page(client, django_assert_num_queries, username):
    case = case_in_progress()
    url = f"/admin/feedback/case/{case.pk}/workspace/"
    render = get(staff_client(client, username), url)
    response = assert_queries(
        django_assert_num_queries, f"admin case page, {username}", render, add_replies(case)
    )
    assert "Reply 19." in response.read_body.decode()


COUNTS["inbox, officer"] = 15
COUNTS["inbox, lead"] = 15


@pytest.mark.parametrize("username", ["officer", "lead"])
def test_inbox(client, django_assert_num_queries, username):
    render = get(staff_client(client, username), "/admin/feedback/case/")
    assert_queries(django_assert_num_queries, f"inbox, {username}", render, add_cases)


def add_screening_cases(count: int) -> None:
    for n in range(count):
        submit_case(service=None, institution=None, subject=f"Where does this go {n}")


COUNTS["screening queue"] = 14


def test_screening_queue(client, django_assert_num_queries):
    render = get(staff_client(client, "screener"), "/admin/feedback/case/")
    assert_queries(django_assert_num_queries, "screening queue", render, add_screening_cases)


def add_appeals(count: int) -> None:
    for _n in range(count):
        CaseFactory(status=Status.APPEALED)


COUNTS["appeals queue"] = 15


def test_appeals_queue(client, django_assert_num_queries):
    render = get(staff_client(client, "oversight"), "/admin/feedback/case/?appeals_to_decide=on")
    assert_queries(django_assert_num_queries, "appeals queue", render, add_appeals)


def add_directives(count: int) -> None:
    for n in range(count):
        case = submit_case(subject=f"Directed {n}").case
        workflow.give_directive(
            case,
            by=actor("oversight"),
            instruction="Answer this citizen this week.",
            due=timezone.localdate() + timedelta(days=7),
        )


COUNTS["directives queue"] = 15


def test_directives_queue(client, django_assert_num_queries):
    render = get(staff_client(client, "lead"), "/admin/feedback/case/?open_directives=on")
    assert_queries(django_assert_num_queries, "directives queue", render, add_directives)


DASHBOARD_ROLES = ["officer", "lead", "oversight", "agent", "auditor", "screener", "admin"]
COUNTS.update(
    {
        f"dashboard, {username}": count
        for username, count in zip(DASHBOARD_ROLES, [12, 12, 12, 10, 11, 10, 23], strict=True)
    }
)
COUNTS["oversight dashboard"] = 19


@pytest.mark.parametrize("username", DASHBOARD_ROLES)
def test_dashboard(client, django_assert_num_queries, username):
    render = get(staff_client(client, username), "/admin/")
    assert_queries(django_assert_num_queries, f"dashboard, {username}", render, add_cases)


def test_oversight_dashboard(client, django_assert_num_queries):
    render = get(staff_client(client, "oversight"), "/admin/feedback/oversight/")
    assert_queries(
        django_assert_num_queries, "oversight dashboard", render, add_institutions_under("11")
    )


def add_report_requests(count: int) -> None:
    agency = Institution.objects.get(short_code="111")
    ReportRequest.objects.bulk_create(
        ReportRequest(
            requested_by=user("auditor"),
            institution=agency,
            date_from=date(2026, 1, 1),
            date_to=date(2026, 3, 31),
            language="en",
            format="pdf",
            created_at=timezone.now(),
        )
        for _n in range(count)
    )


COUNTS["reports list"] = 12


def test_reports_list(client, django_assert_num_queries):
    render = get(staff_client(client, "auditor"), "/admin/feedback/reports/")
    assert_queries(django_assert_num_queries, "reports list", render, add_report_requests)


COUNTS["data-subject page"] = 6
COUNTS["data-subject export, 2 cases"] = 24


def test_data_subject_pages(client, django_assert_num_queries):
    """The export records each case it hands out as its own chained audit record (a row, its
    history and the chain head: writes per case, by design); what it reads is loaded for all
    the cases at once, which the count at 2 cases holds (it was 30 when each case read its
    contact, messages and files alone)."""
    admin = staff_client(client, "admin")
    render = get(admin, "/admin/feedback/data-subject/")
    assert_queries(django_assert_num_queries, "data-subject page", render)
    add_cases(2)
    sent = {"phone": "0712 345 678", "reason": "Letter of 1 Dec", "export": ""}
    render = lambda: admin.post("/admin/feedback/data-subject/", sent)  # noqa: E731
    response = assert_queries(django_assert_num_queries, "data-subject export, 2 cases", render)
    assert response["Content-Type"].startswith("application/json")


# --- Machines: the API, Open311, USSD and SMS -------------------------------------------------

COUNTS["API institutions"] = {"sqlite": 17, "postgresql": 18}
COUNTS["API services"] = {"sqlite": 17, "postgresql": 18}
COUNTS["API outcomes"] = {"sqlite": 28, "postgresql": 29}


def test_api_listings(client, django_assert_num_queries):
    render = get(client, "/api/v1/institutions/")
    assert_queries(
        django_assert_num_queries, "API institutions", render, add_institutions_under("11")
    )
    render = get(client, "/api/v1/services/")
    assert_queries(django_assert_num_queries, "API services", render, new_services)
    render = get(client, "/api/v1/outcomes/")
    assert_queries(django_assert_num_queries, "API outcomes", render, add_outcomes)


COUNTS["API case"] = {"sqlite": 29, "postgresql": 31}
COUNTS["API exchange"] = {"sqlite": 28, "postgresql": 29}


def test_api_case_and_exchange(client, django_assert_num_queries):
    sent = submit_case()
    workflow.acknowledge(sent.case, by=actor("officer"))
    case = workflow.start(sent.case, by=actor("officer"))
    render = get(client, f"/api/v1/cases/{case.reference}/")
    assert_queries(django_assert_num_queries, "API case", render, add_replies(case))
    render = get(client, f"/api/v1/cases/{case.reference}/exchange/", HTTP_X_CASE_PIN=sent.pin)
    response = assert_queries(django_assert_num_queries, "API exchange", render, add_replies(case))
    assert "Reply 19." in response.read_body.decode()


COUNTS["Open311 services"] = {"sqlite": 15, "postgresql": 16}
COUNTS["Open311 requests"] = {"sqlite": 15, "postgresql": 16}
COUNTS["Open311 request"] = {"sqlite": 30, "postgresql": 32}


def test_open311(client, django_assert_num_queries):
    render = get(client, "/open311/v2/services.json")
    assert_queries(django_assert_num_queries, "Open311 services", render, new_services)
    render = get(client, "/open311/v2/requests.json")
    assert_queries(django_assert_num_queries, "Open311 requests", render, add_cases)
    case = case_in_progress()
    render = get(client, f"/open311/v2/requests/{case.reference}.json")
    assert_queries(django_assert_num_queries, "Open311 request", render, add_replies(case))


COUNTS["USSD first screen"] = 4
COUNTS["USSD track"] = 5
COUNTS["SMS status"] = {"sqlite": 39, "postgresql": 41}


def test_ussd_and_sms(client, django_assert_num_queries):
    case = case_in_progress()
    dial = {"sessionId": "ATUid_q", "serviceCode": "*152*00#", "phoneNumber": "+255712345678"}
    render = lambda: client.post("/channels/ussd/", {**dial, "text": ""})  # noqa: E731
    assert_queries(django_assert_num_queries, "USSD first screen", render)
    track = {**dial, "sessionId": "ATUid_t", "text": f"2*{case.reference}"}
    render = lambda: client.post("/channels/ussd/", track)  # noqa: E731
    assert_queries(django_assert_num_queries, "USSD track", render, add_replies(case))
    ids = iter(range(10_000))
    render = lambda: client.post(  # noqa: E731
        "/channels/sms/",
        {
            "from": "+255712345678",
            "to": "15200",
            "text": f"STATUS {case.reference}",
            "date": "2026-11-26 10:00:00",
            "id": f"ATXid_q{next(ids)}",
        },
    )
    assert_queries(django_assert_num_queries, "SMS status", render, add_replies(case))
