"""Hostile input on the gateway's callbacks: USSD, its session events, inbound SMS and the
delivery reports. Each answers in the gateway's own format (plain text), never a 5xx."""

import pytest

from feedback.models import Case
from tests.hostile.conftest import assert_sane
from tests.hostile.corpus import HOSTILE_PARAMS, HOSTILE_TEXT, MEGABYTE, PARAM_CLASSES, VALID_ODD

pytestmark = pytest.mark.django_db
PHONE = "+255712345678"
CALLBACKS = {
    "/channels/ussd/": {
        "sessionId": "ATUid_hostile",
        "serviceCode": "*152*00#",
        "phoneNumber": PHONE,
        "networkCode": "63902",
        "text": "1",
    },
    "/channels/ussd/events/": {
        "sessionId": "ATUid_hostile",
        "phoneNumber": PHONE,
        "status": "Success",
        "durationInMillis": "2000",
        "date": "2026-11-26 10:00:00",
    },
    "/channels/sms/": {
        "from": PHONE,
        "to": "15000",
        "text": "MALALAMIKO 1111 Bili ya maji imeongezeka",
        "date": "2026-11-26 10:00:00",
        "id": "ATXid_hostile",
        "linkId": "link-1",
    },
    "/channels/sms/delivery/": {
        "id": "ATXid_hostile",
        "status": "Failed",
        "failureReason": "UserInBlacklist",
        "phoneNumber": PHONE,
        "networkCode": "63902",
        "retryCount": "0",
    },
}
FIELDS = [(url, name) for url, form in CALLBACKS.items() for name in form]


def is_plain(answer):
    assert answer["Content-Type"].startswith("text/plain"), answer["Content-Type"]


@pytest.mark.parametrize(("url", "field"), FIELDS, ids=[f"{u}{n}" for u, n in FIELDS])
@pytest.mark.parametrize(("payload_name", "payload"), PARAM_CLASSES[:3])
def test_hostile_value_in_each_callback_field(client, url, field, payload_name, payload):
    answer = client.post(url, {**CALLBACKS[url], field: payload})
    assert_sane(answer, where=f"{url} {field}={payload_name}")
    is_plain(answer)
    assert answer.status_code in (200, 400), answer.status_code


@pytest.mark.parametrize("url", sorted(CALLBACKS))
@pytest.mark.parametrize(("payload_name", "payload"), [*HOSTILE_TEXT, *HOSTILE_PARAMS[4:9]])
def test_hostile_text_in_every_callback_field(client, url, payload_name, payload):
    answer = client.post(url, dict.fromkeys(CALLBACKS[url], payload))
    assert_sane(answer, where=f"{url} every field={payload_name}")
    is_plain(answer)
    assert answer.status_code in (200, 400), answer.status_code


@pytest.mark.parametrize("url", ["/channels/ussd/", "/channels/sms/"])
def test_a_megabyte_of_text(client, url):
    answer = client.post(url, {**CALLBACKS[url], "text": MEGABYTE})
    assert_sane(answer, where=f"{url} 1MB")
    is_plain(answer)


@pytest.mark.parametrize("url", sorted(CALLBACKS))
def test_missing_fields_get_json_and_repeated_fields(client, url):
    for answer in (
        client.post(url, {}),
        client.get(url, CALLBACKS[url]),
        client.post(url, b'{"text": "1"}', content_type="application/json"),
        client.post(url, {name: [value, "<script>"] for name, value in CALLBACKS[url].items()}),
    ):
        assert_sane(answer, where=f"{url} odd request")


@pytest.mark.parametrize(("payload_name", "payload"), VALID_ODD)
def test_valid_odd_text_by_sms_is_stored_exactly(client, payload_name, payload):
    payload = f"Maji hayatoki: {payload}"  # words first: a description of flags alone is no case
    form = {**CALLBACKS["/channels/sms/"], "text": f"MALALAMIKO 1111 {payload}", "id": payload_name}
    answer = client.post("/channels/sms/", form)
    assert answer.status_code == 200
    case = Case.objects.get()
    assert case.description == payload, (payload_name, case.description)
