"""The shared page cache (config/page_cache.py): public pages kept between publications on the
real database cache (SQLite or PostgreSQL, as DATABASE_URL says), cleared when what they show
changes, and never anything personal, signed-in or per-session."""

import re
from datetime import UTC, timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Page

from config.page_cache import (
    CSRF_PLACEHOLDER,
    PAGE_CACHE_ALIAS,
    mark_public,
    mark_public_page,
    shareable,
)
from feedback import workflow
from feedback.models import CharterTerm
from pages.models import HomePage, ServicePage, StandardPage
from search import indexing
from search.models import PendingIndexUpdate
from tests.conftest import require_service
from tests.feedback.factories import actor, submit_case, user, water_service
from tests.search.factories import publish_outcome

pytestmark = pytest.mark.django_db

TABLE = caches[PAGE_CACHE_ALIAS]._table


@pytest.fixture
def page_cache(settings):
    """The page cache switched on (the suite runs with it off), on the database engine, so an
    outcome published in a test is searchable at once; empty before the test."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 86_400
    settings.PERFORMANCE_PAGE_CACHE_SECONDS = 300
    settings.PUBLIC_PAGE_MAX_AGE = 60
    settings.ELASTICSEARCH_URL = ""
    caches[PAGE_CACHE_ALIAS].clear()
    yield
    caches[PAGE_CACHE_ALIAS].clear()


@pytest.fixture
def outcome(page_cache):
    made = publish_outcome(
        summary="Water bill doubled after a faulty meter reading",
        response="The meter was replaced and the bill corrected.",
        service=water_service(),
    )
    indexing.sync()  # the database engine's documents, as the task would on commit
    caches[PAGE_CACHE_ALIAS].clear()
    return made


def kept() -> int:
    """Rows in the pages cache table: one per kept page (and encoding)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # our own table name
        return cursor.fetchone()[0]


def get_counting(client, url, **headers):
    """(response, the SQL it ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, [query["sql"] for query in queries.captured_queries]


def assert_from_cache(client, url, first):
    """A second GET of `url` runs one SQL statement, the cache's look-up, and answers the bytes
    of the first."""
    again, sql = get_counting(client, url)
    assert again.status_code == 200
    assert len(sql) == 1, sql
    assert all(TABLE in statement for statement in sql), sql
    assert again.content == first.content
    return again


def public_urls(outcome) -> list[str]:
    water = ServicePage.objects.get(locale__language_code="en", service=water_service())
    return [
        "/en/",
        "/sw/",
        "/en/services/",
        water.url,
        "/en/about/",
        "/en/feedback/",
        "/en/feedback/track/",
        f"/en/outcomes/{outcome.case.reference}/",
        "/en/search/?q=meter",
        "/en/search/?q=meter&kind=complaint",
        "/en/search/fields/",
        "/en/performance/",
        "/en/performance/111/",
        "/en/performance/ranking/",
        "/en/audit-chain/",
        "/en/audit-chain.txt",
    ]


def test_every_public_page_kind_is_served_from_the_cache_the_second_time(
    client, page_cache, outcome
):
    for url in public_urls(outcome):
        first, sql = get_counting(client, url)
        assert first.status_code == 200, url
        assert any(TABLE not in statement for statement in sql), f"{url}: rendered, not kept"
        assert_from_cache(client, url, first)


def test_each_language_and_query_string_is_kept_apart(client, page_cache, outcome):
    english = client.get("/en/")
    swahili = client.get("/sw/")
    assert swahili.content != english.content
    assert '<html lang="sw">' in assert_from_cache(client, "/sw/", swahili).content.decode()
    assert '<html lang="en">' in assert_from_cache(client, "/en/", english).content.decode()
    found = client.get("/en/search/?q=meter")
    nothing = client.get("/en/search/?q=passport")
    assert outcome.case.reference in found.content.decode()
    assert outcome.case.reference not in nothing.content.decode()
    assert_from_cache(client, "/en/search/?q=passport", nothing)


def test_zero_seconds_switches_the_page_cache_off(client, page_cache, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    client.get("/en/")
    _again, sql = get_counting(client, "/en/")
    assert kept() == 0
    assert not any(TABLE in statement for statement in sql)  # not even a lookup
    assert len(sql) > 2


# --- Invalidation -------------------------------------------------------------------------------


def test_publishing_a_page_shows_the_new_text_at_once(
    client, page_cache, django_capture_on_commit_callbacks
):
    before = client.get("/en/about/")
    assert_from_cache(client, "/en/about/", before)
    page = StandardPage.objects.get(locale__language_code="en", slug="about")
    page.intro = "Published a minute ago."
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert "Published a minute ago." in client.get("/en/about/").content.decode()


@pytest.mark.parametrize("change", ["unpublish", "delete", "move"])
def test_unpublishing_deleting_or_moving_a_page_clears_the_cache(
    client, page_cache, django_capture_on_commit_callbacks, change
):
    assert "Public services" in client.get("/en/").content.decode()
    assert kept() > 0
    page = Page.objects.get(locale__language_code="en", slug="services")
    with django_capture_on_commit_callbacks(execute=True):
        if change == "unpublish":
            page.unpublish()
        elif change == "delete":
            page.delete()
        else:
            page.move(Page.objects.get(locale__language_code="en", slug="about"), "last-child")
    assert kept() == 0
    assert "Public services" not in client.get("/en/").content.decode()


def test_a_withdrawn_outcome_is_gone_from_its_page_and_the_search(
    client, page_cache, outcome, django_capture_on_commit_callbacks
):
    page = f"/en/outcomes/{outcome.case.reference}/"
    assert client.get(page).status_code == 200
    reference = outcome.case.reference
    assert reference in client.get("/en/search/?q=meter").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_outcome(outcome.case, by=actor("admin"), reason="Names a street.")
    assert client.get(page).status_code == 404
    assert reference not in client.get("/en/search/?q=meter").content.decode()


def test_a_withdrawn_outcome_page_is_gone_even_while_the_search_engine_is_down(
    client, page_cache, outcome, settings, django_capture_on_commit_callbacks
):
    """The index is told later (a task, retried); the page must not wait for it."""
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens: the engine is down
    page = f"/en/outcomes/{outcome.case.reference}/"
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_outcome(outcome.case, by=actor("admin"), reason="Names a street.")
    assert client.get(page).status_code == 404
    # The push failed, so the change waits in the queue for the retry.
    assert PendingIndexUpdate.objects.filter(case_id=outcome.case.pk).exists()


def test_a_newly_published_outcome_is_found_at_once(
    client, page_cache, django_capture_on_commit_callbacks
):
    assert "outcomes/" not in client.get("/en/search/?q=borehole").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        published = publish_outcome(
            summary="Borehole pump broken for a month",
            response="The pump was repaired.",
            service=water_service(),
        )
    html = client.get("/en/search/?q=borehole").content.decode()
    assert f"outcomes/{published.case.reference}/" in html


def _slower_service():
    water = water_service()
    water.resolve_days = 9
    water.save()


def _renamed_institution():
    water = water_service()
    water.institution.name = "DAWASA Customer Desk"
    water.institution.save()


def _longer_charter_term():
    CharterTerm.objects.filter(service=water_service()).first().save()


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (_slower_service, "9 working days"),
        (_renamed_institution, "DAWASA Customer Desk"),
        (_longer_charter_term, None),
    ],
)
def test_editing_a_service_its_charter_or_institution_clears_the_cache(
    client, page_cache, django_capture_on_commit_callbacks, change, shown
):
    url = ServicePage.objects.get(locale__language_code="en", service=water_service()).url
    html = client.get(url).content.decode()
    assert "DAWASA Customer Care" in html and "7 working days" in html
    with django_capture_on_commit_callbacks(execute=True):
        change()
    assert kept() == 0
    if shown:
        assert shown in client.get(url).content.decode()


def latest_expiry():
    """When the last of the kept rows expires (SQLite answers text, PostgreSQL a datetime)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(expires) FROM {TABLE}")  # our own table name
        latest = cursor.fetchone()[0]
    if isinstance(latest, str):
        latest = parse_datetime(latest)
    return latest if timezone.is_aware(latest) else timezone.make_aware(latest, UTC)


def test_performance_pages_are_kept_for_their_short_time_only(client, page_cache):
    client.get("/en/performance/")
    assert latest_expiry() <= timezone.now() + timedelta(seconds=300)
    caches[PAGE_CACHE_ALIAS].clear()
    client.get("/en/")
    assert latest_expiry() > timezone.now() + timedelta(hours=23)


# --- Never cached -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/en/feedback/track/?reference=12",  # a form error: 400
        "/en/feedback/track/?x=1",  # a made-up query string: answered, not kept
        "/en/search/?kind=nonsense",  # a form error: 400
        "/en/search/?page=999",  # past the end: 404
        "/en/outcomes/1234567890/",  # unknown: 404
        "/en/performance/111/?year=abc",  # a form error: 400
        "/en/performance/institution/1/",  # a redirect
        "/",  # the language redirect
        "/api/v1/services/",
        "/open311/v2/services.json",
        "/channels/ussd/",
        "/admin/",
        "/healthz",
    ],
)
def test_private_erroneous_and_machine_answers_are_never_kept(client, page_cache, url):
    for _ in range(2):
        response = client.get(url)
        assert "public" not in response.get("Cache-Control", ""), url
    assert kept() == 0


@pytest.mark.parametrize(
    "url", ["/api/v1/services/", "/open311/v2/services.json", "/healthz", "/admin/login/"]
)
def test_what_is_never_a_public_page_does_not_even_look_in_the_cache(client, page_cache, url):
    _response, sql = get_counting(client, url)
    assert not any(TABLE in statement for statement in sql), sql


def test_case_pages_with_a_pin_or_personal_data_are_never_kept_nor_public(client, page_cache):
    submission = submit_case()
    track = f"/en/feedback/track/{submission.case.reference}/"
    response = client.get(track)
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    proven = client.post(track, {"action": "pin", "pin": submission.pin})
    assert "public" not in proven.get("Cache-Control", "")
    exchange = client.get(track)
    assert submission.case.description in exchange.content.decode()  # proven: the exchange
    assert "no-store" in exchange["Cache-Control"]
    assert "public" not in exchange["Cache-Control"]
    assert kept() == 0


def test_a_post_is_neither_answered_from_nor_stored_in_the_cache(client, page_cache):
    client.get("/en/")
    with CaptureQueriesContext(connection) as queries:
        posted = client.post("/en/", {"q": "x"})
    assert posted.status_code == 200
    assert not any(TABLE in query["sql"] for query in queries.captured_queries)
    assert "public" not in posted.get("Cache-Control", "")
    assert kept() == 1  # the GET's only


def test_a_signed_in_editors_page_is_not_kept_for_visitors_nor_theirs_for_the_editor(
    client, page_cache
):
    editor = client.__class__()
    editor.force_login(user("editor"))
    # The editor first: nothing kept, and not public.
    mine, sql = get_counting(editor, "/en/")
    assert mine.status_code == 200
    assert "private" in mine["Cache-Control"] and "public" not in mine["Cache-Control"]
    assert kept() == 0
    # A visitor's page is kept, and the editor is still not served from it.
    visitor = client.get("/en/")
    assert kept() == 1
    _again, sql = get_counting(editor, "/en/")
    assert len([s for s in sql if TABLE not in s]) > 2  # rendered afresh
    assert not any(TABLE in s for s in sql)
    assert_from_cache(client, "/en/", visitor)


def test_a_session_of_a_citizen_is_not_served_from_the_cache(client, page_cache):
    visitor = client.get("/en/")
    citizen = client.__class__()
    submission = submit_case()
    citizen.post(
        f"/en/feedback/track/{submission.case.reference}/",
        {"action": "pin", "pin": submission.pin},
    )
    assert "sessionid" in citizen.cookies
    _mine, sql = get_counting(citizen, "/en/")
    assert not any(TABLE in s for s in sql)
    assert_from_cache(client, "/en/", visitor)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.set_cookie("choice", "1"), "sets a cookie"),
        (lambda r: r.headers.__setitem__("Vary", "Cookie"), "varies on Cookie"),
        (lambda r: r.headers.__setitem__("Vary", "*"), "varies on everything"),
        (lambda r: setattr(r, "status_code", 201), "not a 200"),
        (lambda r: r.headers.__setitem__("Cache-Control", "no-store"), "no-store"),
    ],
)
def test_a_public_answer_that_turned_personal_is_not_shareable(page_cache, change, reason):
    request = RequestFactory().get("/en/")
    response = mark_public(HttpResponse("<p>page</p>"))
    assert shareable(request, response)
    change(response)
    assert not shareable(request, response), reason


def test_a_request_with_a_session_or_a_preview_is_not_shareable(page_cache):
    response = mark_public(HttpResponse("<p>page</p>"))
    with_session = RequestFactory().get("/en/", headers={"cookie": "sessionid=abc"})
    assert not shareable(with_session, response)
    preview = RequestFactory().get("/en/")
    preview.is_dummy = True
    assert not shareable(preview, response)
    posted = RequestFactory().post("/en/")
    assert not shareable(posted, response)


def test_a_page_with_a_view_restriction_is_not_public(client, page_cache):
    from wagtail.models import PageViewRestriction

    page = StandardPage.objects.get(locale__language_code="en", slug="about")
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
    )
    client.post(
        f"/_util/authenticate_with_password/{page.get_view_restrictions().get().pk}/{page.pk}/",
        {"password": "letmein", "return_url": "/en/about/"},
    )
    response = client.get("/en/about/")
    assert "public" not in response.get("Cache-Control", "")
    assert kept() == 0
    # The page itself never says public, whoever asks (a proxy in front sees no session).
    marked = mark_public_page(page, RequestFactory().get("/en/about/"), HttpResponse("x"))
    assert not marked.has_header("Cache-Control")
    open_page = StandardPage.objects.get(locale__language_code="sw", slug="kuhusu")
    marked = mark_public_page(open_page, RequestFactory().get("/sw/kuhusu/"), HttpResponse("x"))
    assert "public" in marked["Cache-Control"]


# --- Headers ------------------------------------------------------------------------------------


def test_public_pages_say_public_with_a_short_max_age_and_vary_only_on_encoding(
    client, page_cache, outcome
):
    for url in public_urls(outcome):
        for response in (client.get(url), client.get(url)):  # rendered, then from the cache
            cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
            assert cache_control == {"public", "max-age=60"}, url
            vary = {part.strip().lower() for part in response.get("Vary", "").split(",")}
            assert "cookie" not in vary and "accept-language" not in vary, url
            assert response["Content-Language"] == url[1:3]
            assert response.has_header("ETag")


def test_one_page_is_kept_per_encoding_chosen_not_per_header_spelling(client, page_cache):
    brotli = client.get("/en/about/", headers={"accept-encoding": "gzip, br"})
    assert brotli["Content-Encoding"] == "br" and kept() == 1
    again, sql = get_counting(client, "/en/about/", **{"accept-encoding": "br, gzip;q=0.8"})
    assert len(sql) == 1 and again.content == brotli.content
    plain = client.get("/en/about/", headers={"accept-encoding": "identity"})
    assert not plain.has_header("Content-Encoding") and kept() == 2


def test_an_answer_that_varies_on_more_than_the_encoding_is_not_kept(page_cache):
    from config.page_cache import UpdatePageCacheMiddleware

    def view(_request):
        response = mark_public(HttpResponse("Habari"))
        response["Vary"] = "Accept-Encoding, Accept-Language"
        return response

    request = RequestFactory().get("/en/about/")
    request._cache_update_cache = True  # as FetchPageCacheMiddleware says on a miss
    answer = UpdatePageCacheMiddleware(view)(request)
    assert answer.status_code == 200 and "public" in answer["Cache-Control"]
    assert kept() == 0
    request = RequestFactory().get("/en/about/")
    request._cache_update_cache = True
    UpdatePageCacheMiddleware(lambda _request: mark_public(HttpResponse("Habari")))(request)
    assert kept() == 1


def test_the_etag_answers_304_from_the_cache(client, page_cache):
    first = client.get("/en/", headers={"accept-encoding": "br"})
    assert "accept-encoding" in first["Vary"].lower()
    etag = first["ETag"]
    again, sql = get_counting(client, "/en/", **{"accept-encoding": "br", "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert all(TABLE in statement for statement in sql) and len(sql) == 1
    other = client.get("/en/", headers={"accept-encoding": "br", "if-none-match": '"stale"'})
    assert other.status_code == 200 and other["ETag"] == etag


def test_the_content_security_policy_is_added_to_every_answer_from_the_cache(client, page_cache):
    first = client.get("/en/")
    again = client.get("/en/")
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "script-src 'self'" in again["Content-Security-Policy"]
    assert again["X-Frame-Options"] == "DENY"


# --- The blank feedback form: kept, with each visitor's own CSRF token put in --------------

FORM = "/en/feedback/new/"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token_in(response) -> str:
    return CSRF_FIELD.search(response.content.decode()).group(1)


def test_a_blank_form_is_kept_and_each_visitor_gets_a_token_and_cookie_of_their_own(page_cache):
    from django.test import Client

    from tests.feedback.test_web_journey import form_data

    first_visitor, second_visitor = (
        Client(enforce_csrf_checks=True),
        Client(enforce_csrf_checks=True),
    )
    first, sql = get_counting(first_visitor, FORM)
    assert any(TABLE not in statement for statement in sql)  # rendered
    assert kept() == 1
    second, sql = get_counting(second_visitor, FORM)
    assert len(sql) == 1 and TABLE in sql[0], sql  # from the cache: one look-up
    tokens = [csrf_token_in(first), csrf_token_in(second)]
    assert tokens[0] != tokens[1]
    for response, token in zip((first, second), tokens, strict=True):
        page = response.content.decode()
        assert CSRF_PLACEHOLDER not in page
        assert page.replace(token, "") == first.content.decode().replace(tokens[0], "")
        assert response.cookies["csrftoken"].value  # the cookie the token belongs to
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "public" not in cache_control
        assert "cookie" in response["Vary"].lower()
    # The token of the kept page works with the cookie the kept answer set: the form goes on.
    sent = second_visitor.post(FORM, {**form_data(), "csrfmiddlewaretoken": tokens[1]})
    assert sent.status_code == 302 and sent["Location"].endswith("/new/review/")
    refused = Client(enforce_csrf_checks=True).post(
        FORM, {**form_data(), "csrfmiddlewaretoken": tokens[1]}
    )
    assert refused.status_code == 403  # a token without its cookie: nothing shared works


def test_a_service_link_is_kept_under_its_address_and_a_made_up_one_is_not(client, page_cache):
    water = water_service()
    chosen = client.get(f"{FORM}?service={water.pk}")
    assert kept() == 1
    again, sql = get_counting(client.__class__(), f"{FORM}?service={water.pk}")
    assert all(TABLE in statement for statement in sql)
    assert f'<option value="{water.pk}" selected>' in again.content.decode()
    assert csrf_token_in(again) != csrf_token_in(chosen)
    for made_up in ("abc", "0", f"{water.pk}&x=1", f"0{water.pk}"):
        answer = client.__class__().get(f"{FORM}?service={made_up}")
        assert answer.status_code == 200, made_up
    assert kept() == 1


def test_a_draft_a_waiting_message_or_swahili_is_never_answered_with_the_kept_form(
    client, page_cache
):
    client.__class__().get(FORM)  # kept by another visitor
    assert kept() == 1
    # This visitor's draft (an error keeps what was typed, in the session): theirs, not kept.
    client.post(FORM, {"kind": "complaint", "subject": "Mita yangu haisomi"})
    mine, sql = get_counting(client, FORM)
    assert "Mita yangu haisomi" in mine.content.decode()
    assert any(TABLE not in statement for statement in sql) and kept() == 1
    # A message waiting in Django's messages cookie is shown, so the kept page is not used.
    waiting = client.__class__()
    waiting.cookies["messages"] = "waiting"
    _answer, sql = get_counting(waiting, FORM)
    assert any(TABLE not in statement for statement in sql)
    # Swahili is kept apart.
    swahili = client.__class__().get("/sw/feedback/new/")
    assert '<html lang="sw">' in swahili.content.decode() and kept() == 2


def test_a_new_service_or_a_new_intro_shows_on_the_kept_form_at_once(
    client, page_cache, django_capture_on_commit_callbacks
):
    from pages.models import FeedbackPage

    client.get(FORM)
    assert kept() == 1
    with django_capture_on_commit_callbacks(execute=True):
        _slower_service()  # a service saved: the lists may have changed
    assert kept() == 0
    client.get(FORM)
    feedback = FeedbackPage.objects.get(locale__language_code="en")
    feedback.form_intro = "<p>Answered within five working days.</p>"
    with django_capture_on_commit_callbacks(execute=True):
        feedback.save_revision().publish()
    assert "Answered within five working days." in client.__class__().get(FORM).content.decode()


def test_the_kept_form_is_not_kept_while_the_page_cache_is_off(client, page_cache, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        answer = client.__class__().get(FORM)
        assert CSRF_PLACEHOLDER not in answer.content.decode()
        assert csrf_token_in(answer)
    assert kept() == 0


# --- On PostgreSQL, committed for real ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_committed_publication_clears_the_shared_cache(postgres, page_cache):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")
    from django.test import Client

    visitor, other_worker = Client(), Client()
    first = visitor.get("/en/")
    assert_from_cache(other_worker, "/en/", first)
    home = HomePage.objects.get(locale__language_code="en")
    home.intro = "Committed for everyone."
    home.save_revision().publish()  # autocommit: on_commit runs at once
    assert kept() == 0
    assert "Committed for everyone." in other_worker.get("/en/").content.decode()
    assert re.search(r"public, max-age=\d+", other_worker.get("/en/")["Cache-Control"])
