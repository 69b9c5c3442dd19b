"""One error shape for every API answer that is not a success.

    {"errors": [{"field": "contact_phone", "code": "phone", "message": "..."}]}

`field` names the input at fault (dotted for nested ones, "attachments.1"), or is null when
the error is about the request as a whole; `code` is for programs; `message` is for people,
in the request's language. DRF's own exceptions (validation, authentication, throttling,
method, media type, not found) come through `exception_handler`; URLs no view answers, under
/api/, through `not_found`; an unexpected error becomes a 500 in the same shape (and is
logged for us, never shown).
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from feedback import workflow

logger = logging.getLogger(__name__)

# Messages of our own for DRF's errors about the request as a whole (DRF's texts have no
# Swahili), by DRF's code.
MESSAGES = {
    "not_authenticated": gettext_lazy(
        "Send your API key in the Authorization header (Api-Key <key>) or in X-Api-Key."
    ),
    "authentication_failed": gettext_lazy("This API key is not valid or was revoked."),
    "permission_denied": gettext_lazy("You may not do this."),
    "not_found": gettext_lazy("Nothing is found at this address."),
    "method_not_allowed": gettext_lazy("This address does not accept the method %(method)s."),
    "not_acceptable": gettext_lazy("This API answers in JSON only."),
    "unsupported_media_type": gettext_lazy(
        "Send JSON (application/json) or a form (multipart/form-data)."
    ),
    "throttled": gettext_lazy("Too many requests. Try again in %(wait)s seconds."),
    "parse_error": gettext_lazy("The request body could not be read: %(detail)s"),
    "server_error": gettext_lazy("Something went wrong on our side. Try again later."),
    "unreadable": gettext_lazy("The request is not readable UTF-8 text, or holds a NUL character."),
    "too_large": gettext_lazy("The request is too large."),
}


class ApiError(exceptions.APIException):
    """An error of ours with its status, code, message and (optionally) field."""

    def __init__(self, message, *, code: str, status_code: int = 400, field: str | None = None):
        super().__init__(detail=str(message), code=code)
        self.status_code = status_code
        self.field = field
        self.message = str(message)
        self.code = code


class Conflict(ApiError):
    def __init__(self, message, code="conflict"):
        super().__init__(message, code=code, status_code=status.HTTP_409_CONFLICT)


class Unavailable(ApiError):
    def __init__(self, message, code="unavailable"):
        super().__init__(message, code=code, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


class TooMany(ApiError):
    """429 with Retry-After (the citizen proof's and the look-up limit's refusals)."""

    def __init__(self, message, retry_after: int, code="too_many_attempts"):
        super().__init__(message, code=code, status_code=status.HTTP_429_TOO_MANY_REQUESTS)
        self.retry_after = retry_after


def entry(field, code, message) -> dict:
    return {"field": field, "code": str(code), "message": str(message)}


def body(*entries: dict) -> dict:
    return {"errors": list(entries)}


def from_workflow(error: workflow.WorkflowError, status_code: int = 400, field=None) -> ApiError:
    return ApiError(error.message, code=error.code, status_code=status_code, field=field)


def validation_entries(detail, prefix: str | None = None) -> list[dict]:
    """One entry per message of a (possibly nested) DRF validation error; nested names are
    dotted ("attachments.0"); errors not about one field ("non_field_errors") have none."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            if name in ("non_field_errors", "__all__"):
                found += validation_entries(value, prefix)
            else:
                found += validation_entries(value, f"{prefix}.{name}" if prefix else str(name))
        return found
    if isinstance(detail, list):
        found = []
        for position, value in enumerate(detail):
            if isinstance(value, dict | list):
                # A list of per-item errors (ListField): each item is named by its position.
                name = f"{prefix}.{position}" if prefix else str(position)
                found += validation_entries(value, name)
            else:
                found += validation_entries(value, prefix)
        return found
    return [entry(prefix, getattr(detail, "code", None) or "invalid", detail)]


def retry_after(wait) -> int:
    return max(1, math.ceil(wait or 0))


def _message(exc: exceptions.APIException, code: str, request) -> str:
    if code == "method_not_allowed":
        return MESSAGES[code] % {"method": request.method if request else ""}
    if code == "throttled":
        return MESSAGES[code] % {"wait": retry_after(exc.wait)}
    if code == "parse_error":
        return MESSAGES[code] % {"detail": exc.detail}
    return str(MESSAGES.get(code) or exc.detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER (settings.REST_FRAMEWORK): every error in the one shape."""
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    headers = {}
    if isinstance(exc, ApiError):
        errors = [entry(exc.field, exc.code, exc.message)]
        if isinstance(exc, TooMany):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, exceptions.ValidationError):
        errors = validation_entries(exc.detail) or [entry(None, "invalid", exc.detail)]
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        errors = [entry(None, code, _message(exc, code, request))]
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(retry_after(exc.wait))
    else:
        logger.exception("API error on %s", request.path if request else "?", exc_info=exc)
        errors = [entry(None, "server_error", MESSAGES["server_error"])]
        return Response(body(*errors), status=500)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        headers["WWW-Authenticate"] = "Api-Key"
    response = Response(body(*errors), status=exc.status_code, headers=headers)
    return response


def not_found(request, *args, **kwargs):
    """An /api/ address no view answers (Django's own 404 would be an HTML page)."""
    return JsonResponse(body(entry(None, "not_found", MESSAGES["not_found"])), status=404)


def unreadable_input(request):
    """What config.middleware answers under /api/ for a query or form it could not read (not
    UTF-8, a NUL) or that is too large to read: a 400 in the API's error shape, not the
    site's HTML page."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        too_large = bool(limit) and int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        too_large = False
    code = "too_large" if too_large else "unreadable"
    return JsonResponse(body(entry(None, code, MESSAGES[code])), status=400)
