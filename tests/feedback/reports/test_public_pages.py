"""The public performance pages and the ranking over HTTP: the figures they print are
compute_figures' (and compute_summaries') for the same scope, in English and Swahili; unknown
codes are 404, bad years and months a 400 with a message; each page is under 100 KB."""

import re
from datetime import date
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from feedback.models import Institution
from feedback.reports import ranking
from feedback.reports.figures import HEADLINE, compute_figures
from feedback.reports.views import KEY_FIGURES, KINDS, shown
from tests.feedback.factories import InstitutionFactory
from tests.feedback.reports.conftest import NOW

pytestmark = pytest.mark.django_db
LIMIT = 100 * 1024
YEAR_FROM, TODAY = date(2026, 1, 1), date(2026, 12, 15)  # NOW's year so far


@pytest.fixture
def at_now(monkeypatch):
    """The pages count open and overdue cases at NOW, as the test's compute_figures does."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def cells(html: str, attribute: str) -> dict[str, str]:
    """{key: text} of the elements carrying attribute="key"."""
    pattern = rf'{attribute}="([^"]+)">(.*?)</'
    return {key: unescape(text).strip() for key, text in re.findall(pattern, html)}


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    assert len(response.content) < LIMIT, (url, len(response.content))
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("query", ["", "?year=2026"])
def test_the_page_prints_compute_figures_for_the_institution_with_its_subunits(
    client, seeded, dawasa, at_now, language, query
):
    html = page(client, f"/{language}/performance/111/{query}")
    expected = compute_figures(dawasa, YEAR_FROM, TODAY, subunits=True, now=NOW)
    assert expected.received == 13  # the eleven of October and November, X1 and X2
    with translation.override(language):
        want = {key: shown(getattr(expected, key), KINDS.get(key, "count")) for key, *_ in HEADLINE}
    assert cells(html, "data-headline") == want
    assert cells(html, "data-figure") == {key: want[key] for key, *_ in KEY_FIGURES}
    trend = re.findall(
        r'<th scope="row">[^<]*</th><td data-trend="received">(\d+)</td>'
        r'<td data-trend="resolved_within_charter">(\d+)</td>',
        html,
    )
    assert [(int(r), int(w)) for r, w in trend] == [
        (m.received, m.resolved_within_charter) for m in expected.trend
    ]
    assert len(trend) == 12
    assert cells(html, "data-subunit") == {"111": "2", "1111": "11"}
    assert f"/{language}/search/?institution={dawasa.pk}" in html
    assert f'href="/{language}/performance/1111/"' in html


def test_a_year_before_cases_counts_nothing_and_the_default_names_its_period(
    client, seeded, at_now
):
    html = page(client, "/en/performance/111/?year=2025")
    assert cells(html, "data-headline")["received"] == "0"
    assert "1 January 2025 to 31 December 2025" in html
    assert "1 January 2026 to 15 December 2026" in page(client, "/en/performance/111/")


def test_a_unit_alone_counts_its_own_cases_and_links_up_the_tree(client, seeded, at_now):
    html = page(client, "/en/performance/1111/")
    assert cells(html, "data-headline")["received"] == "11"
    assert 'href="/en/performance/111/"' in html and 'href="/en/performance/11/"' in html


@pytest.mark.parametrize("url", ["/en/performance/999999/", "/sw/performance/abc/"])
def test_an_unknown_institution_is_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=twenty", "Give a year as four digits, such as 2026."),
        ("year=1999", "Figures start in 2000."),
        ("year=2027", "There are no figures for a year that has not begun."),
    ],
)
def test_a_bad_year_is_400_with_a_message(client, at_now, query, message):
    html = page(client, f"/en/performance/111/?{query}", status=400)
    assert message in unescape(html)
    assert 'class="error-summary"' in html


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "Give a month as year and month, such as 2026-10."),
        ("October", "Give a month as year and month, such as 2026-10."),
        ("2027-01", "There are no figures for a month that has not begun."),
        ("1999-12", "Figures start in 2000."),
    ],
)
def test_a_bad_month_is_400_with_a_message(client, at_now, month, message):
    html = page(client, f"/en/performance/ranking/?month={month}", status=400)
    assert message in unescape(html)


def test_the_ranking_orders_agencies_and_districts_by_the_published_index(
    client, seeded, at_now, monkeypatch
):
    monkeypatch.setattr(ranking, "MIN_CASES", 1)  # the seeded month has 8 cases in all
    html = page(client, "/en/performance/ranking/?month=2026-11")
    rows = re.findall(r'<tr data-code="(\d+)">\s*<td data-rank>(\d+)', html)
    # November: DAWASA's 8 cases are ranked; NHIF and Muhimbili (agencies) and Ilala
    # (district) received none; units and ministries are not ranked at all.
    assert rows == [("111", "1")]
    unranked = re.findall(r'<li><a href="/en/performance/(\d+)/">', html)
    assert unranked == ["1811", "122", "121"]  # by name: Ilala, Muhimbili, National Health
    summary_score = re.search(r"<td data-score><strong>([\d.]+)</strong>", html).group(1)
    from feedback.reports.figures import compute_summaries

    dawasa = Institution.objects.get(short_code="111")
    figures = compute_summaries([dawasa], date(2026, 11, 1), date(2026, 11, 30), now=NOW)["111"]
    assert summary_score == str(ranking.score(figures)[1])
    assert cells(html, "data-weight") == {"timeliness": "40", "satisfaction": "30"} | {
        "appeals_upheld": "15",
        "reopened": "15",
    }
    assert "Grievance Redressal Assessment and Index" in html


def test_the_ranking_defaults_to_the_last_whole_month_and_links_to_its_neighbours(client, at_now):
    html = page(client, "/en/performance/ranking/")  # NOW is 15 December 2026
    assert "<h1>Ranking of institutions: November 2026</h1>" in html
    assert '?month=2026-10" rel="prev"' in html and '?month=2026-12" rel="next"' in html
    december = page(client, "/en/performance/ranking/?month=2026-12")
    assert "This month is not over: cases up to 15 December." in december
    assert 'rel="next"' not in december


def test_the_ranking_runs_the_same_queries_whatever_the_number_of_institutions(client, at_now):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, "/en/performance/ranking/?month=2026-11")
        return len(captured)

    before = queries()
    ministry = Institution.objects.get(short_code="12")
    for n in range(20):
        InstitutionFactory(short_code=str(810_000 + n), level="agency", parent=ministry)
    assert queries() == before


def test_the_index_lists_every_institution_as_a_tree(client):
    html = page(client, "/sw/performance/")
    for code in ["1", "11", "111", "1111", "1811"]:
        assert f'href="/sw/performance/{code}/"' in html
    assert html.count('<ul class="institution-tree">') > 1  # nested


def test_the_header_links_here_and_an_outcome_id_redirects_to_its_page(client):
    assert 'href="/en/performance/"' in page(client, "/en/performance/ranking/")
    dawasa = Institution.objects.get(short_code="111")
    response = client.get(f"/sw/performance/institution/{dawasa.pk}/")
    assert response.status_code == 301
    assert response["Location"] == "/sw/performance/111/"
    assert client.get("/en/performance/institution/987654321/").status_code == 404
