"""The API's OpenAPI schema: generated from the code, valid, with the error shape on every
operation; browsable docs from the sidecar; and schemathesis run against every operation."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import response_schema_conformance

from feedback import workflow
from feedback.channels import keys
from feedback.models import Case, Status
from search.documents import public_documents
from search.engines import get_engine
from tests.feedback.factories import case_in

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 12


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning; --validate checks it against the OpenAPI 3 spec.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")
    assert "/admin/api/" not in out.read_text()  # the REST API alone, not Wagtail's


def citizen_actions() -> list[str]:
    return [name for name, action in workflow.ACTIONS.items() if "citizen" in action.roles]


def test_the_schema_is_served_as_yaml_and_json_with_the_error_shape_everywhere(client):
    assert client.get("/api/v1/schema/").content.startswith(b"openapi: 3")
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["errors"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "X-Api-Key"
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert all(path.startswith("/api/v1/") for path, _method, _operation in operations)
    # Nine routes of their own, and one per citizen action of the table.
    assert len(operations) == 9 + len(citizen_actions())
    for name in citizen_actions():
        assert f"/api/v1/cases/{{reference}}/actions/{name}/" in schema["paths"]
    for path, method, operation in operations:
        for code in ("400", "401", "404", "429", "500"):
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method, code)
    submit = schema["paths"]["/api/v1/cases/"]["post"]
    assert submit["security"] == [{"ApiKey": []}]  # no anonymous submissions
    assert set(submit["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "200"} <= set(submit["responses"])
    # Each citizen action's body comes from its Params in the table.
    rate = schema["paths"]["/api/v1/cases/{reference}/actions/rate/"]["post"]
    body = rate["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    properties = schema["components"]["schemas"][body]["properties"]
    assert set(properties) == {param.name for param in workflow.ACTIONS["rate"].params}


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    # Issue 19 (strict CSP): the start-up script, naming the schema, is a file of its own.
    assert '<script src="/api/v1/docs/?script="></script>' in page
    assert "/api/v1/schema/" in client.get("/api/v1/docs/?script=").content.decode()


@pytest.fixture
def in_test_transaction():
    """Django's WSGI application closes the database connection after each request; within a
    test's transaction (PostgreSQL) that ends the test's connection. django.test.Client does
    the same as this while it calls the application."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def prepared(settings, in_test_transaction):
    """A client with room for every generated request, a case with a known PIN and an
    outcome to find, so the operations go past their first checks."""
    settings.REFERENCE_LOOKUPS_PER_ADDRESS = 100_000
    settings.PIN_FAILURES_PER_ADDRESS = 100_000
    settings.PIN_FREE_ATTEMPTS = 100_000
    settings.API_ANONYMOUS_RATE = "100000/minute"
    settings.ALLOWED_HOSTS = ["*"]
    settings.ELASTICSEARCH_URL = ""  # the database engine: this is about the API, not engines
    _client, key = keys.create_client(name="Schemathesis", requests_per_minute=100_000)
    case = case_in(Status.RESOLVED)
    pin = "135790"
    Case.objects.filter(pk=case.pk).update(pin_digest=workflow.pin_digest(case.reference, pin))
    get_engine().rebuild(public_documents())
    return {"key": key, "reference": case.reference, "pin": pin}


def api_operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation, prepared) -> None:
    """Up to EXAMPLES_PER_OPERATION generated requests, each checked for a 5xx and against
    the response schema. Operations on a case get the prepared case and its PIN."""
    # identity: schemathesis's WSGI transport asks for gzip and Brotli but does not decode them
    # (an HTTP client does; the compression itself is tests/config/test_compression.py's).
    headers = {
        "X-Api-Key": prepared["key"],
        "X-Case-PIN": prepared["pin"],
        "Accept-Encoding": "identity",
    }
    checks = [not_a_server_error, response_schema_conformance]
    on_a_case = "{reference}" in operation.path and "/outcomes/" not in operation.path
    path_parameters = {"reference": prepared["reference"]} if on_a_case else None

    @given(case=operation.as_strategy(path_parameters=path_parameters, headers=headers))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    run()


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(prepared):
    operations = api_operations()
    assert len(operations) == 9 + len(citizen_actions())
    for operation in operations:
        fuzz(operation, prepared)


def test_schemathesis_fails_when_an_endpoint_breaks(prepared, monkeypatch):
    from feedback.channels.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(views, "_codes_by_path", broken)
    [institutions] = [op for op in api_operations() if op.path == "/api/v1/institutions/"]
    with pytest.raises(FailureGroup) as failed:
        fuzz(institutions, prepared)
    assert [type(error) for error in failed.value.exceptions] == [ServerError]
