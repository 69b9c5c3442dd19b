"""Hostile input on the citizen's web pages: the feedback form and its review, tracking, the
PIN, every citizen action, new PIN, the data export, search, outcomes, performance, the
audit-chain heads and the language switch. Never a 5xx, nothing echoed unescaped."""

from urllib.parse import quote, urlsplit

import pytest

from feedback.models import Case, CaseEvent, SubmissionDraft
from feedback.views import NOT_ON_THE_WEB
from feedback.workflow import ACTIONS
from tests.feedback.factories import case_in, submit_case, water_service
from tests.hostile.conftest import assert_sane
from tests.hostile.corpus import (
    HOSTILE_PARAMS,
    HOSTILE_TEXT,
    MEGABYTE,
    PARAM_CLASSES,
    SCRIPT,
    VALID_ODD,
)

pytestmark = pytest.mark.django_db
NEW = "/en/feedback/new/"
REVIEW = "/en/feedback/new/review/"
TRACK = "/en/feedback/track/"
FREE_TEXT = ("subject", "description", "location", "name")
OTHER_FIELDS = ("kind", "service", "institution", "phone", "email", "notify_by")


def form_data(**overrides):
    data = {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Bili ya maji imeongezeka",
        "description": "Bili ya mwezi Machi ni mara mbili ya kawaida.",
        "phone": "",
        "notify_by": "none",
    }
    data.update(overrides)
    return data


def _send(client, data):
    """The three steps: form, review, send. Returns the answers of each step reached."""
    answers = [client.post(NEW, data)]
    if answers[0].status_code == 302:
        answers.append(client.get(REVIEW))
        answers.append(client.post(REVIEW, {"send": "1"}))
    return answers


# --- the feedback form, its review and send ---------------------------------------------------


@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_TEXT)
def test_hostile_text_in_every_free_text_field(client, payload_name, payload):
    """Every free-text field at once: a form validates each field on its own."""
    data = form_data(**dict.fromkeys(FREE_TEXT, payload))
    for step, answer in enumerate(_send(client, data)):
        assert_sane(answer, where=f"feedback form text={payload_name} step {step}")


@pytest.mark.parametrize("field", OTHER_FIELDS)
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES)
def test_hostile_values_in_each_other_field(client, field, payload_name, payload):
    for step, answer in enumerate(_send(client, form_data(**{field: payload}))):
        assert_sane(answer, where=f"feedback form {field}={payload_name} step {step}")


@pytest.mark.parametrize("field", ("subject", "description"))
def test_a_megabyte_in_free_text_is_refused_or_kept_whole(client, field):
    answer = client.post(NEW, form_data(**{field: MEGABYTE}))
    assert_sane(answer, where=f"feedback form {field}=1MB")
    assert answer.status_code in (302, 400)


def test_repeated_parameters_take_one_value(client):
    data = form_data()
    data["kind"] = ["complaint", "compliment", SCRIPT]
    data["subject"] = ["first", SCRIPT]
    for answer in _send(client, data):
        assert_sane(answer, where="repeated parameters")


@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_PARAMS)
def test_hostile_service_link(client, payload_name, payload):
    assert_sane(client.get(NEW, {"service": payload}), where=f"?service={payload_name}")


def test_review_and_send_without_a_draft_or_with_junk(client):
    for answer in (
        client.get(REVIEW),
        client.post(REVIEW, {"send": SCRIPT}),
        client.post(REVIEW, {"change": SCRIPT}),
    ):
        assert_sane(answer, where="review without a draft")
        assert answer.status_code in (200, 302)
    assert not Case.objects.exists()


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_is_stored_and_shown_back_exactly(client, payload_name, payload):
    answers = _send(client, form_data(subject=payload[:120], description=payload, name=payload))
    assert [a.status_code for a in answers] == [302, 200, 200], payload_name
    assert payload[:120] in answers[1].content.decode()  # the review shows it
    case = Case.objects.get()
    assert (case.subject, case.description) == (payload[:120], payload)
    assert case.contact.name == payload
    assert not SubmissionDraft.objects.exists()
    # ...and the citizen's own tracking page (proven by sending) shows it back.
    page = client.get(f"{TRACK}{case.reference}/").content.decode()
    assert payload in page, payload_name


# --- tracking, the PIN, new PIN, the data export ---------------------------------------------


@pytest.mark.parametrize(("payload_name", "payload"), [*HOSTILE_PARAMS, *HOSTILE_TEXT[:9]])
def test_hostile_reference_in_the_tracking_form(client, payload_name, payload):
    answer = client.get(TRACK, {"reference": payload})
    assert_sane(answer, where=f"track ?reference={payload_name}")
    assert answer.status_code == 400


@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_PARAMS)
def test_hostile_reference_in_the_url(client, payload_name, payload):
    for suffix in ("", "new-pin/", "data/"):
        url = f"{TRACK}{quote(payload, safe='')}/{suffix}"
        answer = client.get(url)
        assert_sane(answer, where=f"track URL {suffix} {payload_name}")
        assert answer.status_code in (400, 404)


@pytest.fixture
def submission():
    return submit_case(subject="Bili ya maji", description="Maji hayatoki.")


@pytest.mark.parametrize(("payload_name", "payload"), [*HOSTILE_PARAMS, *HOSTILE_TEXT])
def test_hostile_pin(client, submission, payload_name, payload):
    url = f"{TRACK}{submission.case.reference}/"
    answer = client.post(url, {"action": "pin", "pin": payload})
    assert_sane(answer, where=f"PIN {payload_name}")
    assert answer.status_code == 400


@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_PARAMS[:6])
def test_hostile_action_names_before_and_after_the_pin(client, submission, payload_name, payload):
    url = f"{TRACK}{submission.case.reference}/"
    assert client.post(url, {"action": payload}).status_code in (400, 403)
    client.post(url, {"action": "pin", "pin": submission.pin})
    answer = client.post(url, {"action": payload})
    assert_sane(answer, where=f"action={payload_name}")
    assert answer.status_code in (400, 409)


def test_new_pin_and_data_export_with_junk(client, submission):
    url = f"{TRACK}{submission.case.reference}/"
    for answer in (
        client.post(url + "new-pin/", {"contact": SCRIPT, "phone": SCRIPT}),
        client.get(url + "data/", {"format": SCRIPT}),
    ):
        assert_sane(answer, where="new PIN / data export")


# Citizen actions of the web, each in a status where it is open to the citizen.
WEB_ACTIONS = {
    "add_information": "in_progress",
    "close": "resolved",
    "reopen": "resolved",
    "rate": "resolved",
    "appeal": "closed",
}


def test_every_citizen_action_of_the_table_is_covered_here():
    citizen = {name for name, action in ACTIONS.items() if "citizen" in action.roles}
    assert citizen - NOT_ON_THE_WEB == set(WEB_ACTIONS)


def _proven_case(client, status):
    case = case_in(status)
    session = client.session
    from feedback import tracking

    tracking.remember_proven(session, case.reference)
    session.save()
    return case


def _action_data(action, value):
    fields = list(ACTIONS[action].params)
    data = {"action": action}
    for param in fields:
        data[f"{action}-{param.name}"] = value
    return data


@pytest.mark.parametrize("action", sorted(WEB_ACTIONS))
@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_TEXT)
def test_hostile_text_in_every_citizen_action(client, action, payload_name, payload):
    case = _proven_case(client, WEB_ACTIONS[action])
    url = f"{TRACK}{case.reference}/"
    answer = client.post(url, _action_data(action, payload))
    assert_sane(answer, where=f"action {action} {payload_name}")
    assert answer.status_code in (302, 400)
    assert_sane(client.get(url), where=f"case page after {action} {payload_name}")


@pytest.mark.parametrize("action", ["add_information", "reopen"])
def test_a_megabyte_in_a_citizen_action_is_refused(client, action):
    case = _proven_case(client, WEB_ACTIONS[action])
    answer = client.post(f"{TRACK}{case.reference}/", _action_data(action, MEGABYTE))
    assert_sane(answer, where=f"action {action} 1MB")
    assert answer.status_code == 400


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_in_an_action_is_stored_and_shown_back(client, payload_name, payload):
    case = _proven_case(client, "in_progress")
    url = f"{TRACK}{case.reference}/"
    answer = client.post(url, _action_data("add_information", payload))
    assert answer.status_code == 302, payload_name
    assert CaseEvent.objects.filter(case=case).latest("pk").body == payload
    page = client.get(url).content.decode()
    assert payload in page, payload_name


# --- search, outcomes, performance, audit chain, language switch ------------------------------

PUBLIC_GET = [
    ("/en/search/", ("q", "institution", "kind", "service", "region", "year", "sort", "page")),
    ("/en/search/outcomes.csv", ("q", "kind", "year", "page")),
    ("/en/search/outcomes.json", ("q", "kind", "year", "page")),
    ("/en/search/fields/", ("q",)),
    ("/en/performance/", ("year", "quarter", "month", "period", "institution")),
    ("/en/performance/ranking/", ("month", "year", "level")),
    ("/en/performance/1111/", ("year", "quarter", "month")),
    ("/en/audit-chain/", ("page", "date")),
    ("/en/audit-chain.txt", ("page",)),
    ("/en/", ("q",)),
    ("/en/feedback/", ("reference",)),
]


@pytest.mark.parametrize(("path", "params"), PUBLIC_GET, ids=[p for p, _ in PUBLIC_GET])
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES)
def test_hostile_query_parameters_on_public_pages(client, path, params, payload_name, payload):
    answer = client.get(path, dict.fromkeys(params, payload))
    assert_sane(answer, where=f"{path} {payload_name}")


@pytest.mark.parametrize(
    "path", ["/en/outcomes/{}/", "/en/performance/institution/{}/", "/en/performance/{}/"]
)
@pytest.mark.parametrize(("payload_name", "payload"), HOSTILE_PARAMS)
def test_hostile_ids_in_public_urls(client, path, payload_name, payload):
    answer = client.get(path.format(quote(payload, safe="")))
    assert_sane(answer, where=f"{path} {payload_name}")
    assert answer.status_code in (400, 404)


def test_a_repeated_search_parameter_and_a_megabyte_query(client):
    for answer in (
        client.get("/en/search/", {"q": ["maji", SCRIPT], "page": ["1", "-1"]}),
        client.get("/en/search/?q=" + "a" * 100_000),
    ):
        assert_sane(answer, where="search repeated / long")


OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:evil.example",
    "https:/\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/%09/evil.example",
    "\x00//evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_the_language_switch_refuses_to_redirect_elsewhere(client, target):
    for answer in (
        client.post("/i18n/setlang/", {"language": "sw", "next": target}),
        client.post("/i18n/setlang/", {"language": "sw"}, HTTP_REFERER=target),
        client.post("/i18n/setlang/", {"language": SCRIPT, "next": target}),
    ):
        assert_sane(answer, where=f"setlang next={target!r}")
        assert_stays_on_this_site(answer.get("Location", "/"))


def assert_stays_on_this_site(location: str) -> None:
    """Read as a browser does (control characters and spaces dropped, backslash as slash):
    a path on this site, with no scheme and no other host."""
    seen = "".join(c for c in location if c > " ").replace("\\", "/")
    parts = urlsplit(seen)
    assert not parts.scheme and not parts.netloc, location
    assert seen.startswith("/") and not seen.startswith("//"), location


def test_forged_ids_on_the_feedback_form(client):
    from feedback.models import Service

    other = Service.objects.get(institution__short_code="121")
    for forged in (
        {"institution": "987654321"},
        {"service": "987654321"},
        {"institution": water_service().institution.pk, "service": other.pk},
    ):
        answer = client.post(NEW, form_data(**forged))
        assert_sane(answer, where=f"forged {forged}")
        assert answer.status_code in (302, 400)
        if answer.status_code == 302:  # accepted only if the service decides the institution
            client.post(REVIEW, {"send": "1"})
            case = Case.objects.get()
            assert case.service is None or case.institution == case.service.institution
            case.delete()
