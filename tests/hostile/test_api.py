"""Hostile input on every REST API route (/api/v1/): JSON that is not an object, broken or
odd JSON, wrong content types, multipart, hostile headers. Always JSON, never a 5xx."""

import json
from urllib.parse import quote

import pytest
from django.urls import get_resolver

from feedback import workflow
from feedback.channels import keys
from feedback.channels.api.serializers import citizen_actions
from feedback.models import Case, CaseEvent, Status
from tests.feedback.factories import case_in, submit_case
from tests.hostile.conftest import assert_sane
from tests.hostile.corpus import (
    CONTENT_TYPES,
    HOSTILE_PARAMS,
    HOSTILE_TEXT,
    MEGABYTE,
    NOT_AN_OBJECT,
    PARAM_CLASSES,
    SCRIPT,
    VALID_ODD,
)

pytestmark = pytest.mark.django_db
PIN = "246810"
ACTION_STATUS = {
    "add_information": Status.AWAITING_CITIZEN,
    "close": Status.RESOLVED,
    "reopen": Status.RESOLVED,
    "dispute": Status.RESOLVED,
    "rate": Status.RESOLVED,
    "appeal": Status.CLOSED,
}


@pytest.fixture
def api_key():
    _client, key = keys.create_client(name="Hostile app", organisation="Nobody")
    return key


def submission(**overrides) -> dict:
    data = {
        "kind": "complaint",
        "service": "1111-1",
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "contact_name": "Amina Juma",
        "notify_by": "none",
    }
    data.update(overrides)
    return data


def post_json(client, url, body, key=None, content_type="application/json", **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {key}"
    return client.post(url, body, content_type=content_type, **headers)


def case_with_pin(status) -> Case:
    case = case_in(status)
    Case.objects.filter(pk=case.pk).update(pin_digest=workflow.pin_digest(case.reference, PIN))
    case.refresh_from_db()
    return case


def test_every_citizen_action_route_is_covered_here():
    assert set(citizen_actions()) == set(ACTION_STATUS)


# --- submission --------------------------------------------------------------------------------


@pytest.mark.parametrize(("body_name", "body"), NOT_AN_OBJECT)
def test_bodies_that_are_not_a_submission(client, api_key, body_name, body):
    answer = post_json(client, "/api/v1/cases/", body, api_key)
    assert_sane(answer, where=f"POST cases {body_name}", expect_json=True)
    assert 400 <= answer.status_code < 500, body_name
    assert not Case.objects.exists()


@pytest.mark.parametrize(("type_name", "content_type"), CONTENT_TYPES)
def test_wrong_and_missing_content_types(client, api_key, type_name, content_type):
    body = json.dumps(submission()).encode()
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"}
    if content_type is None:
        answer = client.generic("POST", "/api/v1/cases/", body, content_type="", **headers)
    else:
        answer = client.generic("POST", "/api/v1/cases/", body, content_type, **headers)
    assert_sane(answer, where=f"content type {type_name}", expect_json=True)
    # An unknown charset on a body that is UTF-8 anyway: DRF reads it as UTF-8; fine.
    assert answer.status_code in ((201,) if type_name == "unknown_charset" else (400, 415))


FIELDS = ("kind", "service", "institution", "subject", "description", "location")
FIELDS += ("contact_name", "contact_phone", "contact_email", "notify_by", "consent_to_publish")


@pytest.mark.parametrize(
    ("payload_name", "payload"),
    [*HOSTILE_TEXT, *HOSTILE_PARAMS[4:9], ("number", -1), ("list", [SCRIPT]), ("null", None)],
)
def test_hostile_values_in_every_field(client, api_key, payload_name, payload):
    """Every field at once: the serializer validates each on its own and names each."""
    body = json.dumps(submission(**dict.fromkeys(FIELDS, payload)))
    answer = post_json(client, "/api/v1/cases/", body, api_key)
    text = assert_sane(answer, where=f"POST cases every field={payload_name}", expect_json=True)
    assert answer.status_code in (201, 400), text[:300]


@pytest.mark.parametrize("field", ("subject", "description"))
def test_a_megabyte_in_free_text(client, api_key, field):
    answer = post_json(
        client, "/api/v1/cases/", json.dumps(submission(**{field: MEGABYTE})), api_key
    )
    assert_sane(answer, where=f"POST cases {field}=1MB", expect_json=True)
    assert answer.status_code == 400


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_is_stored_and_answered_exactly(client, api_key, payload_name, payload):
    body = json.dumps(submission(subject=payload[:120], description=payload, contact_name=payload))
    answer = post_json(client, "/api/v1/cases/", body, api_key)
    assert answer.status_code == 201, answer.content
    case = Case.objects.get(reference=answer.json()["reference"])
    assert (case.subject, case.description, case.contact.name) == (payload[:120], payload, payload)
    case = case_with_pin(Status.AWAITING_CITIZEN)
    answer = post_json(
        client,
        f"/api/v1/cases/{case.reference}/actions/add_information/",
        json.dumps({"body": payload}, ensure_ascii=False).encode(),
        HTTP_X_CASE_PIN=PIN,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["events"][-1]["text"] == payload
    assert CaseEvent.objects.filter(case=case).latest("pk").body == payload


HEADERS = [
    ("idempotency_script", {"HTTP_IDEMPOTENCY_KEY": SCRIPT}),
    ("idempotency_long", {"HTTP_IDEMPOTENCY_KEY": "k" * 5000}),
    ("idempotency_crlf", {"HTTP_IDEMPOTENCY_KEY": "a\r\nb"}),
    ("authorization_garbage", {"HTTP_AUTHORIZATION": "Api-Key " + SCRIPT}),
    ("authorization_sql", {"HTTP_AUTHORIZATION": "Api-Key ' OR 1=1 --"}),
    ("authorization_other_scheme", {"HTTP_AUTHORIZATION": "Basic YWRtaW46YWRtaW4="}),
    ("authorization_long", {"HTTP_AUTHORIZATION": "Api-Key " + "x" * 10_000}),
    ("accept_language", {"HTTP_ACCEPT_LANGUAGE": SCRIPT + ";q=NaN"}),
    ("x_forwarded_for", {"HTTP_X_FORWARDED_FOR": SCRIPT + ", 999.999.1.1"}),
]


@pytest.mark.parametrize(("header_name", "headers"), HEADERS)
def test_hostile_headers_on_submission(client, api_key, header_name, headers):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}", **headers}
    answer = post_json(client, "/api/v1/cases/", json.dumps(submission()), **headers)
    assert_sane(answer, where=f"POST cases header {header_name}", expect_json=True)
    assert answer.status_code in (201, 400, 401, 403)


def test_a_multipart_submission_with_hostile_parts(client, api_key):
    data = {**submission(subject=SCRIPT), "files": "not a file", "kind": ["complaint", SCRIPT]}
    answer = client.post("/api/v1/cases/", data, HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert_sane(answer, where="multipart", expect_json=True)


RAW_STRINGS = [
    ("lone_surrogate", b'"\\ud800 alone"'),
    ("low_surrogate", b'"\\udfff"'),
    ("escaped_nul", b'"before\\u0000after"'),
    ("invalid_utf8", b'"\xff\xfe\xc3\x28"'),
    ("bidi_override", b'"\\u202eexe.pdf"'),
]


@pytest.mark.parametrize("field", ("subject", "description", "contact_name", "location"))
@pytest.mark.parametrize(("raw_name", "raw"), RAW_STRINGS)
def test_strings_the_wire_allows_but_no_database_keeps(client, api_key, field, raw_name, raw):
    """JSON can carry a lone surrogate or an escaped NUL, which neither PostgreSQL nor UTF-8
    can keep: a 400 naming the field, never a 500."""
    body = json.dumps(submission(**{field: "@@"})).encode().replace(b'"@@"', raw)
    answer = post_json(client, "/api/v1/cases/", body, api_key)
    assert_sane(answer, where=f"POST cases {field}={raw_name}", expect_json=True)
    assert answer.status_code in ((201,) if raw_name == "bidi_override" else (400,))


# --- the case, its exchange and its actions ---------------------------------------------------

PIN_VALUES = [
    *HOSTILE_PARAMS[:2],
    ("sql", "' OR 1=1 --"),
    ("long", "1" * 10_000),
    ("arabic_indic_digits", "٢٤٦٨١٠"),
    ("spaces", "  246810  "),
]


@pytest.mark.parametrize(("pin_name", "pin"), PIN_VALUES)
def test_hostile_pin_headers(client, pin_name, pin):
    case = case_with_pin(Status.RESOLVED)
    for answer in (
        client.get(f"/api/v1/cases/{case.reference}/exchange/", HTTP_X_CASE_PIN=pin),
        post_json(
            client,
            f"/api/v1/cases/{case.reference}/actions/reopen/",
            json.dumps({"reason": "no"}),
            HTTP_X_CASE_PIN=pin,
        ),
    ):
        assert_sane(answer, where=f"X-Case-PIN {pin_name}", expect_json=True)
        assert answer.status_code in (200, 403) if pin_name == "spaces" else (403,)


@pytest.mark.parametrize(("body_name", "body"), NOT_AN_OBJECT)
def test_a_pin_in_hostile_json_never_breaks_the_check(client, body_name, body):
    case = case_with_pin(Status.AWAITING_CITIZEN)
    answer = post_json(
        client,
        f"/api/v1/cases/{case.reference}/actions/add_information/",
        body,
        HTTP_X_CASE_PIN=PIN,
    )
    assert_sane(answer, where=f"action body {body_name}", expect_json=True)
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize("action", sorted(ACTION_STATUS))
@pytest.mark.parametrize(
    ("payload_name", "payload"),
    [*HOSTILE_TEXT, ("huge", "99999999999999999999"), ("null", None)],
)
def test_hostile_values_in_every_action(client, action, payload_name, payload):
    case = case_with_pin(ACTION_STATUS[action])
    params = {p.name: payload for p in workflow.ACTIONS[action].params}
    answer = post_json(
        client,
        f"/api/v1/cases/{case.reference}/actions/{action}/",
        json.dumps(params),
        HTTP_X_CASE_PIN=PIN,
    )
    assert_sane(answer, where=f"action {action} {payload_name}", expect_json=True)
    assert answer.status_code in (200, 400, 409), answer.content[:300]


def test_a_forged_reference_another_cases_pin_is_refused(client):
    mine, theirs = case_with_pin(Status.RESOLVED), submit_case()
    answer = client.get(f"/api/v1/cases/{theirs.case.reference}/exchange/", HTTP_X_CASE_PIN=PIN)
    assert_sane(answer, where="another case's PIN", expect_json=True)
    assert answer.status_code == 403 and mine.pk != theirs.case.pk


# --- every GET route, with hostile path segments and parameters -------------------------------

GET_ROUTES = [
    "/api/v1/institutions/",
    "/api/v1/institutions/{}/",
    "/api/v1/services/",
    "/api/v1/services/{}/",
    "/api/v1/cases/{}/",
    "/api/v1/cases/{}/exchange/",
    "/api/v1/outcomes/",
    "/api/v1/outcomes/{}/",
]
QUERY = ("parent", "institution", "service", "kind", "q", "page", "page_size", "year", "region")


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES)
def test_hostile_path_segments_and_parameters(client, route, payload_name, payload):
    url = route.format(quote(payload, safe="")) if "{}" in route else route
    answer = client.get(url, dict.fromkeys(QUERY, payload))
    assert_sane(answer, where=f"GET {route} {payload_name}", expect_json=True)


def test_the_schema_and_the_docs_answer(client):
    for url in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/schema/?format=" + SCRIPT):
        assert_sane(client.get(url), where=url)


def test_every_api_route_is_in_this_file():
    """A new API route fails here until it is added to the hostile corpus above."""
    resolver = get_resolver().url_patterns
    api = next(p for p in resolver if str(p.pattern) == "api/v1/")
    routes = {str(p.pattern) for p in api.url_patterns}
    covered = {
        "institutions/",
        "institutions/<str:short_code>/",
        "services/",
        "services/<str:code>/",
        "cases/",
        "cases/<str:reference>/",
        "cases/<str:reference>/exchange/",
        *(f"cases/<str:reference>/actions/{name}/" for name in ACTION_STATUS),
        "outcomes/",
        "outcomes/<str:reference>/",
        "schema/",
        "docs/",
        "^.*$",
    }
    assert routes == covered


FORGED = [
    ("institution_that_does_not_exist", {"institution": "987654"}),
    ("service_of_another_institution", {"institution": "1111", "service": "121-1"}),
    ("service_that_does_not_exist", {"service": "1111-99"}),
    ("service_as_a_database_id", {"service": "1"}),
]


@pytest.mark.parametrize(("forged_name", "forged"), FORGED)
def test_forged_ids_in_a_submission(client, api_key, forged_name, forged):
    answer = post_json(client, "/api/v1/cases/", json.dumps(submission(**forged)), api_key)
    assert_sane(answer, where=f"forged {forged_name}", expect_json=True)
    assert answer.status_code == 400, answer.content[:300]
    assert not Case.objects.exists()
