"""The REST API, /api/v1/: registry, submission, look-up, the exchange with the PIN, citizen
actions from the table, outcome search, and the one error shape, in English and Swahili."""

import io
import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from feedback import references, workflow
from feedback.channels import keys
from feedback.models import Attachment, Case, Channel, Contact, Status
from search.documents import public_documents
from tests.feedback.factories import actor, case_in, submit_case

pytestmark = pytest.mark.django_db

NOBODYS = "400000000" + references.check_digit("400000000")  # well formed, no case has it
PHONE, EMAIL, NAME = "+255712345678", "amina@example.com", "Amina Juma"


@pytest.fixture
def api_key():
    _client, key = keys.create_client(name="Mkoa app", organisation="Dar es Salaam Region")
    return key


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def sw() -> dict:
    return {"HTTP_ACCEPT_LANGUAGE": "sw"}


def errors_of(response) -> list[dict]:
    """The error shape, checked: a list of entries with exactly field, code and message."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    errors = response.json()["errors"]
    assert errors, response.json()
    for error in errors:
        assert set(error) == {"field", "code", "message"}
        assert error["code"] and error["message"]
    return errors


def submission(**overrides) -> dict:
    data = {
        "kind": "complaint",
        "service": "1111-1",
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "contact_name": NAME,
        "contact_phone": "0712 345 678",
        "contact_email": EMAIL,
        "notify_by": "sms",
        "consent_to_publish": True,
    }
    return {**data, **overrides}


def post_case(client, key, data=None, **headers):
    return client.post(
        "/api/v1/cases/",
        json.dumps(submission() if data is None else data),
        content_type="application/json",
        **auth(key),
        **headers,
    )


def assert_no_contact(payload) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in (PHONE, "0712 345 678", "712345678", EMAIL, NAME):
        assert secret not in text


# --- Institutions and services ----------------------------------------------------------------


def test_institutions_are_listed_without_ids_in_the_tree_order(client):
    response = client.get("/api/v1/institutions/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    first = body["results"][0]
    assert first == {
        "short_code": "1",
        "name": "Government of Tanzania",
        "acronym": "GoT",
        "level": "national",
        "level_label": "National",
        "parent": None,
    }
    water = next(item for item in body["results"] if item["short_code"] == "111")
    assert water["parent"] == "11"
    assert "id" not in water and "path" not in water


def test_institutions_in_swahili_and_under_a_parent(client):
    response = client.get("/api/v1/institutions/?parent=12", **sw())
    assert response.status_code == 200
    assert response["Content-Language"] == "sw"
    names = {item["short_code"]: item["name"] for item in response.json()["results"]}
    assert names == {"121": "Mfuko wa Bima ya Afya", "122": "Hospitali ya Taifa Muhimbili"}


def test_institutions_are_paginated_with_a_capped_page_size(client):
    body = client.get("/api/v1/institutions/?page_size=3").json()
    assert len(body["results"]) == 3 and body["count"] >= 10
    assert "page=2" in body["next"] and body["previous"] is None
    capped = client.get("/api/v1/institutions/?page_size=100000").json()
    assert len(capped["results"]) == capped["count"]  # under the cap of 100
    errors = errors_of(client.get("/api/v1/institutions/?page=999"))
    assert errors[0]["code"] == "not_found"


def test_an_unknown_parent_is_a_400_naming_the_parameter(client):
    response = client.get("/api/v1/institutions/?parent=999999")
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "parent"


def test_an_institution_lists_its_active_services(client):
    response = client.get("/api/v1/institutions/1111/", **sw())
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Huduma kwa Wateja DAWASA" and body["parent"] == "111"
    assert body["services"] == [{"code": "1111-1", "name": "Bili za maji na mita"}]
    assert client.get("/api/v1/institutions/424242/").status_code == 404


def test_services_with_their_charter_per_kind(client):
    body = client.get("/api/v1/services/?institution=11").json()
    assert [service["code"] for service in body["results"]] == ["1111-1"]
    service = client.get("/api/v1/services/1111-1/").json()
    assert service["institution"] == "1111"
    assert service["description"].startswith("Questions and complaints")
    charter = service["charter"]
    assert charter["acknowledge_days"] == 1 and charter["resolve_days"] == 7
    assert charter["reopen_window_days"] >= 1
    terms = {term["kind"]: term for term in charter["terms"]}
    assert set(terms) == {"complaint", "suggestion", "inquiry", "compliment"}
    assert (terms["complaint"]["acknowledge_days"], terms["complaint"]["resolve_days"]) == (1, 5)
    assert terms["inquiry"]["resolve_days"] == 7


def test_services_listed_in_swahili(client):
    response = client.get("/api/v1/services/?institution=1111", **sw())
    assert response["Content-Language"] == "sw"
    [service] = response.json()["results"]
    assert service["name"] == "Bili za maji na mita"
    assert service["institution_name"] == "Huduma kwa Wateja DAWASA"
    response = client.get("/api/v1/services/?institution=424242", **sw())
    assert response.status_code == 400 and response["Content-Language"] == "sw"
    assert errors_of(response)[0]["field"] == "institution"


def test_a_service_in_swahili_and_unknown_codes(client):
    service = client.get("/api/v1/services/1111-1/", **sw()).json()
    assert service["name"] == "Bili za maji na mita"
    assert service["description"].startswith("Maswali na malalamiko")
    assert {term["kind_label"] for term in service["charter"]["terms"]} >= {"Lalamiko"}
    for code in ("1111-9", "junk", "1111"):
        response = client.get(f"/api/v1/services/{code}/")
        assert response.status_code == 404
        errors_of(response)


# --- Submitting --------------------------------------------------------------------------------


def test_submitting_needs_a_key(client):
    response = client.post("/api/v1/cases/", submission(), content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert errors_of(response)[0]["code"] == "not_authenticated"
    assert not Case.objects.filter(channel=Channel.API).exists()


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_a_wrong_or_revoked_key_is_refused_even_for_reading(client, header):
    api_client, key = keys.create_client(name="Old app")
    value = f"Api-Key {key}" if header == "HTTP_AUTHORIZATION" else key
    assert client.get("/api/v1/institutions/", **{header: value}).status_code == 200
    keys.revoke(api_client)
    for url in ("/api/v1/institutions/", "/api/v1/cases/"):
        response = client.get(url, **{header: value})
        assert response.status_code == 401
        assert errors_of(response)[0]["code"] == "authentication_failed"
    response = client.get("/api/v1/institutions/", **{header: value[:-2] + "xx"})
    assert response.status_code == 401


def test_a_submission_creates_a_case_of_the_client_with_its_pin(client, api_key):
    response = post_case(client, api_key)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == Channel.API and case.api_client.name == "Mkoa app"
    assert case.institution.short_code == "1111" and case.service.global_code == "1111-1"
    assert workflow.check_pin(case, body["pin"])
    assert body["status"] == "submitted" and body["status_label"] == "Submitted"
    assert body["kind"] == "complaint" and body["institution"] == "1111"
    assert body["service"] == "1111-1"
    assert body["submitted_at"].endswith("+03:00")
    assert body["acknowledge_due"] == body["deadline"]
    assert body["tracking_url"].endswith(f"/en/feedback/track/{case.reference}/")
    assert case.contact.phone == PHONE and case.contact.email == EMAIL  # kept, never shown
    assert_no_contact(body)


def test_the_answer_holding_the_pin_is_kept_by_no_cache_and_never_compressed(client, api_key):
    # BREACH: an answer with a secret is not compressed (config.page_cache), though asked.
    response = post_case(client, api_key, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 201 and response.json()["pin"]
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("Content-Encoding")
    replay = post_case(client, api_key, HTTP_ACCEPT_ENCODING="br", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay["Cache-Control"] == "no-store" and not replay.has_header("Content-Encoding")


def test_a_submission_in_swahili(client, api_key):
    response = post_case(client, api_key, submission(service="", institution="121"), **sw())
    assert response.status_code == 201
    body = response.json()
    assert response["Content-Language"] == "sw"
    assert body["status_label"] == "Imewasilishwa"
    assert body["institution_name"] == "Mfuko wa Bima ya Afya"
    assert "/sw/" in body["tracking_url"]
    assert Case.objects.get(reference=body["reference"]).language == "sw"


def test_without_an_institution_the_case_goes_to_screening(client, api_key):
    data = submission(service="", contact_name="", contact_phone="", contact_email="")
    body = post_case(client, api_key, {**data, "unknown": "ignored"}).json()
    case = Case.objects.get(reference=body["reference"])
    assert case.institution.short_code == "1" and case.is_anonymous
    assert not Contact.objects.filter(case=case).exists()


def test_invalid_submissions_name_each_field(client, api_key):
    data = submission(
        kind="rumour",
        subject="",
        contact_phone="12",
        contact_email="not-an-address",
        area="111",  # an agency, not a region or district
        service="9999-1",
    )
    response = post_case(client, api_key, data)
    assert response.status_code == 400
    fields = {error["field"] for error in errors_of(response)}
    assert fields == {"kind", "subject", "contact_phone", "contact_email", "area", "service"}
    assert not Case.objects.filter(channel=Channel.API).exists()


def test_a_service_outside_the_institution_named_is_refused(client, api_key):
    response = post_case(client, api_key, submission(institution="121"))
    assert response.status_code == 400
    [error] = errors_of(response)
    assert error["field"] == "service" and "is not offered by" in error["message"]


def test_validation_messages_in_swahili(client, api_key):
    response = post_case(client, api_key, submission(contact_phone="12"), **sw())
    [error] = errors_of(response)
    assert error["field"] == "contact_phone"
    assert error["message"] == str(_in_swahili(lambda: workflow.normalise_phone("12")))


def _in_swahili(call):
    with translation.override("sw"):
        try:
            call()
        except workflow.WorkflowError as error:
            return str(error.message)
    raise AssertionError("no error")


def test_not_json_nor_a_form_is_415_and_broken_json_is_400(client, api_key):
    response = client.post("/api/v1/cases/", "<xml/>", content_type="text/xml", **auth(api_key))
    assert response.status_code == 415
    assert errors_of(response)[0]["code"] == "unsupported_media_type"
    response = client.post("/api/v1/cases/", "{", content_type="application/json", **auth(api_key))
    assert response.status_code == 400
    assert errors_of(response)[0]["code"] == "parse_error"


def png(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_multipart_submission_with_attachments(client, api_key):
    data = submission(consent_to_publish="true")
    data["attachments"] = [
        SimpleUploadedFile("meter.png", png(), content_type="image/png"),
        SimpleUploadedFile("bill.png", png("blue"), content_type="image/png"),
    ]
    response = client.post("/api/v1/cases/", data, **auth(api_key))
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert sorted(case.attachments.values_list("original_name", flat=True)) == [
        "bill.png",
        "meter.png",
    ]
    assert case.consent_to_publish


def test_attachments_are_checked_like_the_web(client, api_key):
    data = submission()
    data["attachments"] = [
        SimpleUploadedFile("ok.png", png(), content_type="image/png"),
        SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 100, content_type="image/png"),
    ]
    response = client.post("/api/v1/cases/", data, **auth(api_key))
    assert response.status_code == 400
    [error] = errors_of(response)
    assert error["field"] == "attachments.1" and error["code"] == "file_type"
    too_many = submission()
    too_many["attachments"] = [
        SimpleUploadedFile(f"{n}.png", png(), content_type="image/png")
        for n in range(settings.ATTACHMENT_MAX_FILES + 1)
    ]
    response = client.post("/api/v1/cases/", too_many, **auth(api_key))
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "attachments"
    assert not Attachment.objects.exists()


def test_a_retry_with_the_same_key_answers_the_first_case(client, api_key):
    first = post_case(client, api_key, HTTP_IDEMPOTENCY_KEY="order-17:a")
    again = post_case(client, api_key, HTTP_IDEMPOTENCY_KEY="order-17:a")
    assert first.status_code == 201 and first.json()["pin"]
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["pin"] is None
    assert Case.objects.filter(channel=Channel.API).count() == 1
    case = Case.objects.get()
    assert case.idempotency_key == keys.submission_key(case.api_client, "order-17:a")


def test_another_client_or_key_makes_another_case(client, api_key):
    _other, other_key = keys.create_client(name="Other app")
    one = post_case(client, api_key, HTTP_IDEMPOTENCY_KEY="k1").json()
    two = post_case(client, other_key, HTTP_IDEMPOTENCY_KEY="k1").json()
    three = post_case(client, api_key, HTTP_IDEMPOTENCY_KEY="k2").json()
    assert len({one["reference"], two["reference"], three["reference"]}) == 3


def test_a_retried_multipart_submission_keeps_no_second_set_of_files(client, api_key):
    def send():
        data = submission()
        data["attachments"] = [SimpleUploadedFile("a.png", png(), content_type="image/png")]
        return client.post("/api/v1/cases/", data, HTTP_IDEMPOTENCY_KEY="files-1", **auth(api_key))

    assert send().status_code == 201
    assert send().status_code == 200
    assert Attachment.objects.count() == 1 and Attachment.objects.get().case is not None


def test_a_malformed_idempotency_key_is_a_400(client, api_key):
    response = post_case(client, api_key, HTTP_IDEMPOTENCY_KEY="not a key!")
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "Idempotency-Key"


# --- Looking a case up ------------------------------------------------------------------------


def test_a_case_looked_up_shows_its_public_fields_only(client):
    case = submit_case(contact=workflow.ContactDetails(name=NAME, phone=PHONE, email=EMAIL)).case
    formatted = references.format_reference(case.reference).replace(" ", "-")
    response = client.get(f"/api/v1/cases/{formatted}/")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference
    assert body["status"] == "submitted" and body["deadline_kind"] == "acknowledge"
    assert body["institution"] == "1111" and body["service"] == "1111-1"
    assert "pin" not in body and "events" not in body and "subject" not in body
    assert_no_contact(body)
    swahili = client.get(f"/api/v1/cases/{case.reference}/", **sw()).json()
    assert swahili["status_label"] == "Imewasilishwa" and swahili["kind_label"] == "Lalamiko"


def test_a_malformed_reference_is_a_400_with_the_references_message(client):
    response = client.get("/api/v1/cases/1234567891/")
    assert response.status_code == 400
    [error] = errors_of(response)
    assert error == {
        "field": "reference",
        "code": "typo",
        "message": "This number has a typo: please check each digit.",
    }
    response = client.get("/api/v1/cases/12345/", **sw())
    assert errors_of(response)[0]["code"] == "wrong_length"
    with translation.override("sw"):
        assert errors_of(response)[0]["message"] == str(
            references._("A reference number has 10 digits.")
        )


def test_an_unknown_reference_is_a_404(client):
    response = client.get(f"/api/v1/cases/{NOBODYS}/")
    assert response.status_code == 404
    assert errors_of(response)[0]["code"] == "not_found"


def test_look_ups_are_counted_per_address(client, settings):
    settings.REFERENCE_LOOKUPS_PER_ADDRESS = 3
    case = submit_case().case
    for _n in range(3):
        assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    response = client.get(f"/api/v1/cases/{case.reference}/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert errors_of(response)[0]["code"] == "too_many_attempts"
    other = client.get(f"/api/v1/cases/{case.reference}/", REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


# --- The exchange, with the PIN ------------------------------------------------------------------


def pin_header(pin: str) -> dict:
    return {"HTTP_X_CASE_PIN": pin}


def wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def test_the_exchange_needs_the_right_pin(client):
    sent = submit_case()
    url = f"/api/v1/cases/{sent.case.reference}/exchange/"
    response = client.get(url)
    assert response.status_code == 403
    assert errors_of(response)[0]["code"] == "pin_required"
    response = client.get(url, **pin_header(wrong(sent.pin)))
    assert response.status_code == 403
    assert errors_of(response)[0] == {
        "field": "X-Case-PIN",
        "code": "wrong_pin",
        "message": "That PIN does not match this reference number.",
    }
    response = client.get(f"/api/v1/cases/{NOBODYS}/exchange/", **pin_header(sent.pin))
    assert response.status_code == 404
    response = client.get(url + "?pin=" + sent.pin)  # never from the URL
    assert response.status_code == 403


def test_wrong_pins_are_throttled_with_retry_after(client, settings):
    settings.PIN_FREE_ATTEMPTS = 2
    sent = submit_case()
    url = f"/api/v1/cases/{sent.case.reference}/exchange/"
    for _attempt in range(2):
        assert client.get(url, **pin_header(wrong(sent.pin))).status_code == 403
    response = client.get(url, **pin_header(sent.pin))
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.PIN_BACKOFF_FIRST_SECONDS
    assert errors_of(response)[0]["code"] == "too_many_attempts"


def test_the_exchange_shows_the_story_and_the_actions_now_open(client):
    case = case_in(Status.RESOLVED)
    pin = _new_pin(case)
    response = client.get(f"/api/v1/cases/{case.reference}/exchange/", **pin_header(pin))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["subject"] == case.subject and body["status"] == "resolved"
    kinds = [(event["type"], event["by"]) for event in body["events"]]
    assert kinds[0] == ("submitted", "citizen")
    assert ("transition", "institution") in kinds
    resolved = next(event for event in body["events"] if event["to_status"] == "resolved")
    assert resolved["text"] == "Bill corrected." and resolved["to_status_label"] == "Resolved"
    assert resolved["time"].endswith("+03:00")
    actions = {action["name"]: action for action in body["actions"]}
    assert set(actions) == set(workflow.allowed_actions(case, workflow.citizen_of(case)))
    assert set(actions) >= {"close", "reopen", "rate", "add_information"}
    score = next(param for param in actions["rate"]["params"] if param["name"] == "score")
    assert score["kind"] == "score" and score["required"]
    assert [choice["value"] for choice in score["choices"]] == ["5", "4", "3", "2", "1"]
    assert actions["reopen"]["url"].endswith(f"/api/v1/cases/{case.reference}/actions/reopen/")
    assert body["reopen_until"] and body["appeal"] is None and body["merged_into"] is None
    assert_no_contact(body)


def _new_pin(case) -> str:
    """Give a case a PIN we know (the factories' cases were submitted with one we did not keep)."""
    pin = "246810"
    Case.objects.filter(pk=case.pk).update(pin_digest=workflow.pin_digest(case.reference, pin))
    case.refresh_from_db()
    return pin


def test_the_exchange_in_swahili(client):
    case = case_in(Status.RESOLVED)
    body = client.get(
        f"/api/v1/cases/{case.reference}/exchange/", **pin_header(_new_pin(case)), **sw()
    ).json()
    assert body["status_label"] == "Imetatuliwa"
    close = next(action for action in body["actions"] if action["name"] == "close")
    with translation.override("sw"):
        assert close["label"] == str(workflow.ACTIONS["close"].button)
    with translation.override("en"):
        assert close["label"] != str(workflow.ACTIONS["close"].button)


def test_a_merged_case_points_to_the_case_it_follows(client):
    survivor = submit_case().case
    merged = submit_case().case
    lead = actor("lead")
    workflow.acknowledge(survivor, by=lead)
    workflow.merge(merged, by=lead, into=survivor)
    body = client.get(
        f"/api/v1/cases/{merged.reference}/exchange/", **pin_header(_new_pin(merged))
    ).json()
    assert body["merged_into"]["reference"] == survivor.reference
    assert body["merged_into"]["status"] == "acknowledged"


# --- Citizen actions through the table ---------------------------------------------------------


def act(client, case, name, data, pin, **headers):
    return client.post(
        f"/api/v1/cases/{case.reference}/actions/{name}/",
        json.dumps(data),
        content_type="application/json",
        **pin_header(pin),
        **headers,
    )


def test_every_citizen_action_of_the_table_has_a_route():
    from django.urls import reverse

    citizens_actions = [n for n, a in workflow.ACTIONS.items() if "citizen" in a.roles]
    assert set(citizens_actions) >= {"add_information", "rate", "reopen", "appeal", "close"}
    for name in citizens_actions:
        assert reverse(f"api:action-{name}", args=["1"]).endswith(f"/actions/{name}/")


def test_add_information(client):
    case = case_in(Status.AWAITING_CITIZEN)
    response = act(client, case, "add_information", {"body": "Meter 4711."}, _new_pin(case))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["events"][-1]["text"] == "Meter 4711." and body["events"][-1]["by"] == "citizen"
    case.refresh_from_db()
    assert case.status != Status.AWAITING_CITIZEN


def test_rate_with_a_score_from_the_table(client):
    case = case_in(Status.RESOLVED)
    pin = _new_pin(case)
    response = act(client, case, "rate", {"score": 6}, pin)
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "score"
    response = act(client, case, "rate", {"score": 4, "comment": "Quick."}, pin)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.satisfaction == 4


def test_an_action_answers_the_exchange_in_swahili(client):
    case = case_in(Status.RESOLVED)
    response = act(client, case, "rate", {"score": 5}, _new_pin(case), **sw())
    assert response.status_code == 200 and response["Content-Language"] == "sw"
    rated = response.json()["events"][-1]
    assert rated["type"] == "rated" and rated["by"] == "citizen"
    assert rated["type_label"] != "Rated"


def test_reopen_needs_its_reason(client):
    case = case_in(Status.RESOLVED)
    pin = _new_pin(case)
    response = act(client, case, "reopen", {}, pin)
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "reason"
    response = act(client, case, "reopen", {"reason": "Still wrong."}, pin)
    assert response.status_code == 200
    assert response.json()["status"] == "reopened"


def test_close_confirms_the_resolution_then_appeal(client):
    case = case_in(Status.RESOLVED)
    pin = _new_pin(case)
    response = act(client, case, "close", {}, pin)
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["appeal_until"]
    response = act(client, case, "appeal", {"reason": "The bill is still wrong."}, pin)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "appealed" and body["appeal"]["institution"]
    assert body["appeal"]["decision"] == ""


def test_an_action_not_open_now_is_a_409_with_the_refusal(client):
    case = case_in(Status.SUBMITTED)
    response = act(client, case, "reopen", {"reason": "x"}, _new_pin(case))
    assert response.status_code == 409
    [error] = errors_of(response)
    refusal = workflow.refusal("reopen", case, workflow.citizen_of(case))
    assert error["message"] == refusal.message and error["code"] == refusal.code
    # In Swahili too.
    response = act(client, case, "reopen", {"reason": "x"}, _new_pin(case), **sw())
    assert response.status_code == 409
    with translation.override("sw"):
        in_swahili = workflow.refusal("reopen", case, workflow.citizen_of(case)).message
    assert errors_of(response)[0]["message"] == in_swahili != refusal.message


def test_actions_need_the_pin_and_unknown_ones_do_not_exist(client):
    case = case_in(Status.RESOLVED)
    pin = _new_pin(case)
    assert act(client, case, "close", {}, wrong(pin)).status_code == 403
    response = act(client, case, "resolve", {"response": "Done."}, pin)  # staff's, no route
    assert response.status_code == 404
    errors_of(response)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


# --- Errors everywhere -------------------------------------------------------------------------


def test_unknown_api_urls_answer_json(client):
    for url in ("/api/v1/nothing/", "/api/v2/institutions/", "/api/"):
        response = client.get(url, **sw())
        assert response.status_code == 404
        assert errors_of(response)[0]["code"] == "not_found"


def test_a_wrong_method_and_a_wrong_accept(client):
    response = client.delete("/api/v1/institutions/")
    assert response.status_code == 405
    assert errors_of(response)[0]["code"] == "method_not_allowed"
    response = client.get("/api/v1/institutions/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert errors_of(response)[0]["code"] == "not_acceptable"


def test_throttled_clients_get_429_with_retry_after(client):
    _busy, key = keys.create_client(name="Busy app", requests_per_minute=2)
    for _n in range(2):
        assert client.get("/api/v1/institutions/", **auth(key)).status_code == 200
    response = client.get("/api/v1/institutions/", **auth(key))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert errors_of(response)[0]["code"] == "throttled"


def test_anonymous_callers_are_throttled_per_address(client, settings):
    settings.API_ANONYMOUS_RATE = "2/hour"  # fixed windows: no minute may end mid-test
    for _n in range(2):
        assert client.get("/api/v1/services/").status_code == 200
    response = client.get("/api/v1/services/")
    assert response.status_code == 429 and response["Retry-After"]
    assert client.get("/api/v1/services/", REMOTE_ADDR="203.0.113.5").status_code == 200


def test_an_unexpected_error_is_a_500_in_the_error_shape(client, monkeypatch):
    from feedback.channels.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "_codes_by_path", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/institutions/")
    assert response.status_code == 500
    assert errors_of(response)[0]["code"] == "server_error"
    assert "boom" not in response.content.decode()


# --- Published outcomes ----------------------------------------------------------------------


@pytest.fixture(params=["database", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def published(request, db):
    """Three published outcomes (and one case that did not consent), loaded into the engine
    the API's get_engine() answers with: the database's, or Elasticsearch (ELASTICSEARCH_URL)."""
    from django.test import override_settings

    from tests.search.conftest import SESSION_PREFIX, institution, require_elasticsearch
    from tests.search.factories import publish_outcome

    water = water_service_()
    made = {
        "meter": publish_outcome(
            summary="Water bill doubled after a faulty meter reading",
            response="The meter was replaced and the bill corrected.",
            service=water,
            area=institution("1811"),
            verdict="closed",
        ),
        "maji": publish_outcome(
            summary="Bili ya maji imeongezeka mara mbili",
            response="Mita ilisomwa upya.",
            language="sw",
            service=water,
            area=institution("181"),
            submitted="2025-06-02",
        ),
        "wodi": publish_outcome(
            summary="Wauguzi walitusaidia sana",
            response="Pongezi zimefikishwa.",
            language="sw",
            kind="compliment",
            institution=institution("122"),
        ),
    }
    references_ = {name: outcome.case.reference for name, outcome in made.items()}
    if request.param == "database":
        with override_settings(ELASTICSEARCH_URL=""):
            from search.engines import get_engine

            get_engine().rebuild(public_documents())
            yield references_
        return
    require_elasticsearch()
    from search.engines.elasticsearch import ElasticsearchEngine, get_client

    prefix = f"{SESSION_PREFIX}-api"
    try:
        with override_settings(ELASTICSEARCH_INDEX_PREFIX=prefix):
            ElasticsearchEngine(refresh=True).rebuild(public_documents())
            yield references_
    finally:
        client = get_client()
        names = list(client.indices.get(index=f"{prefix}-*"))
        if names:  # the cluster refuses wildcard deletes: name them
            client.indices.delete(index=",".join(names), ignore_unavailable=True)


def water_service_():
    from tests.feedback.factories import water_service

    return water_service()


def test_outcomes_are_searched_with_facets_in_codes(client, published):
    response = client.get("/api/v1/outcomes/?q=meter&sort=newest&whatever=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["page_size"] == 20
    [hit] = body["results"]
    assert hit["reference"] == published["meter"]
    assert hit["institution"] == "DAWASA Customer Care" and hit["kind"] == "complaint"
    assert hit["satisfaction"] == "satisfied" and hit["deadline_met"] is True
    everything = client.get("/api/v1/outcomes/").json()
    assert everything["count"] == 3
    facets = everything["facets"]
    kinds = {value["value"]: value for value in facets["kind"]}
    assert kinds["complaint"]["count"] == 2 and kinds["complaint"]["label"] == "Complaint"
    services = {value["value"]: value["count"] for value in facets["service"]}
    assert services == {"1111-1": 2}
    institutions = {value["value"] for value in facets["institution"]}
    assert {"1", "11", "111", "1111", "122"} <= institutions  # short codes, never ids
    assert {value["value"] for value in facets["region"]} >= {"181"}
    assert_no_contact(everything)


def test_outcome_filters_take_codes(client, published):
    by_service = client.get("/api/v1/outcomes/?service=1111-1").json()
    assert {hit["reference"] for hit in by_service["results"]} == {
        published["meter"],
        published["maji"],
    }
    by_institution = client.get("/api/v1/outcomes/?institution=12&kind=compliment").json()
    assert [hit["reference"] for hit in by_institution["results"]] == [published["wodi"]]
    by_region = client.get("/api/v1/outcomes/?region=181").json()
    assert by_region["count"] == 2


def test_outcome_search_in_swahili_and_bad_parameters(client, published):
    body = client.get("/api/v1/outcomes/?kind=compliment", **sw()).json()
    assert body["results"][0]["kind_label"] == "Pongezi"
    assert body["results"][0]["institution"] == "Hospitali ya Taifa Muhimbili"
    response = client.get("/api/v1/outcomes/?year=soon&institution=31337&sort=x")
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "institution"
    response = client.get("/api/v1/outcomes/?year=soon&sort=x")
    assert {error["field"] for error in errors_of(response)} == {"year", "sort"}
    response = client.get("/api/v1/outcomes/?page=9")
    assert response.status_code == 404
    errors_of(response)


def test_one_published_outcome(client, published):
    response = client.get(f"/api/v1/outcomes/{published['maji']}/", **sw())
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == published["maji"] and body["language"] == "sw"
    assert body["summary"] == "Bili ya maji imeongezeka mara mbili"
    unpublished = submit_case().case
    assert client.get(f"/api/v1/outcomes/{unpublished.reference}/").status_code == 404
    assert client.get("/api/v1/outcomes/123/").status_code == 400


def test_the_search_down_is_a_503_in_the_error_shape(client, monkeypatch):
    from feedback.channels.api import views
    from search.engines.elasticsearch import SearchEngineUnavailable

    class Down:
        def search(self, params):
            raise SearchEngineUnavailable("no answer")

    monkeypatch.setattr(views, "get_engine", Down)
    response = client.get("/api/v1/outcomes/", **sw())
    assert response.status_code == 503
    assert errors_of(response)[0]["code"] == "unavailable"


def test_cors_is_off_unless_origins_are_listed(client, settings):
    origin = {"HTTP_ORIGIN": "https://app.example.org"}
    response = client.get("/api/v1/institutions/", **origin)
    assert "Access-Control-Allow-Origin" not in response
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    preflight = client.options(
        "/api/v1/cases/1234567890/exchange/",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-case-pin",
        **origin,
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "x-case-pin" in preflight["Access-Control-Allow-Headers"]
    response = client.get("/api/v1/institutions/", **origin)
    assert "retry-after" in response["Access-Control-Expose-Headers"]
