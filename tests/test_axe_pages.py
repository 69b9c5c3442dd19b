"""axe-core finds nothing on the pages citizens and staff meet, in English and Swahili.

The public pages Lighthouse scores in bench/frontend.py (home, a service page, the feedback
form, the tracking form, the outcome search with results, an outcome page), the staff case
page with its SMS panel, and the two-step sign-in (enrol, backup codes, verify). One browser
and one live server; every finding of every page is collected, then one assertion lists them
as "page: rule at target". "Needs review" items fail too: each was read, and the only one
seen (colour contrast of an action button on the case page, 2026-11-26) was a real fault,
the button running off a 360-pixel screen. Screenshots go to test-artifacts/axe-pages/.
Debian's Chromium and axe-core from node_modules (tests/feedback/test_accessibility.py
finds it): skipped on a laptop without them, failed in CI.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from wagtail.users.models import UserProfile

from feedback import sms
from feedback.models import Status
from pages.models import ServicePage
from tests.feedback.factories import case_in, user, water_service
from tests.feedback.test_accessibility import _axe, _axe_report
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    _require_chromium,
    browser,
    orm_beside_playwright,
    seeded,
)
from tests.feedback.test_staff_auth import code_for
from tests.search.factories import publish_outcome

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "sw")
SHOTS = ARTIFACTS / "axe-pages"


def _findings(page, name: str) -> list[str]:
    """axe's violations and "needs review" items on the page, one line each; and a
    screenshot of the page, to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name.replace(' ', '-')}.png"), full_page=True)
    report = _axe_report(page)
    print(name, report)  # shown with -s, or beside a failure
    return [
        f"{name}: {kind} {item['id']} at {node['target']}: {node['summary']}"
        for kind, items in (
            ("violation", report["violations"]),
            ("needs review", report["incomplete"]),
        )
        for item in items
        for node in item["nodes"]
    ]


def _context(chromium, language: str, cookie: str | None = None, base: str = ""):
    context = chromium.new_context(locale=language, viewport={"width": 360, "height": 640})
    if cookie:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _open(page, url: str, language: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url} answered {response.status}"
    assert page.locator("html").get_attribute("lang").startswith(language), url


def _session(username: str, language: str) -> str:
    """A signed-in session of the staff member, reading the admin in `language`."""
    member = user(username)
    profile = UserProfile.get_for_user(member)
    profile.preferred_language = language
    profile.save()
    client = Client()
    client.force_login(member)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_public_pages_pass_axe_in_both_languages(seeded, browser, settings):  # noqa: F811
    _require_chromium()
    _axe()
    # The page, not the engine, is under test: the database's search finds the outcome at
    # once (Elasticsearch would need its index refreshed, and an index of the test's own).
    settings.ELASTICSEARCH_URL = ""
    outcome = publish_outcome(
        summary="Water bill tripled after the meter was not read; maji bill corrected.",
        response="We read the meter again and corrected the bill.",
        service=water_service(),
    )
    found = []
    for language in LANGUAGES:
        service = ServicePage.objects.filter(locale__language_code=language).first()
        pages = {
            "home": f"/{language}/",
            "service page": service.url,
            "feedback form": f"/{language}/feedback/new/",
            "tracking form": f"/{language}/feedback/track/",
            "search results": f"/{language}/search/?q=maji",
            "outcome page": f"/{language}/outcomes/{outcome.case.reference}/",
        }
        page = _context(browser, language)
        for name, path in pages.items():
            _open(page, seeded.url + path, language)
            if name == "search results":
                assert page.locator(f"a[href*='{outcome.case.reference}']").count(), "a hit"
            found += _findings(page, f"{name} ({language})")
        page.context.close()
    assert not found, "\n".join(found)


def test_the_case_page_its_sms_panel_and_two_step_sign_in_pass_axe(
    seeded,  # noqa: F811
    browser,  # noqa: F811
    settings,
):
    _require_chromium()
    _axe()
    settings.STAFF_TWO_FACTOR_ROLES = ["auditor"]
    case = case_in(Status.ACKNOWLEDGED)
    sms.send_sms("+255712345678", "Mrejesho", case=case, purpose="acknowledge")
    case_url = seeded.url + reverse("feedback_case_workspace", args=[case.pk])
    found = []
    for language in LANGUAGES:
        # The case page, as the officer of its institution, with the SMS sent about it.
        page = _context(browser, language, _session("officer", language), seeded.url)
        _open(page, case_url, language)
        assert page.locator(".case-page__sms").count() == 1, "the SMS panel is shown"
        found += _findings(page, f"case page ({language})")
        page.context.close()

        # Enrolment: the auditor's role must enrol; then the backup codes, shown once.
        auditor = user("auditor")
        auditor.totpdevice_set.all().delete()
        auditor.staticdevice_set.all().delete()
        page = _context(browser, language, _session("auditor", language), seeded.url)
        _open(page, seeded.url + reverse("staff_two_factor_enrol"), language)
        found += _findings(page, f"enrol ({language})")
        device = auditor.totpdevice_set.get()
        page.fill("input[name=otp_token]", code_for(device))
        page.click("form.login-form button[type=submit]")
        page.wait_for_selector("#backup-codes li")
        found += _findings(page, f"backup codes ({language})")
        page.context.close()

        # Verification: a staff member with a device gives a code after the password.
        page = _context(browser, language, _session("auditor", language), seeded.url)
        _open(page, seeded.url + reverse("staff_two_factor_verify"), language)
        found += _findings(page, f"verify ({language})")
        page.context.close()
    assert not found, "\n".join(found)
