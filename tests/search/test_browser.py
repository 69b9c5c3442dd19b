"""The public outcome pages in a real browser, as a new reader meets them: a search in Swahili
from the home page finds a Swahili outcome with the word highlighted, on the database engine
always and on Elasticsearch where it is configured (CI); every page passes axe-core at a
phone's width and a desktop's. Screenshots go to test-artifacts/.
"""

import pytest

from search.documents import public_documents
from search.engines import get_engine
from tests.feedback.factories import water_service
from tests.feedback.test_accessibility import REVIEWED_INCOMPLETE, _axe, _axe_report
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    browser,
    orm_beside_playwright,
    seeded,
)
from tests.search.conftest import require_elasticsearch
from tests.search.factories import publish_outcome

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORD = "mita"  # "meter": a word a Swahili reader would type about a water bill
SWAHILI = {
    "summary": "Mita ya maji ilisomwa vibaya na bili ya mwezi Oktoba ikazidi mara tatu.",
    "response": "Tulisoma mita tena na kurekebisha bili; tunaomba radhi kwa usumbufu.",
}
ENGLISH = {
    "summary": "The water meter was read wrongly and the October bill tripled.",
    "response": "We read the meter again and corrected the bill.",
}
WIDTHS = {"phone": (360, 640), "desktop": (1280, 900)}


@pytest.fixture(params=["database", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def live_engine(request, settings, es_prefix):
    """The engine get_engine() gives every page of the live server: the database's own
    search, or Elasticsearch when it answers (skipped without it, failed with CI=true)."""
    if request.param == "elasticsearch":
        require_elasticsearch()
        settings.ELASTICSEARCH_INDEX_PREFIX = es_prefix
    else:
        settings.ELASTICSEARCH_URL = ""
    return request.param


def _publish_and_index() -> dict:
    made = {
        "sw": publish_outcome(language="sw", service=water_service(), verdict="closed", **SWAHILI),
        "en": publish_outcome(language="en", service=water_service(), days=20, **ENGLISH),
    }
    for number in range(3):
        publish_outcome(
            summary=f"Bill {number}: the water bill came twice this month.",
            response="The second bill was cancelled.",
            service=water_service(),
            verdict=f"rated:{number + 3}",
        )
    get_engine().rebuild(public_documents())
    return made


def _page(chromium, language: str, width: str):
    w, h = WIDTHS[width]
    context = chromium.new_context(locale=language, viewport={"width": w, "height": h})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_a_new_reader_searches_in_swahili_and_sees_the_word_highlighted(
    live_engine,
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
):
    made = _publish_and_index()
    page = _page(browser, "sw", "phone")
    page.goto(f"{seeded.url}/sw/")
    page.fill("#home-q", WORD)
    page.click(".home-search button[type=submit]")
    page.wait_for_url("**/sw/search/?q=mita")
    marks = page.locator(".hit mark")
    assert marks.count() >= 1
    assert {text.lower() for text in marks.all_inner_texts()} == {WORD}
    hits = page.locator(".hit h3 a")
    assert hits.count() == 1
    _screenshot(page, f"search-sw-found-{live_engine}-360.png")
    hits.first.click()
    page.wait_for_url(f"**/sw/outcomes/{made['sw'].case.reference}/")
    assert page.locator('[lang="sw"].public-text').first.inner_text().startswith("Mita ya maji")


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_public_outcome_pages_pass_axe_on_a_phone_and_a_desktop(
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
    settings,
    language,
):
    _axe()
    settings.ELASTICSEARCH_URL = ""
    made = _publish_and_index()
    base = f"{seeded.url}/{language}"
    urls = {
        "search": f"{base}/search/",
        "search-words": f"{base}/search/?q={WORD if language == 'sw' else 'water'}&kind=complaint",
        "search-empty": f"{base}/search/?q=zzzqqq&kind=suggestion",
        "search-error": f"{base}/search/?page=x",
        "outcome": f"{base}/outcomes/{made[language].case.reference}/",
        "fields": f"{base}/search/fields/",
    }
    for width in WIDTHS:
        page = _page(browser, language, width)
        for name, url in urls.items():
            page.goto(url)
            _screenshot(page, f"{name}-{language}-{width}.png")
            report = _axe_report(page)
            assert report["violations"] == [], (name, width, report["violations"])
            incomplete = {item["id"] for item in report["incomplete"]}
            assert incomplete <= REVIEWED_INCOMPLETE, (name, width, report["incomplete"])
        page.context.close()
