"""How the OpenAPI schema (drf-spectacular) describes what the views cannot say themselves: the
API key scheme, and the one error shape on every operation."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema

from feedback.channels.api.serializers import ErrorSerializer

# Every operation may answer these in the error shape (a bad key, a throttle, a bad query...).
COMMON_ERRORS = {
    "400": "The request is not valid: one entry per problem.",
    "401": "The API key is missing (where one is needed), unknown or revoked.",
    "404": "Nothing is found at this address.",
    "406": "Only JSON is offered.",
    "429": "Too many requests: see Retry-After.",
    "500": "An error on our side.",
}


# The routes the schema describes: /api/v1/ alone (not Open311, not Wagtail's admin API).
API_URLCONF = "feedback.channels.api.schema_urls"


class ApiSchemaGenerator(SchemaGenerator):
    """SPECTACULAR_SETTINGS' generator: the schema view, `manage.py spectacular` and
    drf-spectacular's deploy check (`manage.py check --deploy`) all describe the REST API."""

    def __init__(self, *args, urlconf=None, **kwargs):
        super().__init__(*args, urlconf=urlconf or API_URLCONF, **kwargs)


RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer"},
}


class ApiSchema(AutoSchema):
    """Adds the error responses (ErrorSerializer) to every operation."""

    extra_errors: dict[str, str] = {}

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in {**COMMON_ERRORS, **self.extra_errors}.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                if code == "429":
                    response["headers"] = {"Retry-After": RETRY_AFTER}
                responses[code] = response
        return responses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "feedback.channels.auth.ApiKeyAuthentication"
    name = "ApiKey"
    # Optional on reading: drf-spectacular lists anonymous access too (AllowAny).

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": 'Your client\'s key; "Authorization: Api-Key <key>" works too.',
        }
