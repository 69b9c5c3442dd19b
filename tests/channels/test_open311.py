"""Open311 GeoReport v2 at /open311/: every endpoint in JSON and XML, the spec's error format,
API keys, the date window and filters, jurisdiction_id, and what is never shown."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from feedback import workflow
from feedback.channels import keys
from feedback.channels.open311 import forms as open311_forms
from feedback.models import Case, Channel, Contact, Kind, Service, Status
from tests.feedback.factories import CaseFactory, actor, submit_case, water_service

pytestmark = pytest.mark.django_db
V2 = "/open311/v2"
WATER = "1111-1"  # water_service().global_code
HEALTH = "121-1"
# The spec's element names, per resource (GeoReport_v2, "Response" tables).
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


@pytest.fixture
def api_key():
    _client, key = keys.create_client(name="City app", organisation="Dar City")
    return key


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def post(client, fmt="json", headers=None, **fields):
    data = {
        "service_code": WATER,
        "lat": "-6.8161",
        "long": "39.2804",
        "description": "The water meter at the kiosk leaks day and night.",
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(f"{V2}/requests.{fmt}", data, headers=headers or {})


def assert_error(response, status, fmt):
    """The spec's error format: a list of code and description (XML errors/error)."""
    assert response.status_code == status
    if fmt == "json":
        errors = as_json(response)
        assert isinstance(errors, list) and errors
        assert all(set(error) == {"code", "description"} for error in errors)
        assert all(error["code"] == status and error["description"] for error in errors)
        return [error["description"] for error in errors]
    root = xml(response)
    assert root.tag == "errors" and children(root) and set(children(root)) == {"error"}
    for error in root:
        assert children(error) == ["code", "description"]
        assert error.findtext("code") == str(status) and error.findtext("description")
    return [error.findtext("description") for error in root]


# Discovery and services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_v2_endpoint_its_formats_and_the_jurisdiction(client, fmt, settings):
    response = client.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = as_json(response)
        endpoint = body["endpoints"][0]
        formats = endpoint["formats"]
    else:
        root = xml(response)
        assert root.tag == "discovery"
        assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
        assert children(root.find("endpoints")) == ["endpoint"]
        node = root.find("endpoints/endpoint")
        body = {"contact": root.findtext("contact")}
        endpoint = {child.tag: child.text for child in node if child.tag != "formats"}
        formats = [format.text for format in node.find("formats")]
        assert children(node.find("formats")) == ["format", "format"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production" and endpoint["changeset"]
    assert formats == ["text/xml", "application/json"]
    assert settings.OPEN311_JURISDICTION in body["contact"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_list_the_active_services_by_global_code(client, fmt):
    Service.objects.filter(institution__short_code="121").update(is_active=False)
    response = client.get(f"{V2}/services.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        services = as_json(response)
    else:
        root = xml(response)
        assert root.tag == "services" and set(children(root)) == {"service"}
        services = [{child.tag: child.text for child in node} for node in root]
        assert all(list(service) == SERVICE_FIELDS for service in services)
    by_code = {service["service_code"]: service for service in services}
    assert HEALTH not in by_code
    water = by_code[WATER]
    assert list(water) == SERVICE_FIELDS
    assert water["service_name"] == "Water bills and meters"
    assert water["group"] == "DAWASA Customer Care"
    assert water["type"] == "realtime"
    assert water["metadata"] in (True, "true")
    assert "Bili za maji na mita" in water["keywords"]


def test_services_speak_the_requested_language(client):
    response = client.get(f"{V2}/services.json", headers={"Accept-Language": "sw"})
    water = next(s for s in as_json(response) if s["service_code"] == WATER)
    assert water["service_name"] == "Bili za maji na mita"
    assert water["group"] == "Huduma kwa Wateja DAWASA"
    assert response["Content-Language"] == "sw"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_declares_kind_as_a_single_value_list(client, fmt):
    response = client.get(f"{V2}/services/{WATER}.{fmt}", headers={"Accept-Language": "sw"})
    assert response.status_code == 200
    if fmt == "json":
        definition = as_json(response)
        assert [each["code"] for each in definition["attributes"]] == ["kind", "publish"]
        attribute = definition["attributes"][0]
        values = attribute["values"]
        required = attribute["required"]
    else:
        root = xml(response)
        assert root.tag == "service_definition"
        assert children(root) == ["service_code", "attributes"]
        assert children(root.find("attributes")) == ["attribute", "attribute"]
        assert [node.findtext("code") for node in root.iterfind("attributes/attribute")] == [
            "kind",
            "publish",
        ]
        node = root.find("attributes/attribute")
        assert children(node) == [
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ]
        definition = {"service_code": root.findtext("service_code")}
        attribute = {child.tag: child.text for child in node}
        values = [
            {"key": value.findtext("key"), "name": value.findtext("name")}
            for value in node.iter("value")
        ]
        required = attribute["required"] == "true"
        assert all(children(value) == ["key", "name"] for value in node.iter("value"))
    assert definition["service_code"] == WATER
    assert attribute["code"] == "kind" and attribute["datatype"] == "singlevaluelist"
    assert required is False
    assert [value["key"] for value in values] == [value for value, _label in Kind.choices]
    assert {"key": "complaint", "name": "Lalamiko"} in values


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", ["1111-999", "nonsense", "121-1"])
def test_an_unknown_or_inactive_service_is_404(client, fmt, code):
    Service.objects.filter(institution__short_code="121").update(is_active=False)
    response = client.get(f"{V2}/services/{code}.{fmt}")
    assert code in assert_error(response, 404, fmt)[0]


# Submitting


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_creates_a_case_through_the_workflow_and_answers_reference_token_and_pin(
    client, api_key, fmt
):
    response = post(
        client,
        fmt,
        api_key=api_key,
        first_name="Asha",
        last_name="Juma",
        phone="0712 345 678",
        email="asha@example.org",
        account_id="acct-7",
        device_id="device-1",
        media_url="http://169.254.169.254/latest/meta-data/",
        **{"attribute[kind]": "suggestion"},
    )
    assert response.status_code == 201
    if fmt == "json":
        [answer] = as_json(response)
    else:
        root = xml(response)
        assert root.tag == "service_requests" and children(root) == ["request"]
        answer = {child.tag: child.text for child in root.find("request")}
    assert list(answer) == ["service_request_id", "token", "service_notice", "account_id", "pin"]
    case = Case.objects.get(reference=answer["service_request_id"])
    assert case.channel == Channel.OPEN311 and case.api_client.name == "City app"
    assert case.kind == Kind.SUGGESTION and case.service == water_service()
    assert case.subject == "The water meter at the kiosk leaks day…"
    assert case.location == "-6.816100, 39.280400"
    assert case.idempotency_key == answer["token"]
    assert workflow.check_pin(case, answer["pin"])
    assert answer["account_id"] == "acct-7"
    assert case.reference[:3] in answer["service_notice"] and "PIN" in answer["service_notice"]
    contact = Contact.objects.get(case=case)
    assert (contact.name, contact.phone, contact.email) == (
        "Asha Juma",
        "+255712345678",
        "asha@example.org",
    )


def test_a_post_without_kind_is_a_complaint_and_a_long_description_gives_a_short_subject(
    client, api_key
):
    text = "Kiosk number four has had no water for nine days and nobody answers the phone."
    response = post(client, api_key=api_key, description=text, address_string="Kariakoo")
    case = Case.objects.get(reference=as_json(response)[0]["service_request_id"])
    assert case.kind == Kind.COMPLAINT and case.location == "Kariakoo"
    assert case.subject == "Kiosk number four has had no water for…"
    assert case.is_anonymous and case.description == text


def test_a_json_body_is_accepted_too(client, api_key):
    body = {
        "api_key": api_key,
        "service_code": WATER,
        "lat": -6.8,
        "long": 39.28,
        "description": "Leak at the kiosk.",
        "attribute": {"kind": "inquiry"},
    }
    response = client.post(f"{V2}/requests.json", body, content_type="application/json")
    assert response.status_code == 201
    case = Case.objects.get(reference=as_json(response)[0]["service_request_id"])
    assert case.kind == Kind.INQUIRY


def test_the_answer_with_the_pin_is_never_cached(client, api_key):
    assert post(client, api_key=api_key)["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["put", "delete", "options", "patch"])
def test_other_methods_are_405_in_the_spec_format(client, method):
    response = getattr(client, method)(f"{V2}/requests.xml")
    assert_error(response, 405, "xml")


def test_the_key_may_come_in_a_header(client, api_key):
    response = post(client, headers={"X-Api-Key": api_key})
    assert response.status_code == 201


def test_a_retry_with_the_same_idempotency_key_answers_the_first_case_without_its_pin(
    client, api_key
):
    headers = {"Idempotency-Key": "app-42"}
    first = as_json(post(client, api_key=api_key, headers=headers))[0]
    again = post(client, api_key=api_key, headers=headers)
    assert again.status_code == 200
    retry = as_json(again)[0]
    assert retry["service_request_id"] == first["service_request_id"]
    assert retry["token"] == first["token"] and retry["pin"] is None and first["pin"]
    assert Case.objects.filter(channel=Channel.OPEN311).count() == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_finds_its_request(client, api_key, fmt):
    answer = as_json(post(client, api_key=api_key))[0]
    response = client.get(f"{V2}/tokens/{answer['token']}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert as_json(response) == [
            {"service_request_id": answer["service_request_id"], "token": answer["token"]}
        ]
    else:
        root = xml(response)
        assert root.tag == "service_requests"
        assert children(root.find("request")) == ["service_request_id", "token"]
        assert root.findtext("request/service_request_id") == answer["service_request_id"]
    assert_error(client.get(f"{V2}/tokens/1-nothing.{fmt}"), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_missing_wrong_or_revoked_is_403(client, fmt):
    api_client, key = keys.create_client(name="Old app")
    assert_error(post(client, fmt), 403, fmt)
    assert_error(post(client, fmt, api_key=key + "x"), 403, fmt)
    assert_error(post(client, fmt, headers={"X-Api-Key": "mrj_nonsense"}), 403, fmt)
    keys.revoke(api_client)
    assert_error(post(client, fmt, api_key=key), 403, fmt)
    assert not Case.objects.filter(channel=Channel.OPEN311).exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "1111-77"}, 404, "1111-77"),
        ({"service_code": "garbage"}, 404, "garbage"),
        ({"description": "  "}, 400, "description"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat and long"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "nan"}, 400, "lat"),
        ({"phone": "12"}, 400, "phone"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"attribute[kind]": "praise"}, 400, "attribute[kind]"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"address_string": "y" * 201, "lat": None, "long": None}, 400, "address_string"),
    ],
)
def test_bad_submissions_are_refused_in_the_spec_format(client, api_key, fmt, fields, status, says):
    descriptions = assert_error(post(client, fmt, api_key=api_key, **fields), status, fmt)
    assert any(says in text for text in descriptions)
    assert not Case.objects.filter(channel=Channel.OPEN311).exists()


def test_refusals_speak_the_requested_language(client, api_key):
    response = post(client, api_key=api_key, description="", headers={"Accept-Language": "sw"})
    [error] = as_json(response)
    assert response.status_code == 400
    assert error["description"] == "description: Sehemu hii inahitajika."
    assert response["Content-Language"] == "sw"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"api_key=x&description=%FF%FE", "application/x-www-form-urlencoded"),
        (b"description=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"<request/>", "application/xml"),
        (b"hello", "text/plain"),
    ],
)
def test_unreadable_bodies_are_400_never_500(client, api_key, body, content_type):
    response = client.post(
        f"{V2}/requests.json", body, content_type=content_type, headers={"X-Api-Key": api_key}
    )
    assert_error(response, 400, "json")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", ["status=%FF", "service_code=a%00b"])
def test_an_unreadable_query_is_400_in_the_spec_format(client, fmt, query):
    assert_error(client.get(f"{V2}/requests.{fmt}?{query}"), 400, fmt)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_a_body_past_the_upload_limit_is_400_in_the_spec_format(client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = (
        ("description=" + "a" * 2000) if "form" in content_type else json.dumps({"d": "a" * 2000})
    )
    response = client.post(f"{V2}/requests.json", body, content_type=content_type)
    assert "too large" in assert_error(response, 400, "json")[0]


def test_a_bad_idempotency_key_is_400(client, api_key):
    response = post(client, api_key=api_key, headers={"Idempotency-Key": "a b"})
    assert "Idempotency-Key" in assert_error(response, 400, "json")[0]


def test_media_url_is_never_fetched(client, api_key, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the server opened a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    response = post(client, api_key=api_key, media_url="http://example.org/photo.jpg")
    assert response.status_code == 201


# Reading requests


def listed(client, fmt="json", **params) -> list[dict]:
    response = client.get(f"{V2}/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    if fmt == "json":
        return as_json(response)
    root = xml(response)
    assert root.tag == "service_requests"
    assert set(children(root)) <= {"request"}
    return [{child.tag: child.text for child in node} for node in root]


def ids(entries) -> set[str]:
    return {entry["service_request_id"] for entry in entries}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_shows_the_spec_fields_public_ones_only(client, fmt):
    public = submit_case(consent_to_publish=True, location="Plot 12, Sinza").case
    private = submit_case(consent_to_publish=False, location="My house").case
    entries = {entry["service_request_id"]: entry for entry in listed(client, fmt)}
    # The list is the published-outcome cases: listing every case would publish every
    # reference. Named by its reference, any case but a confidential one is shown.
    assert private.reference not in entries
    [hidden] = listed(client, fmt, service_request_id=private.reference)
    shown = entries[public.reference]
    assert list(shown) == REQUEST_FIELDS
    assert shown["status"] == "open" and shown["service_code"] == WATER
    assert shown["service_name"] == "Water bills and meters"
    assert shown["agency_responsible"] == "DAWASA Customer Care"
    assert shown["description"] == public.description and shown["address"] == "Plot 12, Sinza"
    # A complaint's own words are not published without consent.
    assert hidden["description"] is None and hidden["address"] is None
    assert hidden["status"] == "open" and hidden["service_code"] == WATER
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        moment = parse_datetime(shown[field])
        assert moment is not None and moment.utcoffset() is not None
    assert parse_datetime(shown["requested_datetime"]) == public.submitted_at.replace(microsecond=0)
    assert parse_datetime(shown["expected_datetime"]) == public.resolve_due.replace(microsecond=0)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_contact_details_never_appear(client, api_key, fmt):
    submit_case(
        consent_to_publish=True,
        contact=workflow.ContactDetails(
            name="Zawadi Mrema", phone="+255712999888", email="zawadi@example.org"
        ),
    )
    post(client, api_key=api_key, first_name="Neema", email="neema@example.org", phone="0713111222")
    listing = client.get(f"{V2}/requests.{fmt}").content.decode()
    for secret in ("Zawadi", "712999888", "zawadi@", "Neema", "713111222", "neema@"):
        assert secret not in listing


def test_a_published_description_is_scrubbed_of_personal_data(client):
    case = submit_case(
        consent_to_publish=True,
        description="Bill doubled. Call Baraka Mushi on 0754 111 222 or baraka@example.org.",
        contact=workflow.ContactDetails(name="Baraka Mushi", phone="+255754111222"),
    ).case
    [entry] = listed(client, service_request_id=case.reference)
    assert entry["description"].startswith("Bill doubled. Call ")
    for secret in ("Baraka", "Mushi", "754", "baraka@"):
        assert secret not in entry["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_confidential_cases_are_absent_everywhere(client, api_key, fmt):
    answer = as_json(post(client, api_key=api_key))[0]
    case = Case.objects.get(reference=answer["service_request_id"])
    workflow.set_confidential(case, by=actor("admin"), reason="Whistle-blower.")
    assert case.reference not in ids(listed(client, fmt))
    assert case.reference not in ids(listed(client, fmt, service_request_id=case.reference))
    assert_error(client.get(f"{V2}/requests/{case.reference}.{fmt}"), 404, fmt)
    assert_error(client.get(f"{V2}/tokens/{answer['token']}.{fmt}"), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_by_id_and_the_institutions_answer_as_status_notes(client, fmt):
    case = CaseFactory(status=Status.IN_PROGRESS, consent_to_publish=True)
    unpublished = CaseFactory(status=Status.IN_PROGRESS, consent_to_publish=False)
    officer = actor("officer")
    for each in (case, unpublished):
        workflow.reply(each, by=officer, body="A technician visits on Monday.", visibility="public")
        workflow.reply(each, by=officer, body="Internal: meter 55.", visibility="internal")
    # The institution's words on a case whose story is not published stay unpublished too.
    [quiet] = listed(client, fmt, service_request_id=unpublished.reference)
    assert quiet["status_notes"] is None
    response = client.get(f"{V2}/requests/{case.reference}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        [entry] = as_json(response)
    else:
        root = xml(response)
        assert root.tag == "service_requests" and children(root) == ["request"]
        assert children(root.find("request")) == REQUEST_FIELDS
        entry = {child.tag: child.text for child in root.find("request")}
    assert entry["status_notes"] == "A technician visits on Monday."
    formatted = f"{case.reference[:3]} {case.reference[3:6]} {case.reference[6:]}"
    assert client.get(f"{V2}/requests/{formatted}.{fmt}").status_code == 200
    assert_error(client.get(f"{V2}/requests/1234567890.{fmt}"), 404, fmt)
    assert_error(client.get(f"{V2}/requests/abc.{fmt}"), 404, fmt)


def published(**fields):
    """A case whose outcome may be published: the kind Open311's list shows."""
    return submit_case(consent_to_publish=True, **fields)


@pytest.mark.parametrize(
    ("status", "open311"),
    [
        (Status.SUBMITTED, "open"),
        (Status.AWAITING_CITIZEN, "open"),
        (Status.REOPENED, "open"),
        (Status.RESOLVED, "closed"),
        (Status.CLOSED, "closed"),
        (Status.REJECTED, "closed"),
    ],
)
def test_statuses_map_to_open_and_closed_and_filter(client, status, open311):
    case = CaseFactory(status=status, consent_to_publish=True)
    [entry] = listed(client, service_request_id=case.reference)
    assert entry["status"] == open311
    assert case.reference in ids(listed(client, status=open311))
    other = "closed" if open311 == "open" else "open"
    assert case.reference not in ids(listed(client, status=other))
    assert case.reference in ids(listed(client, status="open,closed"))
    if open311 == "closed":
        closed_at = case.closed_at or case.resolved_at
        assert parse_datetime(entry["updated_datetime"]) == closed_at.replace(microsecond=0)


def test_the_default_window_is_the_last_90_days(client):
    now = timezone.now()
    recent = published(now=now - timedelta(days=89)).case
    old = published(now=now - timedelta(days=91)).case
    shown = ids(listed(client))
    assert recent.reference in shown and old.reference not in shown
    # start_date alone: 90 days from it; end_date alone: the 90 days before it.
    start = (now - timedelta(days=180)).isoformat()
    assert old.reference in ids(listed(client, start_date=start))
    assert recent.reference not in ids(listed(client, start_date=start))
    end = (now - timedelta(days=90)).isoformat()
    assert ids(listed(client, end_date=end)) & {old.reference, recent.reference} == {old.reference}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "before"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-02-30T00:00:00Z"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "12345"}, "service_request_id"),
    ],
)
def test_bad_windows_and_filters_are_400(client, fmt, params, says):
    response = client.get(f"{V2}/requests.{fmt}", params)
    assert any(says in text for text in assert_error(response, 400, fmt))


def test_exactly_90_days_and_w3_dates_with_zone_are_accepted(client):
    case = published().case
    moment = timezone.localtime(case.submitted_at)
    params = {
        "start_date": (moment - timedelta(days=1)).isoformat(),
        "end_date": (moment + timedelta(days=89)).isoformat(),
    }
    assert case.reference in ids(listed(client, **params))
    utc = {"start_date": (case.submitted_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert case.reference in ids(listed(client, **utc))


def test_service_request_id_lists_override_the_other_filters(client):
    old = published(now=timezone.now() - timedelta(days=200)).case
    other = published(service=Service.objects.get(institution__short_code="121")).case
    wanted = f"{old.reference},{other.reference}"
    entries = listed(client, service_request_id=wanted, service_code=WATER, status="closed")
    assert ids(entries) == {old.reference, other.reference}


def test_service_code_filters_by_one_or_several_codes(client):
    water = published().case
    health = published(service=Service.objects.get(institution__short_code="121")).case
    assert water.reference in ids(listed(client, service_code=WATER))
    assert health.reference not in ids(listed(client, service_code=WATER))
    both = ids(listed(client, service_code=f"{WATER},{HEALTH}"))
    assert {water.reference, health.reference} <= both
    assert ids(listed(client, service_code="9999-9")) == set()


def test_empty_parameters_count_as_absent(client):
    case = published().case
    empty = dict.fromkeys(("service_request_id", "service_code", "start_date"), "")
    entries = listed(client, **empty, end_date="", status="", jurisdiction_id="")
    assert case.reference in ids(entries)


def test_results_are_capped_newest_first(client, monkeypatch):
    now = timezone.now()
    cases = [published(now=now - timedelta(days=days)).case for days in (3, 1, 2)]
    monkeypatch.setattr("feedback.channels.open311.views.MAX_RESULTS", 2)
    entries = listed(client)
    assert [entry["service_request_id"] for entry in entries] == [
        cases[1].reference,
        cases[2].reference,
    ]
    assert open311_forms.MAX_RESULTS == 1000


# Jurisdiction, formats, throttling


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "path", ["services", f"services/{WATER}", "requests", "tokens/1-abc", "requests/1234567890"]
)
def test_another_jurisdiction_is_404_ours_or_none_is_served(client, fmt, path, settings):
    response = client.get(f"{V2}/{path}.{fmt}", {"jurisdiction_id": "nairobi.go.ke"})
    assert "nairobi.go.ke" in assert_error(response, 404, fmt)[0]
    ours = client.get(f"{V2}/services.{fmt}", {"jurisdiction_id": settings.OPEN311_JURISDICTION})
    assert ours.status_code == 200


def test_a_post_to_another_jurisdiction_is_404(client, api_key, settings):
    assert_error(post(client, api_key=api_key, jurisdiction_id="sfgov.org"), 404, "json")
    response = post(client, api_key=api_key, jurisdiction_id=settings.OPEN311_JURISDICTION)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "path", ["/open311/v2/services.html", "/open311/v2/services", "/open311/v3/"]
)
def test_unknown_formats_and_paths_are_404_in_the_spec_format(client, path):
    assert_error(client.get(path), 404, "xml")


def test_a_client_past_its_rate_is_429_with_retry_after(client):
    _busy, key = keys.create_client(name="Busy app", requests_per_minute=1)
    headers = {"X-Api-Key": key}
    assert client.get(f"{V2}/services.json", headers=headers).status_code == 200
    response = client.get(f"{V2}/services.xml", headers=headers)
    assert_error(response, 429, "xml")
    assert int(response["Retry-After"]) > 0


def test_anonymous_callers_are_throttled_per_address(client, settings):
    settings.API_ANONYMOUS_RATE = "2/hour"  # fixed windows: no minute may end mid-test
    for _attempt in range(2):
        assert client.get(f"{V2}/services.json").status_code == 200
    response = client.get(f"{V2}/services.json")
    assert_error(response, 429, "json")
    assert response.has_header("Retry-After")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_attribute_publish_records_consent_and_lists_the_request(client, api_key, fmt):
    posted = as_json(post(client, api_key=api_key, **{"attribute[publish]": "true"}))[0]
    quiet = as_json(post(client, api_key=api_key))[0]
    shown = Case.objects.get(reference=posted["service_request_id"])
    hidden = Case.objects.get(reference=quiet["service_request_id"])
    assert shown.consent_to_publish is True and hidden.consent_to_publish is False
    assert ids(listed(client, fmt)) & {shown.reference, hidden.reference} == {shown.reference}
    refused = post(client, fmt, api_key=api_key, **{"attribute[publish]": "perhaps"})
    assert any("attribute[publish]" in text for text in assert_error(refused, 400, fmt))
