"""The API's and Open311's limits: a client past its own rate gets 429 in the channel's error
shape, in the request's language, with Retry-After, and its submission is not stored."""

import json

import pytest
from django.core.cache import cache
from django.utils import translation

from feedback import limits
from feedback.channels import keys
from feedback.models import Case

pytestmark = pytest.mark.django_db

API_SUBMISSION = {
    "kind": "complaint",
    "service": "1111-1",
    "subject": "Water bill doubled",
    "description": "My March bill is twice the usual amount.",
}
OPEN311_SUBMISSION = {
    "service_code": "1111-1",
    "lat": "-6.8161",
    "long": "39.2804",
    "description": "The water meter at the kiosk leaks day and night.",
}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def in_swahili(text: str) -> str:
    with translation.override("sw"):
        return translation.gettext(text)


def test_an_api_client_past_its_rate_gets_429_in_swahili_and_nothing_is_stored(client):
    api_client, key = keys.create_client(name="Busy app", requests_per_minute=2)
    headers = {"X-Api-Key": key, "Accept-Language": "sw"}
    for _n in range(2):
        answer = client.post("/api/v1/cases/", API_SUBMISSION, "application/json", headers=headers)
        assert answer.status_code == 201
    response = client.post("/api/v1/cases/", API_SUBMISSION, "application/json", headers=headers)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    (error,) = response.json()["errors"]
    assert set(error) == {"field", "code", "message"} and error["code"] == "throttled"
    assert error["message"] == in_swahili("Too many requests. Try again in %(wait)s seconds.") % {
        "wait": response["Retry-After"]
    }
    assert Case.objects.count() == 2
    assert limits.used("api-client", str(api_client.pk)) == 3


def test_an_open311_client_past_its_rate_gets_the_specs_429_and_nothing_is_stored(client):
    _client, key = keys.create_client(name="City app", requests_per_minute=1)
    headers = {"X-Api-Key": key, "Accept-Language": "sw"}
    first = client.post("/open311/v2/requests.json", OPEN311_SUBMISSION, headers=headers)
    assert first.status_code == 201
    response = client.post("/open311/v2/requests.json", OPEN311_SUBMISSION, headers=headers)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    errors = json.loads(response.content.decode())
    assert errors == [
        {
            "code": 429,
            "description": in_swahili("Too many requests. Try again in %(seconds)s seconds.")
            % {"seconds": wait},
        }
    ]
    assert Case.objects.count() == 1


def test_the_drf_throttles_count_in_the_shared_table(client, settings):
    """Both adapters' throttles are the table's counters (not DRF's own history list)."""
    settings.API_ANONYMOUS_RATE = "1/hour"
    assert client.get("/api/v1/services/").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 429  # one count, shared
    assert limits.used("api-anonymous", "127.0.0.1") == 2
