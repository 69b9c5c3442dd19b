"""Site-wide request handling that belongs to no one app: refuse input that could not be
read or stored (a clear 400, never a 500), and answer 503 when SQLite is busy."""

from collections.abc import Callable

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string

# Django decodes parameters with errors="replace": bytes that are not valid in the declared
# charset (or UTF-8) arrive as U+FFFD, so the text is already damaged. A browser posting our
# UTF-8 forms never produces one; storing it would keep the damage silently.
UNDECODABLE = "\ufffd"
# PostgreSQL refuses NUL in text and in jsonb: any view that stores the value would fail.
NUL = "\x00"


def has_unreadable_input(request: HttpRequest) -> bool:
    """Whether the query, a form field or a file name holds what no view can keep.

    One check for every view, because every view that stores what it receives is exposed.
    """
    if not _decodes(request.META.get("QUERY_STRING", "").encode("iso-8859-1", "replace")):
        return True
    if request.content_type == "application/x-www-form-urlencoded" and not _decodes(request.body):
        return True
    queries: list[QueryDict] = [request.GET]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        queries.append(request.POST)  # only form bodies are parsed; JSON stays unread
    for query in queries:
        for name, values in query.lists():
            if any(_unreadable(text) for text in (name, *values)):
                return True
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for name, files in request.FILES.lists():
            if _unreadable(name) or any(_unreadable(upload.name or "") for upload in files):
                return True
    return False


def _decodes(raw: bytes) -> bool:
    # Django falls back to Latin-1 for a form body or query that is not UTF-8, guessing.
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unreadable(text: str) -> bool:
    return NUL in text or UNDECODABLE in text


class UnreadableInputMiddleware:
    """Answer 400 with an explanation before any view sees input it could not keep."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            unreadable = has_unreadable_input(request)
        except BadRequest:  # Django reads form bodies only as UTF-8 and says so this way
            unreadable = True
        except RequestDataTooBig:  # past DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own 400
            answer = _own_answer(request.path_info)
            if answer is None:
                raise
            return answer(request)
        if unreadable:
            answer = _own_answer(request.path_info)
            if answer is not None:
                return answer(request)
            return render(request, "400_unreadable.html", status=400)
        return self.get_response(request)


def _own_answer(path: str):
    """The view that answers unreadable input under this path in its own wire format
    (settings.UNREADABLE_INPUT_ANSWERS: a path prefix and a dotted path), if any."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for prefix, dotted in getattr(settings, "UNREADABLE_INPUT_ANSWERS", {}).items():
        if path.startswith(prefix):
            return import_string(dotted)
    return None


RETRY_AFTER_SECONDS = 5


class DatabaseBusyMiddleware:
    """On the development SQLite file a writer can still time out waiting for the lock:
    answer 503 with Retry-After (nothing was saved, try again) rather than a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
