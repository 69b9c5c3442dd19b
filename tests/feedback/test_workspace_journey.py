"""The staff workspace in a real browser, tried as each role would (issue 16, "Done when").

An officer filters the inbox to overdue complaints, opens a case with a photo and sees the
photo, answers with a canned response in Swahili and resolves in one step; the citizen's
tracking page (reference and PIN) shows the answer; the oversight leader sees a number move on
the dashboard and gives a directive; the agent submits for a walk-in citizen and prints the
receipt; the auditor runs the chain check and sees it pass.

Debian's Chromium against pytest-django's live server (tests/feedback/test_browser_journey.py
explains the fixtures); axe-core runs on every admin page visited. Screenshots and the axe
findings go to test-artifacts/workspace-journey/.
"""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback import references, workflow
from feedback.attachments import store_upload
from feedback.models import (
    CannedResponse,
    Case,
    Directive,
    Institution,
    Kind,
    ServicePoint,
    StaffProfile,
    Status,
)
from tests.feedback.factories import SubmissionFactory, actor, user, water_service
from tests.feedback.test_accessibility import _axe
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    _require_chromium,
    browser,
    orm_beside_playwright,
    seeded,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "workspace-journey"
PASSWORD = "journey-pass-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
CANNED_SW = "Tumesoma mita yako upya na kurekebisha bili. Asante kwa uvumilivu wako."
CANNED_EN = "We read your meter again and corrected the bill. Thank you for your patience."
DIRECTIVE = "Report to the ministry on this overdue complaint by Friday."
WALK_IN = {
    "subject": "Barabara imeharibika karibu na shule",
    "description": "Barabara ya kwenda shule ya msingi Ilala imejaa mashimo tangu mvua.",
}
# Severity of an axe violation that fails the journey when it is on our own markup.
BLOCKING = {"critical", "serious"}
# Wagtail's own chrome, not our templates: recorded in axe.json, not failed here. The filter
# drawer's toggle (".w-dropdown__toggle") is named "Show filters" but shows the count of active
# filters, which axe calls label-content-name-mismatch (serious): Wagtail's listing markup.
WAGTAIL_CHROME = (
    "#wagtail-sidebar",
    ".sidebar",
    "[data-side-panel",
    ".w-breadcrumbs",
    "#header",
    ".w-dropdown__toggle",
)


# ---------------------------------------------------------------------------------------------
# The world of the journey
# ---------------------------------------------------------------------------------------------


def _photo_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", (320, 240), (30, 120, 200))
    for x in range(100, 220):
        for y in range(80, 160):
            image.putpixel((x, y), (240, 240, 240))
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("mita.png", buffer.getvalue(), content_type="image/png")


def _set_passwords(*usernames) -> None:
    for username in usernames:
        member = user(username)
        member.set_password(PASSWORD)
        member.save()


def _journey_world() -> dict:
    """An overdue complaint with a photo (in Swahili), a fresh one beside it, an overdue
    suggestion, the institution's canned response, and the agent's service point."""
    long_ago = timezone.now() - timedelta(days=40)
    overdue = SubmissionFactory(
        now=long_ago,
        subject="Mita ya maji haisomwi",
        description="Mita yangu haijasomwa tangu Agosti na bili imezidi.",
        language="sw",
    )
    case = workflow.acknowledge(overdue.case, by=actor("officer"), now=long_ago)
    store_upload(_photo_upload(), "image/png", case=case)
    fresh = SubmissionFactory(subject="Bili ya Novemba", language="sw").case
    suggestion = SubmissionFactory(
        now=long_ago, kind=Kind.SUGGESTION, subject="Lipa bili kwa simu", language="sw"
    ).case
    canned = CannedResponse.objects.create(
        institution=Institution.objects.get(short_code="111"),
        title="Meter read again",
        title_sw="Mita imesomwa upya",
        body=CANNED_EN,
        body_sw=CANNED_SW,
    )
    point = ServicePoint.objects.create(
        name="Ilala Post Office",
        name_sw="Posta ya Ilala",
        code="4242",
        location="Ilala",
        host=Institution.objects.get(short_code="1811"),
    )
    # Saved, not updated: the audit chain the auditor checks below keeps every change.
    profile = StaffProfile.objects.get(user=user("agent"))
    profile.service_point = point
    profile.save()
    _set_passwords("officer", "oversight", "agent", "auditor")
    return {
        "overdue": case,
        "pin": overdue.pin,
        "fresh": fresh,
        "suggestion": suggestion,
        "canned": canned,
        "point": point,
    }


# ---------------------------------------------------------------------------------------------
# Browser helpers
# ---------------------------------------------------------------------------------------------


class Journey:
    """Screenshots and axe findings of one journey, written to test-artifacts."""

    def __init__(self, base: str):
        self.base = base
        self.axe: dict[str, dict] = {}
        SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, page, name: str) -> None:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")

    def check_axe(self, page, name: str) -> None:
        """Run axe on the page; record everything; keep blocking findings on our markup."""
        # Colours measured halfway through a fade-in (Wagtail's messages) are not the page's.
        page.evaluate("document.getAnimations().forEach((animation) => animation.finish())")
        # Through the DevTools protocol, not a <script> tag: the pages' CSP (issue 19) blocks
        # inline scripts, a test's own included.
        page.evaluate(_axe().read_text())
        report = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
                const brief = (items) => items.map((item) => ({
                    id: item.id,
                    impact: item.impact,
                    nodes: item.nodes.map((node) => node.target.join(" ")),
                }));
                return {violations: brief(result.violations), incomplete: brief(result.incomplete)};
            }"""
        )
        report["url"] = page.url
        self.axe[name] = report

    def ours_blocking(self) -> dict[str, list]:
        found = {}
        for name, report in self.axe.items():
            for item in report["violations"]:
                if item["impact"] not in BLOCKING:
                    continue
                nodes = [n for n in item["nodes"] if not n.startswith(WAGTAIL_CHROME)]
                if nodes:
                    found.setdefault(name, []).append({"id": item["id"], "nodes": nodes})
        return found

    def write_axe(self) -> None:
        path = SHOTS / "axe.json"
        path.write_text(json.dumps(self.axe, indent=2, ensure_ascii=False))
        print(f"axe findings: {path}")


def _page(chromium, viewport=DESKTOP, locale="en-GB"):
    context = chromium.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _log_in(chromium, base: str, username: str, viewport=DESKTOP):
    page = _page(chromium, viewport)
    page.goto(f"{base}{reverse('wagtailadmin_login')}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def _overdue_cell(page):
    """The overdue figure of the water authority's row (columns: received, open, overdue...)."""
    water = Institution.objects.get(short_code="111").name
    row = page.locator("table.listing tbody tr", has=page.locator("th", has_text=water))
    return row.locator("td").nth(2)


def _number(text: str) -> int:
    digits = re.sub(r"\D", "", text)
    assert digits, text
    return int(digits)


# ---------------------------------------------------------------------------------------------
# The journey
# ---------------------------------------------------------------------------------------------


def test_a_day_in_the_workspace(seeded, browser):  # noqa: F811 (fixtures imported above)
    _require_chromium()
    _axe()
    base = seeded.url
    made = _journey_world()
    journey = Journey(base)
    case: Case = made["overdue"]

    # 0. Before anything moves: the oversight leader's dashboard, one row per child institution.
    leader = _log_in(browser, base, "oversight")
    leader.goto(f"{base}{reverse('feedback_oversight_dashboard')}")
    journey.shot(leader, "01-oversight-dashboard-before")
    journey.check_axe(leader, "oversight-dashboard")
    overdue_before = _number(_overdue_cell(leader).inner_text())
    assert overdue_before >= 2  # the overdue complaint and the overdue suggestion

    # 1. The officer filters the inbox to overdue complaints.
    officer = _log_in(browser, base, "officer")
    officer.goto(f"{base}{reverse('feedback_case:index')}")
    journey.shot(officer, "02-inbox")
    journey.check_axe(officer, "inbox")
    # Wagtail's filter drawer: each filter opens its own panel and applies at once.
    officer.get_by_role("button", name="Show filters").click()
    officer.get_by_role("button", name="Overdue", exact=True).click()
    officer.locator("input[name=overdue]").check()
    officer.wait_for_url(re.compile(r"overdue=on"))
    officer.get_by_role("button", name="Back").filter(visible=True).first.click()
    officer.get_by_role("button", name="Kind", exact=True).click()
    officer.locator("select[name=kind]").select_option(Kind.COMPLAINT)
    officer.wait_for_url(re.compile(r"kind=complaint"))
    officer.keyboard.press("Escape")
    officer.wait_for_load_state("networkidle")
    listing = officer.locator("#listing-results table").inner_text()
    assert references.format_reference(case.reference) in listing or case.reference in listing
    assert made["fresh"].reference not in listing.replace(" ", "")  # not overdue
    assert made["suggestion"].reference not in listing.replace(" ", "")  # not a complaint
    journey.shot(officer, "03-inbox-overdue-complaints")
    journey.check_axe(officer, "inbox-filtered")

    # 2. It opens the case and sees the photo the citizen sent, decoded.
    officer.locator(f"a[href='{reverse('feedback_case_workspace', args=[case.pk])}']").first.click()
    officer.wait_for_url(re.compile(rf"/admin/feedback/case/{case.pk}/workspace/"))
    attachment = case.attachments.get()
    src = reverse("feedback_case_attachment", args=[case.pk, attachment.pk])
    photo = officer.locator(f"img[src^='{src}']").first
    photo.scroll_into_view_if_needed()
    officer.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    assert photo.evaluate("img => img.naturalWidth") == 320
    journey.shot(officer, "04-case-page-with-photo")
    journey.check_axe(officer, "case-page")

    # 3. It answers with the canned response, in Swahili, and resolves in one step (the case
    # is acknowledged, not started: the start is implied and recorded).
    panel = officer.locator("details#action-resolve")
    panel.locator("summary").click()
    panel.locator("select[name=canned]").select_option(str(made["canned"].pk))
    panel.locator("select[name=lang]").select_option("sw")
    with officer.expect_navigation():
        panel.get_by_role("button", name="Fill the text").click()
    panel = officer.locator("details#action-resolve")
    body = panel.locator("form[method=post] textarea").first
    assert CANNED_SW in body.input_value()
    journey.shot(officer, "05-resolve-with-canned-swahili")
    with officer.expect_navigation():
        panel.locator("form[method=post] button[type=submit]").click()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    actions = list(case.events.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["start", "resolve"], actions  # the implied start recorded
    journey.shot(officer, "06-case-resolved")

    # 4. The citizen tracks it with reference and PIN and reads the answer, in Swahili.
    citizen = _page(browser, PHONE, "sw-TZ")
    citizen.goto(f"{base}/sw/feedback/track/{case.reference}/")
    citizen.fill("input[name=pin]", made["pin"])
    citizen.click("main form button[type=submit]")
    citizen.wait_for_url(re.compile(rf"/sw/feedback/track/{case.reference}/$"))
    assert citizen.get_by_text(CANNED_SW).first.is_visible()
    journey.shot(citizen, "07-citizen-tracking-answer")

    # 5. The oversight leader sees the number move and gives a directive on another case.
    leader.reload()
    overdue_after = _number(_overdue_cell(leader).inner_text())
    assert overdue_after == overdue_before - 1, (overdue_before, overdue_after)
    journey.shot(leader, "08-oversight-dashboard-after")
    suggestion = made["suggestion"]
    leader.goto(f"{base}{reverse('feedback_case_workspace', args=[suggestion.pk])}")
    panel = leader.locator("details#action-give_directive")
    panel.locator("summary").click()
    panel.locator("form[method=post] textarea").first.fill(DIRECTIVE)
    panel.locator("form[method=post] input[name$=due]").fill(
        str(timezone.localdate() + timedelta(days=5))
    )
    with leader.expect_navigation():
        panel.locator("form[method=post] button[type=submit]").click()
    assert leader.get_by_text(DIRECTIVE).first.is_visible()
    assert Directive.objects.open().filter(case=suggestion).count() == 1
    journey.shot(leader, "09-directive-given")
    journey.check_axe(leader, "case-page-directive")

    # 6. The agent submits for a walk-in citizen and prints the receipt.
    agent = _log_in(browser, base, "agent", PHONE)
    agent.goto(f"{base}{reverse('feedback_service_point_submit')}")
    journey.shot(agent, "10-agent-desk")
    journey.check_axe(agent, "agent-desk")
    desk = agent.get_by_test_id("desk-form")
    desk.locator("input[name=kind][value=complaint]").check()
    desk.locator("select[name=service]").select_option(str(water_service().pk))
    desk.locator("input[name=subject]").fill(WALK_IN["subject"])
    desk.locator("textarea[name=description]").fill(WALK_IN["description"])
    desk.locator("input[name=language][value=sw]").check()
    desk.locator("input[name=name]").fill("Mwanaidi Hassan")
    desk.locator("input[name=phone]").fill("0754 000 222")
    desk.locator("input[name=notify_by][value=sms]").check()
    desk.locator("input[name=consent_to_publish][value=no]").check()
    desk.get_by_role("button", name="Send and show the receipt").click()
    agent.get_by_test_id("receipt").wait_for()
    journey.shot(agent, "11-agent-receipt")
    reference = agent.get_by_test_id("reference").inner_text().replace(" ", "").strip()
    pin = agent.get_by_test_id("pin").inner_text().strip()
    walk_in = Case.objects.get(reference=reference)
    assert (walk_in.channel, walk_in.submitted_by, walk_in.service_point) == (
        "service_point",
        user("agent"),
        made["point"],
    )
    assert workflow.check_pin(walk_in, pin)
    journey.check_axe(agent, "agent-receipt")
    agent.emulate_media(media="print")
    journey.shot(agent, "12-agent-receipt-print")
    # Printed, the receipt keeps the reference and the PIN and drops the admin's chrome.
    printed = agent.locator("body").inner_text()
    assert pin in printed and references.format_reference(reference) in printed
    assert not agent.locator("#wagtail-sidebar, .sidebar").first.is_visible()

    # 7. The auditor runs the audit-chain check and sees it pass.
    auditor = _log_in(browser, base, "auditor")
    auditor.goto(f"{base}{reverse('feedback_audit_chain_check')}")
    journey.check_axe(auditor, "chain-check")
    auditor.get_by_role("button", name="Check the audit chain now").click()
    auditor.wait_for_url(re.compile(r"/admin/.*chain.*/\d+/"))
    verdict = auditor.locator(".mj-ok, .mj-broken").first
    verdict.wait_for()
    page_text = auditor.locator("main").inner_text()
    assert verdict.inner_text().strip() == "The chain is intact.", page_text
    journey.shot(auditor, "13-auditor-chain-ok")

    journey.write_axe()
    assert journey.ours_blocking() == {}, journey.ours_blocking()
