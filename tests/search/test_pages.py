"""The public pages of outcomes: the search, one outcome, the downloads, their field reference.

Runs on the engine settings choose (the database engine without ELASTICSEARCH_URL), with
outcomes published by tests/search/factories.py and indexed through the engine protocol.
"""

import csv
import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from feedback.models import Institution, Kind, PublicOutcome
from search.documents import OPEN_DATA_FIELDS, public_documents
from search.engines import get_engine
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome

pytestmark = pytest.mark.django_db

SEARCH, SEARCH_SW = "/en/search/", "/sw/search/"
LIMIT = 100 * 1024
SWAHILI_SUMMARY = "Mita ya maji ilisomwa vibaya na bili ya mwezi ikazidi mara tatu."
SWAHILI_RESPONSE = "Tulisoma mita tena na kurekebisha bili; tunaomba radhi kwa usumbufu."


@pytest.fixture(autouse=True)
def database_engine(settings):
    """The views on the database engine, even where ELASTICSEARCH_URL is set (CI): that both
    engines answer alike is tests/search/test_search_behaviour.py's part, and the browser
    test (test_browser.py) runs these pages on each."""
    settings.ELASTICSEARCH_URL = ""


def index_all() -> None:
    get_engine().index(list(public_documents()))


@pytest.fixture
def outcomes():
    """Four outcomes across kinds, languages, institutions and verdicts, indexed."""
    health = Institution.objects.get(short_code="121")
    made = {
        "water_en": publish_outcome(
            summary="The water meter was read wrongly and the bill tripled.",
            response="We read the meter again and corrected the bill.",
            service=water_service(),
            verdict="closed",
            days=2,
        ),
        "water_sw": publish_outcome(
            summary=SWAHILI_SUMMARY,
            response=SWAHILI_RESPONSE,
            language="sw",
            service=water_service(),
            verdict="rated:2",
            days=20,
        ),
        "health": publish_outcome(
            summary="My insurance card was not renewed after payment.",
            response="The card was renewed and sent to the branch.",
            institution=health,
            kind=Kind.INQUIRY,
        ),
        "compliment": publish_outcome(
            summary="Staff at the water office were quick and kind.",
            response="Thank you: we shared your words with the team.",
            service=water_service(),
            kind=Kind.COMPLIMENT,
        ),
    }
    index_all()
    return made


def _html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def _hrefs(html: str, text_pattern: str) -> list[str]:
    """hrefs of the links whose text matches."""
    links = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html, flags=re.S)
    return [unescape(href) for href, text in links if re.search(text_pattern, text, flags=re.S)]


def _query(href: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


def _references(html: str) -> list[str]:
    return re.findall(r'href="/(?:en|sw)/outcomes/(\d{10})/"', html)


def test_the_search_page_lists_every_public_outcome_with_its_count(client, outcomes):
    html = _html(client, SEARCH)
    assert "4 outcomes" in html
    assert sorted(set(_references(html))) == sorted(o.case.reference for o in outcomes.values())


def test_a_swahili_word_is_found_and_highlighted_on_the_swahili_page(client, outcomes):
    html = _html(client, SEARCH_SW + "?q=mita")
    assert _references(html) == [outcomes["water_sw"].case.reference]
    assert "<mark>" in html and re.search(r"<mark>[Mm]ita</mark>", html)
    assert 'lang="sw">' in html  # the summary is marked as Swahili text


def test_the_page_keeps_the_readers_language_and_the_switcher_keeps_the_search(client, outcomes):
    html = _html(client, SEARCH_SW + "?q=mita&kind=complaint")
    assert '<html lang="sw">' in html
    switch = _hrefs(html, "English")
    assert switch and switch[0].startswith("/en/search/?")
    assert _query(switch[0]) == {"q": "mita", "kind": "complaint"}


def test_choosing_a_facet_filters_and_choosing_it_again_removes_it(client, outcomes):
    html = _html(client, SEARCH + "?q=water")
    kind_link = _hrefs(html, r"Compliment\s*<span class=\"count\">1</span>")
    assert kind_link, "the kind facet offers compliments with their count"
    assert _query(kind_link[0]) == {"q": "water", "kind": "compliment"}
    filtered = _html(client, SEARCH + kind_link[0])
    assert _references(filtered) == [outcomes["compliment"].case.reference]
    chosen = re.search(r'<a href="([^"]*)" aria-current="true" class="chosen">', filtered)
    assert _query(unescape(chosen.group(1))) == {"q": "water"}


def test_each_active_filter_is_removed_on_its_own(client, outcomes):
    service = water_service()
    html = _html(client, SEARCH + f"?q=bill&service={service.pk}&deadline_met=true&sort=newest")
    chips = re.findall(r'<a href="([^"]*)" class="chip">([^<]*?) <span', html, flags=re.S)
    by_title = {label.split(":")[0]: unescape(href) for href, label in chips}
    assert _query(by_title["Words"]) == {
        "service": str(service.pk),
        "deadline_met": "true",
        "sort": "newest",
    }
    assert _query(by_title["Service"]) == {"q": "bill", "deadline_met": "true", "sort": "newest"}
    assert _query(by_title["Charter deadline"]) == {
        "q": "bill",
        "service": str(service.pk),
        "sort": "newest",
    }
    # The search box keeps the filters, so new words search within them.
    assert f'<input type="hidden" name="service" value="{service.pk}">' in html
    assert '<input type="hidden" name="deadline_met" value="true">' in html


def test_facet_counts_are_shown_with_labels_in_the_readers_language(client, outcomes):
    html = _html(client, SEARCH_SW)
    assert "Mamlaka ya Maji Dar es Salaam" in html  # an ancestor of the water unit, in Swahili
    assert re.search(r"Bili za maji na mita\s*<span class=\"count\">3</span>", html)


def test_paging_carries_every_filter_and_marks_the_current_page(client, outcomes):
    for number in range(19):  # with the English water complaint: 20
        publish_outcome(
            summary=f"Meter number {number} was never read this year.",
            response="A reader was sent.",
            service=water_service(),
        )
    index_all()
    first = _html(client, SEARCH + "?q=meter&kind=complaint")
    assert "20 outcomes" in first
    assert len(_references(first)) == 20
    nothing_more = _hrefs(first, "Next")
    assert nothing_more == []
    publish_outcome(summary="Meter missing.", response="Fitted.", service=water_service())
    index_all()
    first = _html(client, SEARCH + "?q=meter&kind=complaint")
    (next_href,) = _hrefs(first, "Next")
    assert _query(next_href) == {"q": "meter", "kind": "complaint", "page": "2"}
    second = _html(client, SEARCH + next_href)
    assert len(_references(second)) == 1
    assert not set(_references(second)) & set(_references(first))
    assert re.search(r'aria-current="page"><span class="visually-hidden">Page </span>2<', second)
    (previous,) = _hrefs(second, "Previous")
    assert _query(previous) == {"q": "meter", "kind": "complaint"}
    past = client.get(SEARCH + "?q=meter&kind=complaint&page=3")
    assert past.status_code == 404
    assert "Go to its last page" in past.content.decode()


def test_bad_parameters_show_the_forms_message_and_a_400(client):
    for query in ("?page=abc", "?institution=x", "?kind=rumour", "?year=26", "?page=0"):
        response = client.get(SEARCH + query)
        assert response.status_code == 400, query
        html = response.content.decode()
        assert 'class="error-summary"' in html and "<title>Error: " in html
    assert "The page must be a number." in client.get(SEARCH + "?page=abc").content.decode()
    assert client.get("/en/search/outcomes.csv?sort=sideways").status_code == 400


def test_an_empty_search_offers_ways_to_widen_it(client, outcomes):
    html = _html(client, SEARCH + f"?q=zzzqqq&kind=suggestion&service={water_service().pk}")
    assert "0 outcomes" in html
    assert "No published outcome matches this search." in html
    widen = _hrefs(html, "Kind: Suggestion")
    assert widen and _query(widen[-1]) == {"q": "zzzqqq", "service": str(water_service().pk)}
    assert _hrefs(html, "see every published outcome") == ["?"]


def test_an_outcome_withdrawn_while_the_index_lags_is_not_shown(client, outcomes):
    withdrawn = outcomes["health"]
    PublicOutcome.objects.filter(pk=withdrawn.pk).update(state=PublicOutcome.State.WITHDRAWN)
    # No re-indexing: the engine still holds it, the page asks the database.
    assert withdrawn.case.reference in {h.reference for h in _engine_hits("insurance")}
    html = _html(client, SEARCH + "?q=insurance")
    assert withdrawn.case.reference not in html
    csv_text = b"".join(client.get("/en/search/outcomes.csv").streaming_content).decode()
    assert withdrawn.case.reference not in csv_text


def _engine_hits(text):
    from search.engines.base import SearchParams

    return get_engine().search(SearchParams(text=text)).hits


def test_markup_in_a_summary_is_shown_as_text_on_every_page(client):
    evil = publish_outcome(
        summary='Water <script>alert("x")</script> cut <b>off</b> & not restored.',
        response="Restored <img src=x onerror=alert(1)>.",
        service=water_service(),
    )
    index_all()
    for url in (SEARCH, SEARCH + "?q=water", f"/en/outcomes/{evil.case.reference}/"):
        html = _html(client, url)
        assert "<script>alert" not in html and "<b>off" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html
    assert "<mark>" in _html(client, SEARCH + "?q=water")


def test_the_outcome_page_shows_every_fact_of_the_case(client, outcomes):
    outcome = outcomes["water_sw"]
    case = outcome.case
    html = _html(client, f"/en/outcomes/{case.reference}/")
    assert case.reference in html
    for fact in (
        "Complaint",
        "DAWASA Customer Care",
        "Dar es Salaam Water Authority",  # an ancestor
        "Government of Tanzania",
        "Water bills and meters",
        "Resolved within 5 working days",  # the charter's term for complaints
        "Deadline missed",
        "Disputed",
        "rated 2 of 5",
        "Referred to another institution",
        "Reopened by the citizen",
    ):
        assert fact in html, fact
    assert f'<div lang="sw" class="public-text"><p>{SWAHILI_SUMMARY}</p></div>' in html
    institution = case.institution
    assert f'href="/en/search/?institution={institution.pk}"' in html


def test_the_outcome_page_lists_similar_outcomes(client, outcomes):
    html = _html(client, f"/en/outcomes/{outcomes['water_en'].case.reference}/")
    assert "Similar outcomes" in html
    similar = set(_references(html.split("Similar outcomes", 1)[1]))
    assert similar and outcomes["water_en"].case.reference not in similar


@pytest.mark.parametrize("why", ["draft", "withdrawn", "confidential", "no consent", "unknown"])
def test_an_outcome_that_is_not_public_is_the_same_404_as_an_unknown_one(client, why):
    outcome = publish_outcome(summary="Road not repaired.", response="Repaired.")
    case = outcome.case
    reference = case.reference
    if why == "draft":
        PublicOutcome.objects.filter(pk=outcome.pk).update(state=PublicOutcome.State.DRAFT)
    elif why == "withdrawn":
        PublicOutcome.objects.filter(pk=outcome.pk).update(state=PublicOutcome.State.WITHDRAWN)
    elif why == "confidential":
        type(case).objects.filter(pk=case.pk).update(is_confidential=True)
    elif why == "no consent":
        type(case).objects.filter(pk=case.pk).update(consent_to_publish=False)
    else:
        reference = "1234567890"
    response = client.get(f"/en/outcomes/{reference}/")
    unknown = client.get("/en/outcomes/0000000000/")
    assert response.status_code == unknown.status_code == 404
    # The same page, but for the address itself (the language switcher links to it).
    assert response.content.replace(reference.encode(), b"REF") == unknown.content.replace(
        b"0000000000", b"REF"
    )


def test_the_csv_download_streams_the_search_with_the_documented_columns(client, outcomes):
    response = client.get(SEARCH.rstrip("/") + "/outcomes.csv?kind=complaint")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mrejesho-outcomes.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == [name for name, _type, _meaning in OPEN_DATA_FIELDS]
    assert {row["reference"] for row in rows} == {
        outcomes["water_en"].case.reference,
        outcomes["water_sw"].case.reference,
    }
    swahili = next(row for row in rows if row["language"] == "sw")
    assert swahili["summary"] == SWAHILI_SUMMARY
    assert swahili["deadline_met"] == "false" and swahili["satisfaction"] == "disputed"


def test_the_csv_cannot_smuggle_a_formula_into_a_spreadsheet(client):
    publish_outcome(
        summary='=HYPERLINK("http://evil.example","click")',
        response="+254 700 000 000 called @once -1",
        service=water_service(),
    )
    index_all()
    text = b"".join(client.get("/en/search/outcomes.csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["summary"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["response"] == "'+254 700 000 000 called @once -1"


def test_the_json_download_is_the_same_search_as_typed_values(client, outcomes):
    response = client.get(f"/sw/search/outcomes.json?q=mita&service={water_service().pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="mrejesho-outcomes.json"'
    (row,) = json.loads(b"".join(response.streaming_content))
    assert list(row) == [name for name, _type, _meaning in OPEN_DATA_FIELDS]
    assert row["reference"] == outcomes["water_sw"].case.reference
    assert row["deadline_met"] is False and isinstance(row["days_taken"], int)


def test_the_search_page_links_its_downloads_and_the_field_reference(client, outcomes):
    html = _html(client, SEARCH + "?q=water&kind=complaint")
    (csv_link,) = _hrefs(html, "^CSV$")
    assert csv_link.startswith("/en/search/outcomes.csv?")
    assert _query(csv_link) == {"q": "water", "kind": "complaint"}
    (fields,) = _hrefs(html, "what each column means")
    page = _html(client, fields)
    for name, kind, _meaning in OPEN_DATA_FIELDS:
        assert f"<code>{name}</code></th><td>{kind}</td>" in page


def test_guidance_pages_found_by_wagtail_show_beside_the_outcomes(client, outcomes):
    from pages.models import ServicePage

    ServicePage.objects.filter(locale__language_code="en").first().save_revision().publish()
    html = _html(client, SEARCH + "?q=water")
    assert "Guidance pages" in html
    assert 'href="/en/services/water-bills-and-meters-1111/"' in html
    assert "Guidance pages" not in _html(client, SEARCH)  # no words, no guidance


@pytest.mark.parametrize("language", ["en", "sw"])
def test_citizens_reach_the_search_from_the_header_the_home_and_service_pages(client, language):
    from pages.models import HomePage, ServicePage

    home = HomePage.objects.get(locale__language_code=language)
    html = _html(client, home.url)
    assert f'href="/{language}/search/"' in html
    assert f'action="/{language}/search/"' in html
    service_page = ServicePage.objects.filter(locale__language_code=language).first()
    html = _html(client, service_page.url)
    service = service_page.service
    assert f'href="/{language}/search/?service={service.pk}"' in html
    assert f'href="/{language}/search/?institution={service.institution_id}"' in html


@pytest.mark.parametrize("language", ["en", "sw"])
def test_every_public_page_stays_under_100_kb(client, outcomes, language):
    for number in range(20):
        publish_outcome(
            summary=f"Bill {number}: " + "the water bill was far too high again " * 12,
            response="Corrected. " * 30,
            service=water_service(),
        )
    index_all()
    reference = outcomes["water_en"].case.reference
    for url in (
        f"/{language}/search/",
        f"/{language}/search/?q=water",
        f"/{language}/search/?q=nothingatall",
        f"/{language}/search/?page=x",
        f"/{language}/search/fields/",
        f"/{language}/outcomes/{reference}/",
    ):
        size = len(client.get(url).content)
        assert size < LIMIT, (url, size)


@pytest.mark.parametrize(
    ("fragment", "html"),
    [
        ("the <mark>meter</mark> was read", "the <mark>meter</mark> was read"),
        ("&lt;b&gt; stays &amp; escaped", "&lt;b&gt; stays &amp; escaped"),
        # An engine that forgot to escape still cannot put markup on the page.
        (
            "<script>x</script> <mark>bill</mark>",
            "&lt;script&gt;x&lt;/script&gt; <mark>bill</mark>",
        ),
        ("<mark><img src=x></mark>", "<mark>&lt;img src=x&gt;</mark>"),
        ('a "quoted" <mark>word', "a &quot;quoted&quot; <mark>word</mark>"),
    ],
)
def test_only_the_mark_tags_of_a_highlight_are_live(fragment, html):
    from search.display import highlighted

    assert highlighted(fragment) == html


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+255 712", "'+255 712"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("Bill of 58,400 = fair", "Bill of 58,400 = fair"),
        (True, "true"),
        (None, ""),
        (7, "7"),
    ],
)
def test_a_csv_cell_never_starts_a_formula(value, cell):
    from search.opendata import safe_cell

    assert safe_cell(value) == cell


def test_an_engine_that_is_down_gives_a_503_page_and_outcome_pages_without_similar(
    client, outcomes, monkeypatch
):
    from search import views
    from search.engines.elasticsearch import SearchEngineUnavailable

    class Down:
        def search(self, params):
            raise SearchEngineUnavailable("connection refused")

        def similar(self, reference, *, limit=5):
            raise SearchEngineUnavailable("connection refused")

    monkeypatch.setattr(views, "get_engine", Down)
    html = _html(client, SEARCH + "?q=water", status=503)
    assert "Search is not available for a moment." in html
    page = _html(client, f"/en/outcomes/{outcomes['water_en'].case.reference}/")
    assert "The water meter was read wrongly" in page and "Similar outcomes" not in page
