"""The GeoReport v2 endpoints: parse the spec's parameters, call the domain, answer in the
format the resource's suffix names. Submitting goes through workflow.submit like every
channel; reading shows public fields only.

Which cases GET shows, and why:
- the list (no service_request_id) holds the cases whose outcome may be published
  (Case.objects.publishable(): the citizen consented, not confidential), of every channel,
  as the public outcome search does. Listing every case would publish every reference
  number, and a reference is what keeps a stranger from trying PINs on cases (the web
  counts look-ups per address for that reason);
- a case named by its reference (requests/{id}, service_request_id=...) is shown like the
  web's look-up without a PIN (status, service, dates, the agency), for any case but a
  confidential one, and each reference named counts as one look-up of this address
  (citizens.limit_lookups), so no one walks the space of references through Open311;
- never contact details; the citizen's own words and the institution's status note only
  where the case's outcome may be published.
"""

import re
import uuid
from collections.abc import Mapping
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import citizens, references, tracking, workflow
from feedback.channels import keys
from feedback.channels.api.parsers import JSONParser
from feedback.channels.auth import ApiKeyAuthentication, key_from_headers
from feedback.channels.open311 import wire
from feedback.channels.open311.errors import Open311Error, exception_handler
from feedback.channels.open311.formats import (
    RENDERERS,
    Document,
    GeoReportFormParser,
    GeoReportJSONRenderer,
    GeoReportXMLRenderer,
)
from feedback.channels.open311.forms import MAX_RESULTS, RequestFilterForm, SubmitForm
from feedback.models import (
    GLOBAL_CODE_SEPARATOR,
    Case,
    Channel,
    Kind,
    NotifyBy,
    Service,
    service_by_global_code,
)

# The arguments a POST may carry (the attribute[...] ones are read apart); others are ignored.
SUBMIT_ARGUMENTS = [name for name in SubmitForm.base_fields if name not in wire.ATTRIBUTES]
SUBJECT_WORDS = 8


class Open311KeyAuthentication(ApiKeyAuthentication):
    """The shared key check, also fed by the spec's `api_key` argument of a POST body (never
    read from a URL: URLs end up in logs)."""

    def authenticate(self, request):
        key = key_from_headers(request)
        if not key and request.method == "POST":
            data = request.data
            key = data.get("api_key") if isinstance(data, Mapping) else None
            key = key.strip() if isinstance(key, str) else ""
        if not key:
            return None
        return self.authenticate_key(key)


def active_services():
    return Service.objects.filter(is_active=True, institution__is_active=True).select_related(
        "institution"
    )


def named_cases():
    """The cases anyone may look up by reference through Open311: all but confidential ones."""
    return Case.objects.filter(is_confidential=False).select_related(
        "service__institution", "institution", "escalated_to"
    )


def listed_cases():
    """The cases Open311's list shows without references named: published-outcome cases."""
    return named_cases().filter(consent_to_publish=True)


def count_lookups(request, references_named) -> None:
    """Count each reference named as one look-up from this address (a 429 past the web's
    per-address limit): Open311 is no faster a way to find which references exist."""
    client = tracking.client_address(request)
    for _reference in references_named:
        try:
            citizens.limit_lookups(client)
        except citizens.TooManyAttempts as error:
            raise Open311Error(
                status.HTTP_429_TOO_MANY_REQUESTS,
                error.message,
                headers={"Retry-After": str(error.retry_after)},
            ) from None


class Open311View(APIView):
    authentication_classes = [Open311KeyAuthentication]
    renderer_classes = [GeoReportXMLRenderer, GeoReportJSONRenderer]
    parser_classes = [GeoReportFormParser, JSONParser]
    # The spec's methods only: OPTIONS (DRF's metadata) and the rest answer 405 in the spec's
    # format. CORS preflights never get here (django-cors-headers answers them).
    http_method_names = ["get", "post", "head"]
    # Not part of the REST API's OpenAPI schema: the GeoReport v2 specification documents it.
    schema = None
    checks_jurisdiction = True

    def get_exception_handler(self):
        return exception_handler

    def perform_content_negotiation(self, request, force=False):
        # The suffix alone names the format (the spec's way); XML, the required one, when a
        # path has none (an unknown resource's 404).
        renderer = RENDERERS.get(self.kwargs.get("format"), GeoReportXMLRenderer)()
        return renderer, renderer.media_type

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.checks_jurisdiction:
            check_jurisdiction(request)


def argument(request, name: str) -> str:
    """One argument of the query (of the body, for a POST) as text; empty if absent, which
    the spec treats alike."""
    source = request.query_params
    if request.method == "POST" and isinstance(request.data, Mapping):
        source = request.data
    value = source.get(name)
    return value.strip() if isinstance(value, str) else ""


def check_jurisdiction(request) -> None:
    """One jurisdiction is served, so jurisdiction_id is optional; another one is unknown."""
    given = argument(request, "jurisdiction_id")
    if given and given != settings.OPEN311_JURISDICTION:
        raise Open311Error(
            status.HTTP_404_NOT_FOUND,
            _("jurisdiction_id %(given)s was not found: this endpoint serves %(ours)s.")
            % {"given": given[:100], "ours": settings.OPEN311_JURISDICTION},
        )


class DiscoveryView(Open311View):
    checks_jurisdiction = False

    def get(self, request, format):
        services = reverse("open311:services", kwargs={"format": "xml"})
        root = request.build_absolute_uri(services.removesuffix("services.xml"))
        body = {
            "changeset": wire.CHANGESET,
            "contact": _(
                "Ask the registry's administrators for help. This endpoint serves one "
                "jurisdiction, %(jurisdiction)s: jurisdiction_id may be left out."
            )
            % {"jurisdiction": settings.OPEN311_JURISDICTION},
            "key_service": _(
                "API keys are issued by the registry's administrators to organisations; "
                "a key is needed only to submit requests."
            ),
            "endpoints": [
                {
                    "specification": wire.SPECIFICATION,
                    "url": root,
                    "changeset": wire.CHANGESET,
                    "type": "production",
                    "formats": wire.FORMATS,
                }
            ],
        }
        return Response(Document("discovery", body))


class ServiceListView(Open311View):
    def get(self, request, format):
        services = active_services().order_by("institution__short_code", "code")
        body = [wire.service_entry(service) for service in services]
        return Response(Document("services", body, "service"))


def active_service(code: str) -> Service:
    service = service_by_global_code(code, active_services())
    if service is None:
        raise Open311Error(
            status.HTTP_404_NOT_FOUND,
            _("service_code %(code)s was not found.") % {"code": code[:20]},
        )
    return service


class ServiceDefinitionView(Open311View):
    def get(self, request, service_code, format):
        service = active_service(service_code)
        return Response(Document("service_definition", wire.service_definition(service)))


def _form_errors(form) -> list[str]:
    messages = []
    for field, errors in form.errors.items():
        for message in errors:
            name = f"attribute[{field}]" if field in wire.ATTRIBUTES else field
            messages.append(message if field == "__all__" else f"{name}: {message}")
    return messages


class RequestsView(Open311View):
    def get(self, request, format):
        form = RequestFilterForm(
            {name: argument(request, name) for name in RequestFilterForm.base_fields}
        )
        if not form.is_valid():
            raise Open311Error(status.HTTP_400_BAD_REQUEST, *_form_errors(form))
        wanted = form.cleaned_data
        if wanted["service_request_id"]:
            count_lookups(request, wanted["service_request_id"])
            cases = named_cases().filter(reference__in=wanted["service_request_id"])
        else:
            cases = listed_cases().filter(
                submitted_at__gte=wanted["start_date"], submitted_at__lte=wanted["end_date"]
            )
            if wanted["service_code"]:
                cases = cases.filter(services_named(wanted["service_code"]))
            if wanted["status"] == ["open"]:
                cases = cases.exclude(status__in=wire.CLOSED_STATUSES)
            elif wanted["status"] == ["closed"]:
                cases = cases.filter(status__in=wire.CLOSED_STATUSES)
        cases = cases.order_by("-submitted_at", "-pk")[:MAX_RESULTS]
        return Response(Document("service_requests", wire.request_entries(cases), "request"))

    def post(self, request, format):
        client = request.auth
        if client is None:  # no key at all (a wrong or revoked one was refused already)
            raise Open311Error(
                status.HTTP_403_FORBIDDEN, _("api_key is required to submit a request.")
            )
        if not isinstance(request.data, Mapping):
            raise Open311Error(status.HTTP_400_BAD_REQUEST, _("Send the arguments as a form."))
        arguments = self.submit_arguments(request.data)
        if not arguments["service_code"]:
            raise Open311Error(status.HTTP_400_BAD_REQUEST, _("service_code was not provided."))
        service = active_service(arguments["service_code"])
        form = SubmitForm(arguments)
        if not form.is_valid():
            raise Open311Error(status.HTTP_400_BAD_REQUEST, *_form_errors(form))
        token = self.submission_token(request, client)
        submission = submit(form.cleaned_data, service, client, token)
        case = submission.case
        body = {
            "service_request_id": case.reference,
            "token": token,
            "service_notice": service_notice(submission),
            "account_id": form.cleaned_data["account_id"] or None,
            "pin": submission.pin,
        }
        created = status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK
        # The answer holds the PIN: no cache between us and the client may keep it.
        return Response(
            Document("service_requests", [body], "request"),
            status=created,
            headers={"Cache-Control": "no-store"},
        )

    def submit_arguments(self, data: Mapping) -> dict[str, str]:
        """The declared arguments as text (a JSON body may send numbers); other values are
        refused, unknown arguments ignored."""
        arguments = {}
        attribute = data.get("attribute")
        raw = {name: data.get(name) for name in SUBMIT_ARGUMENTS}
        for code in wire.ATTRIBUTES:
            nested = attribute.get(code) if isinstance(attribute, Mapping) else None
            raw[code] = nested if nested is not None else data.get(f"attribute[{code}]")
        for name, value in raw.items():
            if value is None:
                value = ""
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                raise Open311Error(
                    status.HTTP_400_BAD_REQUEST, _("%(name)s must be text.") % {"name": name}
                )
            arguments[name] = str(value).strip()
        return arguments

    def submission_token(self, request, client) -> str:
        """The token of this submission: the client's Idempotency-Key (a retry with the same
        key finds the first case), or a fresh one; namespaced by the client."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if key and not re.match(keys.IDEMPOTENCY_KEY_PATTERN, key):
            raise Open311Error(
                status.HTTP_400_BAD_REQUEST,
                _("Idempotency-Key: use 1 to 64 letters, digits and _ . : - only."),
            )
        return keys.submission_key(client, key or uuid.uuid4().hex)


def services_named(codes: list[str]) -> Q:
    """The cases of the services these global codes name (an unknown code matches none)."""
    conditions = [Q(pk__in=[])]
    for code in codes:
        short_code, separator, own = code.partition(GLOBAL_CODE_SEPARATOR)
        if separator and short_code.isdigit() and own.isdigit():
            conditions.append(Q(service__institution__short_code=short_code, service__code=own))
    return reduce(or_, conditions)


def subject_from(description: str, service: Service) -> str:
    """The case's title: the description's first words, else the service's name."""
    words = description.split()
    if not words:
        return service.display_name
    subject = " ".join(words[:SUBJECT_WORDS])
    if len(words) > SUBJECT_WORDS:
        subject += "…"
    return subject[:200]


def submit(data: dict, service: Service, client, token: str) -> workflow.Submission:
    # The case keeps one location text: the address as typed, else the coordinates (which
    # GET gives back as lat and long), else the jurisdiction's address id.
    location = data["address_string"]
    if not location and data["lat"] is not None:
        location = wire.coordinates_location(data["lat"], data["long"])
    location = location or data["address_id"]
    name = " ".join(part for part in (data["first_name"], data["last_name"]) if part)
    contact = workflow.ContactDetails(
        name=name,
        phone=data["phone"],
        email=data["email"],
        notify_by=NotifyBy.SMS
        if data["phone"]
        else NotifyBy.EMAIL
        if data["email"]
        else NotifyBy.NONE,
    )
    try:
        return workflow.submit(
            kind=data["kind"] or Kind.COMPLAINT,
            consent_to_publish=data["publish"] == "true",
            subject=subject_from(data["description"], service),
            description=data["description"],
            service=service,
            channel=Channel.OPEN311,
            location=location,
            language=get_language() if get_language() in ("en", "sw") else "en",
            contact=contact,
            idempotency_key=token,
            api_client=client,
        )
    except workflow.InvalidPhone as error:
        raise Open311Error(status.HTTP_400_BAD_REQUEST, f"phone: {error.message}") from None
    except workflow.WorkflowError as error:
        raise Open311Error(status.HTTP_400_BAD_REQUEST, str(error.message)) from None


def service_notice(submission: workflow.Submission) -> str:
    reference = references.format_reference(submission.case.reference)
    if submission.pin is None:
        return _(
            "This request was received before as %(reference)s; its PIN was given in the "
            "first answer."
        ) % {"reference": reference}
    return _(
        "Keep the reference number %(reference)s and the PIN given with it: with both, the "
        "citizen can follow the request and answer the institution."
    ) % {"reference": reference}


def find_case(request, reference: str) -> Case:
    count_lookups(request, [reference])
    try:
        normalized = references.normalize(reference)
    except references.InvalidReference:
        normalized = ""
    case = named_cases().filter(reference=normalized).first() if normalized else None
    if case is None:
        raise Open311Error(
            status.HTTP_404_NOT_FOUND,
            _("service_request_id %(id)s was not found.") % {"id": reference[:20]},
        )
    return case


class RequestView(Open311View):
    def get(self, request, service_request_id, format):
        case = find_case(request, service_request_id)
        return Response(Document("service_requests", wire.request_entries([case]), "request"))


class TokenView(Open311View):
    def get(self, request, token, format):
        count_lookups(request, [token])  # a client's own Idempotency-Key may be guessable
        case = (
            Case.objects.filter(channel=Channel.OPEN311, idempotency_key=token)
            .only("reference", "is_confidential")
            .first()
        )
        if case is None or case.is_confidential:
            raise Open311Error(
                status.HTTP_404_NOT_FOUND, _("token %(token)s was not found.") % {"token": token}
            )
        body = [{"service_request_id": case.reference, "token": token}]
        return Response(Document("service_requests", body, "request"))


class UnknownView(Open311View):
    """Any other address under /open311/ (an unknown format suffix too): a 404 in the spec's
    error format; or another refusal made before any view (`error`)."""

    checks_jurisdiction = False
    error = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get(self, request, *args, **kwargs):
        raise self.error or Open311Error(
            status.HTTP_404_NOT_FOUND, _("Nothing was found at this address.")
        )

    post = put = patch = delete = options = get


def unreadable_input(request):
    """The 400 for a query or body that is not UTF-8 (or holds NUL), or too large to read, in
    the spec's error format, XML unless the path asks for JSON (config.middleware calls
    this)."""
    fmt = "json" if request.path_info.rstrip("/").endswith(".json") else "xml"
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > (
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        )
    except ValueError:
        too_large = False
    message = (
        _("The request is too large.")
        if too_large and settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        else _("The request is not readable UTF-8 text.")
    )
    response = UnknownView.as_view(error=Open311Error(status.HTTP_400_BAD_REQUEST, message))(
        request, format=fmt
    )
    return response.render()
