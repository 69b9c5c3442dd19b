"""The performance pages and the ranking in a real browser, with no script of their own:
axe-core finds no violation (and nothing unreviewed among its "needs review" items) in English
and Swahili, at a phone's width and a desktop's; screenshots go to test-artifacts/."""

import pytest

from feedback.reports import ranking
from tests.feedback.reports.conftest import seed_cases
from tests.feedback.reports.test_public_pages import swahili  # noqa: F401 (fixture)
from tests.feedback.test_accessibility import REVIEWED_INCOMPLETE, _axe, _axe_report
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    browser,
    orm_beside_playwright,
    seeded,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"phone": (360, 640), "desktop": (1280, 900)}


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_performance_pages_pass_axe_on_a_phone_and_a_desktop_without_javascript(
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
    swahili,  # noqa: F811
    monkeypatch,
    language,
):
    _axe()
    seed_cases()
    monkeypatch.setattr(ranking, "MIN_CASES", 1)  # the seeded month is small: rank it anyway
    base = f"{seeded.url}/{language}/performance"
    urls = {
        "performance-index": f"{base}/",
        "performance-agency": f"{base}/111/",
        "performance-year": f"{base}/111/?year=2026",
        "performance-unit": f"{base}/1111/",
        "performance-error": f"{base}/111/?year=x",
        "ranking": f"{base}/ranking/?month=2026-11",
        "ranking-empty": f"{base}/ranking/?month=2025-01",
        "ranking-error": f"{base}/ranking/?month=2026-13",
    }
    for width, (w, h) in WIDTHS.items():
        # Scripts on: axe runs as one. The pages carry none of their own (checked below).
        context = browser.new_context(locale=language, viewport={"width": w, "height": h})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        for name, url in urls.items():
            page.goto(url)
            assert page.locator("h1").count() == 1, name
            assert page.locator("script").count() == 0, name
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{language}-{width}.png"), full_page=True)
            report = _axe_report(page)
            assert report["violations"] == [], (name, width, report["violations"])
            incomplete = {item["id"] for item in report["incomplete"]}
            assert incomplete <= REVIEWED_INCOMPLETE, (name, width, report["incomplete"])
        context.close()
