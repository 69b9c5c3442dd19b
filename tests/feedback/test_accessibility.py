"""The citizen's forms read out right: hints and errors tied to their fields, errors announced.

HTML checks run everywhere; the axe-core check runs in Debian's Chromium with axe-core from
node_modules (`npm install axe-core@4`), skipped on a laptop without them, failed in CI.
"""

from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from feedback import workflow
from feedback.models import Contact, Status
from tests.conftest import require_service
from tests.feedback.factories import actor, case_in
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    browser,
    orm_beside_playwright,
    seeded,
)
from tests.feedback.test_web_journey import NEW, NEW_SW, _verified_client, form_data

ROOT = Path(__file__).resolve().parents[2]
# Where `npm install axe-core@4` puts it: the repository (CI), or /tmp/axe on a workstation.
AXE_CANDIDATES = [
    ROOT / "node_modules/axe-core/axe.min.js",
    Path("/tmp/axe/node_modules/axe-core/axe.min.js"),
]
BROKEN = {"kind": "", "subject": "", "phone": "12", "email": "not-an-address"}


class _Page(HTMLParser):
    """Ids, references to ids, and block elements wrongly nested in a paragraph."""

    BLOCKS = {"div", "fieldset", "ul", "ol", "table", "form", "section", "p", "h2", "h3"}

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.described_by: list[str] = []
        self.anchors: list[str] = []
        self.in_paragraph: list[str] = []
        self.open_p = 0
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        self.described_by += (attrs.get("aria-describedby") or "").split()
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("#"):
            self.anchors.append(href[1:])
        if self.open_p and tag in self.BLOCKS:
            self.in_paragraph.append(tag)
        if tag == "p":
            self.open_p += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.open_p:
            self.open_p -= 1


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _form_with_errors(client, url=NEW):
    response = client.post(url, form_data(**BROKEN))
    assert response.status_code == 400
    return response.content.decode()


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [NEW, NEW_SW])
def test_every_aria_describedby_names_an_id_on_the_page(client, url):
    for html in (client.get(url).content.decode(), _form_with_errors(client, url)):
        page = _parse(html)
        assert page.described_by, "hints and errors are tied to their fields"
        assert set(page.described_by) <= set(page.ids)
    page = _parse(_form_with_errors(client, url))
    assert {"id_subject_error", "id_description_helptext", "id_kind_error"} <= set(
        page.described_by
    )


def test_every_error_link_leads_to_its_field_and_a_radio_question_to_its_first_choice(client):
    page = _parse(_form_with_errors(client))
    assert "" not in page.anchors  # no href="#"
    assert set(page.anchors) >= {"id_kind_0", "id_subject", "id_phone", "id_email"}
    assert set(page.anchors) <= set(page.ids)


def test_ids_are_unique_and_no_block_sits_inside_a_paragraph(client):
    page = _parse(_form_with_errors(client))
    assert len(page.ids) == len(set(page.ids))
    assert page.in_paragraph == []


def test_fields_in_error_are_marked_invalid_and_wrapped_for_the_error_style(client):
    html = _form_with_errors(client)
    page = _parse(html)
    invalid = {attrs["name"] for tag, attrs in page.tags if attrs.get("aria-invalid") == "true"}
    assert invalid == {"kind", "subject", "phone", "email"}
    assert html.count('<div class="field has-error">') == 4


@pytest.mark.parametrize(("url", "language"), [(NEW, "en"), (NEW_SW, "sw")])
def test_the_error_summary_takes_the_focus_and_the_title_says_error(client, url, language):
    with translation.override(language):
        prefix = gettext("Error:")  # "Hitilafu:" once locale/pending/webforms.po is merged
    html = _form_with_errors(client, url)
    summary = next(
        attrs for tag, attrs in _parse(html).tags if "error-summary" in (attrs.get("class") or "")
    )
    assert "autofocus" in summary and summary["tabindex"] == "-1"
    assert f"<title>{prefix} " in html
    assert f"<title>{prefix} " not in client.get(url).content.decode()


def test_error_messages_say_what_to_do_for_each_field(client):
    html = _form_with_errors(client)
    assert "This field is required." not in html
    assert "What kind of feedback is it?:" not in html
    for message in (
        "Choose what kind of feedback it is.",
        "Enter a short title, such as",
        "Enter a phone number such as 0712 345 678",
        "Enter an e-mail address such as",
    ):
        assert html.count(message) == 2  # in the summary and beside the field


def test_contact_fields_have_their_input_types_and_autocomplete_hints(client):
    inputs = {
        attrs.get("name"): attrs
        for tag, attrs in _parse(client.get(NEW).content.decode()).tags
        if tag == "input"
    }
    assert (inputs["phone"]["type"], inputs["phone"]["autocomplete"]) == ("tel", "tel")
    assert (inputs["email"]["type"], inputs["email"]["autocomplete"]) == ("email", "email")
    assert inputs["name"]["autocomplete"] == "name"


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (Status.SUBMITTED, "Acknowledgement due by"),
        (Status.ACKNOWLEDGED, "Answer due by"),
        (Status.IN_PROGRESS, "Answer due by"),
    ],
)
def test_the_tracking_page_labels_each_deadline_for_what_it_is(client, status, label):
    case = case_in(status)
    html = client.get(f"/en/feedback/track/{case.reference}/").content.decode()
    assert f'<th scope="row">{label}</th><td data-testid="deadline">' in html
    wrong = {"Acknowledgement due by", "Answer due by"} - {label}
    assert not any(other in html for other in wrong)


def test_an_interim_reply_and_an_appeal_show_their_own_dates(client):
    case = case_in(Status.IN_PROGRESS)
    officer = actor("officer")
    workflow.interim_reply(
        case,
        by=officer,
        message="Need a meter reading first.",
        expected_by=case.resolve_due + timedelta(days=7),
    )
    html = client.get(f"/en/feedback/track/{case.reference}/").content.decode()
    assert "Answer now expected by (after an interim reply)" in html
    closed = case_in(Status.CLOSED)
    workflow.appeal(
        closed, by=workflow.citizen_of(closed), reason="The answer ignores my receipts."
    )
    url = _verified_client(client, closed)
    assert "Appeal decision due by" in client.get(url).content.decode()


def test_deleting_contact_details_asks_for_confirmation_first(client):
    case = case_in(Status.RESOLVED)
    url = _verified_client(client, case)
    response = client.post(url, {"action": "erase"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete your contact details?" in html and 'name="confirm" value="yes"' in html
    assert Contact.objects.get(case=case).erased_at is None  # nothing deleted yet
    assert client.post(url, {"action": "erase", "confirm": "yes"}).status_code == 302
    assert Contact.objects.get(case=case).erased_at is not None


def test_the_service_page_offers_feedback_before_the_charter_and_the_text(client):
    html = client.get("/en/services/water-bills-and-meters-1111/").content.decode()
    assert html.index("Give feedback about this service") < html.index('class="charter"')


def _axe() -> Path:
    found = next((path for path in AXE_CANDIDATES if path.exists()), None)
    require_service("axe-core", found is not None, "npm install axe-core@4")
    return found


# Rules whose "needs review" (incomplete) answer was read and judged on these pages: colour
# contrast cannot be computed over the focus outline's offset, nothing else is expected.
REVIEWED_INCOMPLETE = {"color-contrast"}


def _axe_report(page) -> dict:
    """axe's violations and "needs review" items: each rule's id and its nodes, as
    {"target": CSS selector, "summary": what axe found}."""
    # Colours measured halfway through a fade-in (Wagtail's messages) are not the page's.
    page.evaluate("document.getAnimations().forEach((animation) => animation.finish())")
    # Through the DevTools protocol, not a <script> tag: the pages' CSP (issue 19) blocks
    # inline scripts, a test's own included.
    page.evaluate(_axe().read_text())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
            const brief = (items) => items.map((item) => ({
                id: item.id,
                nodes: item.nodes.map((node) => ({
                    target: node.target.join(" "), summary: node.failureSummary,
                })),
            }));
            return {violations: brief(result.violations), incomplete: brief(result.incomplete)};
        }"""
    )


def _phone_page(chromium, language: str):
    context = chromium.new_context(locale=language, viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_form_with_errors_passes_axe_and_its_summary_has_the_focus(
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
    language,
):
    _axe()
    page = _phone_page(browser, language)
    page.goto(f"{seeded.url}/{language}/feedback/new/")
    page.fill("#id_phone", "12")
    page.fill("#id_email", "not-an-address")
    page.click("form button[type=submit]")
    page.wait_for_selector(".error-summary")
    with translation.override(language):
        assert page.title().startswith(gettext("Error:") + " ")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"form-errors-360x640-{language}.png"))
    page.screenshot(path=str(ARTIFACTS / f"form-errors-full-{language}.png"), full_page=True)
    page.click(".error-summary a[href='#id_kind_0']")
    assert page.evaluate("document.activeElement.id") == "id_kind_0"
    report = _axe_report(page)
    print(report)
    assert report["violations"] == []
    assert {item["id"] for item in report["incomplete"]} <= REVIEWED_INCOMPLETE


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_service_page_feedback_button_shows_without_scrolling_on_a_small_phone(
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
    language,
):
    from pages.models import ServicePage

    service_page = ServicePage.objects.filter(locale__language_code=language).first()
    page = _phone_page(browser, language)
    page.goto(seeded.url + service_page.url)
    button = page.locator("a.button[href*='?service=']").first
    box = button.bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"service-page-360x640-{language}.png"))
    assert box["y"] + box["height"] <= 640
    report = _axe_report(page)
    assert report["violations"] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_tracking_page_with_a_wrong_pin_passes_axe(
    seeded,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
):
    _axe()
    case = case_in(Status.RESOLVED)
    page = _phone_page(browser, "en")
    page.goto(f"{seeded.url}/en/feedback/track/{case.reference}/")
    page.fill("#id_pin", "0000")
    page.click("form button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    report = _axe_report(page)
    print(report)
    assert report["violations"] == []
    assert {item["id"] for item in report["incomplete"]} <= REVIEWED_INCOMPLETE
