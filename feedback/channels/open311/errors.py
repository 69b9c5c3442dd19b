"""GeoReport v2's error format: a list of `code` (the HTTP status) and `description`, in XML
`errors/error`, for every refusal of the Open311 views, in the request's language."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from feedback.channels.open311.formats import Document


class Open311Error(Exception):
    """A refusal with its HTTP status and one or more descriptions."""

    def __init__(self, status_code: int, *descriptions: str, headers=None) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status_code = status_code
        self.descriptions = [str(text) for text in descriptions]
        self.headers = headers or {}


def errors_document(status_code: int, descriptions) -> Document:
    body = [{"code": status_code, "description": str(text)} for text in descriptions]
    return Document("errors", body, "error")


def error_response(error: Open311Error) -> Response:
    return Response(
        errors_document(error.status_code, error.descriptions),
        status=error.status_code,
        headers=error.headers,
    )


def as_open311_error(exc) -> Open311Error | None:
    """The Open311 refusal for an exception raised while serving a request, or None for a
    fault of ours (which stays a 500 and reaches the logs)."""
    if isinstance(exc, Open311Error):
        return exc
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return Open311Error(
            status.HTTP_429_TOO_MANY_REQUESTS,
            _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        # The spec's status for a missing, wrong or revoked key is 403, never 401.
        return Open311Error(status.HTTP_403_FORBIDDEN, invalid_key_message())
    if isinstance(exc, exceptions.PermissionDenied | PermissionDenied):
        return Open311Error(status.HTTP_403_FORBIDDEN, invalid_key_message())
    if isinstance(exc, exceptions.NotFound | Http404):
        return Open311Error(status.HTTP_404_NOT_FOUND, _("Nothing was found at this address."))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Open311Error(
            status.HTTP_405_METHOD_NOT_ALLOWED, _("This method is not allowed here.")
        )
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Open311Error(
            status.HTTP_400_BAD_REQUEST,
            _("Send the request as application/x-www-form-urlencoded (or application/json)."),
        )
    if isinstance(exc, RequestDataTooBig):
        return Open311Error(status.HTTP_400_BAD_REQUEST, _("The request is too large."))
    if isinstance(exc, exceptions.ParseError | SuspiciousOperation):
        detail = exc.detail if isinstance(exc, exceptions.ParseError) else ""
        return Open311Error(status.HTTP_400_BAD_REQUEST, detail or _("The request is malformed."))
    if isinstance(exc, exceptions.APIException):
        code = exc.status_code if exc.status_code < 500 else status.HTTP_400_BAD_REQUEST
        return Open311Error(code, str(exc.detail))
    return None


def invalid_key_message() -> str:
    return _("Invalid api_key received: the request cannot be accepted.")


def exception_handler(exc, context):
    """DRF's exception handler for the Open311 views (the REST API has its own)."""
    error = as_open311_error(exc)
    return None if error is None else error_response(error)
