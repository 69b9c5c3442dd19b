"""Hostile input on every Open311 GeoReport v2 route: form, JSON and XML bodies (entities
never expanded), jurisdiction_id, service_code, attribute[...] and the filters."""

from urllib.parse import quote

import pytest

from feedback.channels import keys
from feedback.models import Case
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
    XML_BODIES,
)

pytestmark = pytest.mark.django_db
V2 = "/open311/v2"
SUBMIT_FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "description")
SUBMIT_FIELDS += ("kind", "email", "first_name", "last_name", "phone", "device_id", "account_id")
SUBMIT_FIELDS += ("media_url", "jurisdiction_id", "attribute[publish]", "attribute[kind]")
FILTERS = ("service_request_id", "service_code", "start_date", "end_date", "status")
FILTERS += ("jurisdiction_id", "page", "page_size")


@pytest.fixture
def api_key():
    _client, key = keys.create_client(name="Hostile Open311", organisation="Nobody")
    return key


def fields(**overrides):
    data = {
        "service_code": "1111-1",
        "lat": "-6.8161",
        "long": "39.2804",
        "description": "The water meter at the kiosk leaks day and night.",
    }
    data.update(overrides)
    return data


def is_spec_answer(answer, fmt):
    expected = "application/json" if fmt == "json" else "text/xml"
    assert answer["Content-Type"].startswith(expected), answer["Content-Type"]


@pytest.mark.parametrize(
    ("fmt", "payload_name", "payload"),
    [("json", *p) for p in (*HOSTILE_TEXT, *HOSTILE_PARAMS[4:8])]
    + [("xml", *p) for p in HOSTILE_TEXT[:2]],
)
def test_hostile_form_fields_on_submission(client, api_key, fmt, payload_name, payload):
    """Every field at once, attribute[...] and jurisdiction_id included."""
    data = fields(**dict.fromkeys(SUBMIT_FIELDS, payload))
    answer = client.post(f"{V2}/requests.{fmt}", data, HTTP_X_API_KEY=api_key)
    assert_sane(answer, where=f"open311 POST {fmt} every field={payload_name}")
    is_spec_answer(answer, fmt)
    assert answer.status_code in (200, 201, 400, 404), answer.content[:300]


def test_a_megabyte_description_is_refused(client, api_key):
    answer = client.post(
        f"{V2}/requests.json", fields(description=MEGABYTE), HTTP_X_API_KEY=api_key
    )
    assert_sane(answer, where="open311 1MB")
    assert answer.status_code == 400


@pytest.mark.parametrize(("body_name", "body"), NOT_AN_OBJECT)
def test_json_bodies_that_are_not_a_request(client, api_key, body_name, body):
    answer = client.post(
        f"{V2}/requests.json", body, content_type="application/json", HTTP_X_API_KEY=api_key
    )
    assert_sane(answer, where=f"open311 JSON {body_name}")
    assert answer.status_code == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("body_name", "body"), XML_BODIES)
def test_xml_bodies_are_never_expanded(client, api_key, fmt, body_name, body):
    for content_type in ("application/xml", "text/xml"):
        answer = client.post(
            f"{V2}/requests.{fmt}", body, content_type=content_type, HTTP_X_API_KEY=api_key
        )
        assert_sane(answer, where=f"open311 XML {body_name}")
        assert answer.status_code in (400, 415)
    assert not Case.objects.exists()


@pytest.mark.parametrize(("type_name", "content_type"), CONTENT_TYPES)
def test_wrong_and_missing_content_types(client, api_key, type_name, content_type):
    body = b"service_code=1111-1&description=" + SCRIPT.encode()
    answer = client.generic(
        "POST", f"{V2}/requests.json", body, content_type or "", HTTP_X_API_KEY=api_key
    )
    assert_sane(answer, where=f"open311 content type {type_name}")
    assert answer.status_code in (400, 415)


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_is_stored_exactly(client, api_key, payload_name, payload):
    """Stored exactly; Open311 never shows a case's own text back (only published outcomes),
    so the showing back is tested on the web and the API."""
    answer = client.post(
        f"{V2}/requests.json",
        fields(description=payload, first_name=payload),
        HTTP_X_API_KEY=api_key,
    )
    assert answer.status_code in (200, 201), answer.content
    case = Case.objects.get()
    assert case.description == payload
    assert payload in case.contact.name


GET_ROUTES = [
    "/open311/discovery.{fmt}",
    V2 + "/services.{fmt}",
    V2 + "/services/{value}.{fmt}",
    V2 + "/requests.{fmt}",
    V2 + "/requests/{value}.{fmt}",
    V2 + "/tokens/{value}.{fmt}",
    V2 + "/{value}.{fmt}",
]


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES)
def test_hostile_paths_and_filters(client, route, payload_name, payload):
    for fmt in ("json", "xml") if payload_name == "script_tag" else ("json",):
        url = route.format(fmt=fmt, value=quote(payload, safe=""))
        answer = client.get(url, dict.fromkeys(FILTERS, payload))
        assert_sane(answer, where=f"open311 GET {url[:60]} {payload_name}")
        assert answer.status_code in (200, 400, 404), answer.status_code


def test_repeated_parameters(client, api_key):
    data = {**fields(), "service_code": ["1111-1", "121-1"], "description": ["a", SCRIPT]}
    answer = client.post(f"{V2}/requests.json", data, HTTP_X_API_KEY=api_key)
    assert_sane(answer, where="open311 repeated")
