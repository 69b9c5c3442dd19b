"""Content-Security-Policy and Permissions-Policy on every kind of answer, and the proof that the
pages run under them: Chromium opens the public pages and the Wagtail admin with the real
headers and reports every violation (config/csp.py, the block "Response headers" of
config/settings/base.py)."""

import base64
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.csp import ADMIN_POLICY, admin_script_hashes
from feedback.models import Case, Status
from tests.feedback.factories import case_in, user, water_service
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    TIMEOUT_MS,
    browser,
    orm_beside_playwright,
    seeded,
)
from tests.feedback.test_web_journey import NEW, form_data

pytestmark = pytest.mark.django_db

UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_public_policy(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert not {source for sources in directives.values() for source in sources} & set(UNSAFE)


def assert_other_headers(response) -> None:
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature
    assert features["interest-cohort"] == "()"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url",
    [
        "/en/",
        "/sw/",
        "/en/services/water-bills-and-meters-1111/",
        NEW,
        "/en/feedback/track/",
        "/en/search/?q=water",
        "/en/performance/",
        "/en/audit-chain/",
        "/api/v1/docs/",
    ],
)
def test_public_pages_carry_the_strict_policy_and_the_other_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_public_policy(response)
    assert_other_headers(response)
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_start_up_script_is_a_file_of_our_own_origin(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "<style>" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_error_pages_carry_the_policy(client, settings):
    not_found = client.get("/en/no-such-page/")
    assert not_found.status_code == 404
    unreadable = client.get("/en/search/?q=%FF")
    assert unreadable.status_code == 400
    settings.REQUEST_BODY_MAX_BYTES = 1_000
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * 5_000, "application/pdf")
    too_big = client.post(NEW, form_data(files=[big]))
    assert too_big.status_code == 413
    for response in (not_found, unreadable, too_big):
        assert_public_policy(response)
        assert_other_headers(response)


def test_the_too_many_tries_page_carries_the_policy(client, settings):
    settings.PIN_FREE_ATTEMPTS = 1
    url = f"/en/feedback/track/{case_in(Status.SUBMITTED).reference}/"
    assert client.post(url, {"action": "pin", "pin": "000000"}).status_code == 400
    response = client.post(url, {"action": "pin", "pin": "000000"})
    assert response.status_code == 429
    assert_public_policy(response)
    assert_other_headers(response)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/institutions/", 200),
        ("/api/v1/no-such-thing/", 404),
        ("/api/v2/institutions/", 404),
        ("/open311/v2/services.json", 200),
        ("/healthz", 200),
    ],
)
def test_machine_answers_carry_the_policy_too(client, settings, url, status):
    settings.ELASTICSEARCH_URL = ""
    response = client.get(url)
    assert response.status_code == status
    assert_public_policy(response)
    assert_other_headers(response)


def test_the_admin_gets_its_own_policy_on_every_view(client):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    client.force_login(user("admin"))
    for url in ("/admin/", "/admin/pages/", "/admin/feedback/case/", "/admin/no-such-view/"):
        response = client.get(url)
        directives = policy(response)
        assert directives["script-src"][0] == "'self'", url
        assert set(directives["script-src"][1:]) <= {
            source for source in directives["script-src"] if source.startswith("'sha256-")
        }
        assert directives["style-src"] == ["'self'"]
        assert directives["style-src-elem"] == ["'self'", "'unsafe-inline'"]
        assert directives["frame-ancestors"] == ["'self'"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert_other_headers(response)
    assert policy(login)["script-src"] == ADMIN_POLICY["script-src"]


def test_the_admin_allows_exactly_the_date_pickers_it_renders(client):
    client.force_login(user("admin"))
    response = client.get("/admin/users/")
    html = response.content.decode()
    calls = re.findall(r"<script>(initDateChooser\([^<]*)</script>", html)
    assert calls, "the users listing filters by last login with Wagtail's date picker"
    expected = {
        f"'sha256-{base64.b64encode(hashlib.sha256(c.encode()).digest()).decode()}'" for c in calls
    }
    assert set(policy(response)["script-src"]) == {"'self'"} | expected


def test_only_wagtails_date_picker_calls_are_hashed():
    picker = '<script>initDateChooser("id_last_login_0", {"dayOfWeekStart": 0});</script>'
    assert len(admin_script_hashes(picker * 2)) == 1
    for hostile in (
        "<script>alert(1)</script>",
        '<script>initDateChooser("a", {});alert(1);</script>',
        '<script>initDateChooser("a", {"x": "</script><script>alert(1)"});</script>',
        '<script>initDateChooser("a\\"+alert(1)+\\"", {});</script>',
        '<script>initDateChooser("a", {"f": {"g": 1}});</script>',
    ):
        assert admin_script_hashes(hostile) == [], hostile


# --- In Chromium: zero violations reported by the browser ----------------------------------

REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(
    `${event.violatedDirective} blocked ${event.blockedURI} (${event.sample})`
));
"""
ADMIN_PASSWORD = "csp-test-password-2026"


@pytest.fixture
def world(seeded, settings):  # noqa: F811 (the fixture imported above)
    """The seeded live server, a published outcome, and an admin who signs in with a password."""
    from pages.models import HomePage, ServicePage
    from tests.search.factories import publish_outcome

    settings.ELASTICSEARCH_URL = ""  # the database's search: the pages, not the engine, matter
    outcome = publish_outcome(
        summary="The water bill came twice this month.",
        response="The second bill was cancelled.",
        service=water_service(),
    )
    admin = user("admin")
    admin.set_password(ADMIN_PASSWORD)
    admin.save()
    return {
        "base": seeded.url,
        "outcome": outcome.case.reference,
        "case": outcome.case.pk,
        "home": HomePage.objects.first().pk,
        "service": ServicePage.objects.first().pk,
    }


class Watch:
    """A page whose CSP violations and header errors are collected, per URL visited."""

    def __init__(self, chromium, base):
        self.context = chromium.new_context(viewport={"width": 1200, "height": 900})
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.base = base
        self.console: list[str] = []
        self.found: dict[str, list[str]] = {}
        self.page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            self.console.append(message.text)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response.status < 400, (path, response.status)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        url = self.page.url.removeprefix(self.base)
        found = self.page.evaluate("window.__violations") + self.console
        self.found[url] = self.found.get(url, []) + found
        self.console = []

    def violations(self) -> dict[str, list[str]]:
        return {url: found for url, found in self.found.items() if found}


@pytest.mark.browser
def test_public_pages_and_the_admin_run_without_a_single_violation(world, browser, tmp_path):  # noqa: F811
    from PIL import Image

    photo = tmp_path / "meter.png"
    Image.new("RGB", (64, 48), (30, 120, 200)).save(photo, format="PNG")
    watch = Watch(browser, world["base"])
    # The citizen's journey: home, a service, the form, its review, the receipt, tracking.
    for path in ("/en/", "/en/services/", "/en/services/water-bills-and-meters-1111/", NEW):
        watch.goto(path)
    page = watch.page
    page.check("input[name=kind][value=complaint]")
    page.select_option("select[name=service]", str(water_service().pk))
    page.fill("input[name=subject]", "Meter not read")
    page.fill("textarea[name=description]", "Nobody has read the meter since August.")
    page.fill("input[name=phone]", "0712 345 678")
    page.check("input[name=notify_by][value=sms]")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(re.compile(r"/en/feedback/new/review/$"))
    watch.settle()
    page.click("button[name=send]")
    page.get_by_test_id("pin").wait_for()
    watch.settle()
    reference = page.get_by_test_id("reference").inner_text().replace(" ", "")
    pin = page.get_by_test_id("pin").inner_text().strip()
    watch.goto("/en/feedback/track/")
    page.fill("input[name=reference]", reference)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf"/en/feedback/track/{reference}/$"))
    watch.settle()
    if page.locator("input[name=pin]").count():  # the receipt may have proven this browser
        page.fill("input[name=pin]", pin)
        page.click("main form button[type=submit]")
    page.get_by_test_id("event-body").first.wait_for()
    watch.settle()
    for path in (
        "/en/search/?q=water",
        f"/en/outcomes/{world['outcome']}/",
        "/en/performance/",
        "/en/performance/1111/",
        "/en/audit-chain/",
        "/sw/",
    ):
        watch.goto(path)
    watch.goto("/api/v1/docs/")
    page.locator(".opblock-summary").first.click()
    page.get_by_text("Try it out").first.click()
    watch.settle()

    # The admin: sign in, then every kind of page staff use.
    watch.goto("/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    watch.settle()
    for path in (
        "/admin/pages/",
        f"/admin/pages/{world['home']}/edit/",
        f"/admin/pages/{world['service']}/edit/",
        "/admin/images/",
        "/admin/images/multiple/add/",
        "/admin/documents/",
        "/admin/feedback/case/",
        f"/admin/feedback/case/{world['case']}/workspace/",
        "/admin/feedback/reports/",
        "/admin/account/",
        "/admin/users/",
        "/admin/sites/",
    ):
        watch.goto(path)
    # The editor's preview pane (the public page, framed by the admin) and an image upload
    # (its thumbnail is a blob: URL until the upload ends).
    watch.goto(f"/admin/pages/{world['service']}/edit/")
    page.locator("[data-side-panel-toggle='preview']").first.click()
    page.frame_locator("iframe[title]").last.locator("h1").wait_for()
    watch.settle()
    watch.goto("/admin/images/multiple/add/")
    with page.expect_response(re.compile(r"/admin/images/multiple/add/$")) as upload:
        page.set_input_files("input[type=file]", str(photo))
    assert upload.value.status == 200
    watch.settle()
    assert Case.objects.filter(reference=reference).exists()
    assert watch.violations() == {}
    assert len(watch.found) == 29, sorted(watch.found)  # every page above was looked at
