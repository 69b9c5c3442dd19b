"""The REST API's views: parse with a serializer, call the domain, answer with a serializer.

Every rule lives in the domain: intake (`workflow.submit`), the citizen proof
(`citizens.prove`, `citizens.limit_lookups`), the action table (`workflow.allowed_actions`,
`refusal`, `perform`), the exchange (`tracking.public_exchange`), and the search protocol
(`SearchForm` -> `get_engine().search`).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import citizens, notifications, references, tracking, workflow
from feedback.attachments import store_upload
from feedback.channels import keys
from feedback.channels.api import serializers as s
from feedback.channels.api.errors import ApiError, Conflict, TooMany, Unavailable, from_workflow
from feedback.channels.api.parsers import JSONParser
from feedback.channels.api.schema import ApiSchema
from feedback.models import Appeal, Case, Channel, Institution, Service
from search import display, facets
from search.documents import document_for, public_outcomes
from search.engines import get_engine
from search.engines.elasticsearch import SearchEngineUnavailable
from search.forms import SearchForm, page_past_end
from search.views import still_public

PIN_HEADER = "X-Case-PIN"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ApiView(APIView):
    schema = ApiSchema()


class HasApiClient(permissions.BasePermission):
    """Submitting needs a client's key (request.auth is its ApiClient)."""

    def has_permission(self, request, view):
        if request.auth is None:
            raise NotAuthenticated()
        return True


def _codes_by_path() -> dict[str, str]:
    return dict(Institution.objects.values_list("path", "short_code"))


# --- Institutions and services ----------------------------------------------------------------

PARENT = OpenApiParameter(
    "parent", str, description="Only the institutions directly under this short code."
)
INSTITUTION = OpenApiParameter(
    "institution", str, description="Only the services of this institution and those below it."
)


def _active_institution(short_code: str | None, field: str) -> Institution | None:
    if not short_code:
        return None
    found = Institution.objects.filter(short_code=short_code.strip(), is_active=True).first()
    if found is None:
        raise ApiError(_("No institution has this code."), code="unknown", field=field)
    return found


@extend_schema(parameters=[PARENT], tags=["registry"])
class InstitutionList(generics.ListAPIView):
    """Active institutions, in the tree's order."""

    schema = ApiSchema()
    serializer_class = s.InstitutionSerializer
    pagination_class = Pages

    def get_queryset(self):
        institutions = Institution.objects.filter(is_active=True).order_by("path")
        parent = _active_institution(self.request.query_params.get("parent"), "parent")
        if parent is not None:
            institutions = institutions.filter(path__startswith=parent.path, depth=parent.depth + 1)
        return institutions

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "codes_by_path": _codes_by_path()}


@extend_schema(tags=["registry"])
class InstitutionDetail(generics.RetrieveAPIView):
    """One institution and its active services."""

    schema = ApiSchema()
    serializer_class = s.InstitutionDetailSerializer
    lookup_field = "short_code"
    queryset = Institution.objects.filter(is_active=True).prefetch_related("services")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "codes_by_path": _codes_by_path()}


def _services():
    return (
        Service.objects.filter(is_active=True, institution__is_active=True)
        .select_related("institution")
        .prefetch_related("charter_terms")
    )


@extend_schema(parameters=[INSTITUTION], tags=["registry"])
class ServiceList(generics.ListAPIView):
    """Active services with their charters."""

    schema = ApiSchema()
    serializer_class = s.ServiceSerializer
    pagination_class = Pages

    def get_queryset(self):
        services = _services().order_by("institution__path", "code")
        within = _active_institution(self.request.query_params.get("institution"), "institution")
        if within is not None:
            services = services.filter(institution__path__startswith=within.path)
        return services


@extend_schema(tags=["registry"])
class ServiceDetail(generics.RetrieveAPIView):
    """One service, by its global code ("101-12"), with its charter."""

    schema = ApiSchema()
    serializer_class = s.ServiceSerializer

    def get_object(self):
        found = s.service_by_global_code(self.kwargs["code"], _services())
        if found is None:
            raise ApiError(_("No service has this code."), code="not_found", status_code=404)
        return found


# --- Cases ------------------------------------------------------------------------------------


def _case_queryset():
    return Case.objects.select_related(
        "institution", "escalated_to", "service", "service__institution"
    )


def _reference(raw: str) -> str:
    try:
        return references.normalize(raw)
    except references.InvalidReference as error:
        raise ApiError(error.message, code=error.code, field="reference") from error


def _client(request) -> str:
    return tracking.client_address(request)


def _unknown_case():
    return ApiError(
        _("No case has this number. Check it and try again."), code="not_found", status_code=404
    )


IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Your own key for this submission (letters, digits, _ . : -; at most 64): "
    "a retry with the same key answers the first case (200, pin null) instead of a new one.",
    pattern=keys.IDEMPOTENCY_KEY_PATTERN,
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    OpenApiParameter.HEADER,
    enum=["true"],
    response=[200],
    description="On a replay: the answer is the first case's.",
)
REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description='The case\'s 10-digit reference number ("1234567890"; "123 456 7890" works too).',
)
PIN = OpenApiParameter(
    PIN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The case's PIN, given once when it was submitted.",
)


class CaseSubmit(ApiView):
    """Submit feedback (an API key is required)."""

    permission_classes = [HasApiClient]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": s.CaseSubmissionSerializer,
            "multipart/form-data": s.CaseSubmissionSerializer,
        },
        parameters=[IDEMPOTENCY, REPLAYED],
        auth=[{"ApiKey": []}],
        responses={
            201: s.SubmittedCaseSerializer,
            200: OpenApiResponse(
                s.SubmittedCaseSerializer,
                description="A retry with the same Idempotency-Key: the first case, pin null "
                "(header Idempotent-Replayed: true).",
            ),
        },
        tags=["cases"],
    )
    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if key and not s.valid_idempotency_key(key):
            raise ApiError(
                _("An Idempotency-Key has 1 to 64 letters, digits or _ . : - characters."),
                code="invalid",
                field=IDEMPOTENCY_HEADER,
            )
        form = s.CaseSubmissionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        stored = [store_upload(upload, kind) for upload, kind in data.get("attachments", [])]
        try:
            submission = workflow.submit(
                kind=data["kind"],
                subject=data["subject"],
                description=data["description"],
                institution=data["routed"],
                service=data.get("service"),
                area=data.get("area"),
                location=data.get("location", ""),
                language=data.get("language") or s.request_language(),
                contact=workflow.ContactDetails(
                    name=data.get("contact_name", ""),
                    phone=data.get("contact_phone", ""),
                    email=data.get("contact_email", ""),
                    notify_by=data["notify_by"],
                ),
                consent_to_publish=data["consent_to_publish"],
                channel=Channel.API,
                api_client=request.auth,
                idempotency_key=keys.submission_key(request.auth, key) if key else None,
                attachments=stored,
            )
        except workflow.WorkflowError as error:
            _discard(stored)
            raise from_workflow(error) from error
        except BaseException:
            _discard(stored)
            raise
        if not submission.created:
            _discard(stored)  # a retry: the first request's files are the case's
        case = _case_queryset().get(pk=submission.case.pk)
        case.pin = submission.pin
        case.tracking_url = notifications.tracking_url(case)
        answer = s.SubmittedCaseSerializer(case).data
        if submission.created:
            return _private(Response(answer, status=status.HTTP_201_CREATED))  # it holds the PIN
        return _private(
            Response(answer, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
        )


def _discard(attachments) -> None:
    for attachment in attachments:
        if attachment.case_id is None:
            attachment.file.delete(save=False)
            attachment.delete()


class CaseLookup(ApiView):
    """A case's public fields, by its reference (no PIN; look-ups are counted per address)."""

    @extend_schema(parameters=[REFERENCE], responses=s.PublicCaseSerializer, tags=["cases"])
    def get(self, request, reference):
        reference = _reference(reference)
        try:
            citizens.limit_lookups(_client(request))
        except citizens.TooManyAttempts as error:
            raise TooMany(error.message, error.retry_after) from error
        case = _case_queryset().filter(reference=reference).first()
        if case is None:
            raise _unknown_case()
        return Response(s.PublicCaseSerializer(case).data)


def _proved_case(request, reference: str) -> tuple[Case, workflow.Actor]:
    """The case and its citizen, proved by X-Case-PIN through feedback.citizens."""
    reference = _reference(reference)
    pin = request.headers.get(PIN_HEADER, "").strip()
    if not pin:
        raise ApiError(
            _("Give the case's PIN in the X-Case-PIN header."),
            code="pin_required",
            status_code=403,
            field=PIN_HEADER,
        )
    try:
        actor = citizens.prove(reference, pin, _client(request))
    except citizens.TooManyAttempts as error:
        raise TooMany(error.message, error.retry_after) from error
    except citizens.UnknownReference as error:
        raise ApiError(error.message, code="not_found", status_code=404) from error
    except citizens.WrongPin as error:
        raise ApiError(error.message, code=error.code, status_code=403, field=PIN_HEADER) from error
    case = _case_queryset().get(reference=reference)
    return case, actor


def _action_entry(request, case: Case, name: str) -> dict:
    action = workflow.ACTIONS[name]
    return {
        "name": name,
        "label": str(action.button),
        "url": request.build_absolute_uri(reverse(f"api:action-{name}", args=[case.reference])),
        "params": [
            {
                "name": param.name,
                "kind": param.kind,
                "label": str(param.label),
                "required": param.required,
                "choices": [{"value": str(v), "label": str(label)} for v, label in param.choices],
            }
            for param in action.params
        ],
        "thanks": str(action.thanks),
    }


def exchange(request, case: Case, actor: workflow.Actor) -> dict:
    """The exchange a proved citizen reads (the web's tracking page, as data)."""
    case.exchange_events = tracking.public_exchange(case).prefetch_related("attachments")
    case.exchange_actions = [
        _action_entry(request, case, name)
        for name in workflow.allowed_actions(case, actor)
        if name in s.citizen_actions()
    ]
    case.exchange_appeal = Appeal.objects.filter(case=case).select_related("institution").first()
    case.exchange_appeal_until = workflow.appeal_deadline(case)
    case.exchange_merged_into = tracking.surviving_case(case)
    return s.ExchangeSerializer(case).data


def _private(response: Response) -> Response:
    """The citizen's case (its PIN, its exchange): kept by no cache, and never compressed
    (config.page_cache.PageCompressionMiddleware skips no-store answers: BREACH)."""
    response["Cache-Control"] = "no-store"
    return response


class CaseExchange(ApiView):
    """The whole public exchange of a case and what the citizen may do now (PIN required)."""

    @extend_schema(
        parameters=[REFERENCE, PIN], responses={200: s.ExchangeSerializer}, tags=["cases"]
    )
    def get(self, request, reference):
        case, actor = _proved_case(request, reference)
        return _private(Response(exchange(request, case, actor)))


class ActionSchema(ApiSchema):
    extra_errors = {
        "403": "No PIN, or the wrong one.",
        "409": "The action is not open to the citizen now (the message says why).",
    }

    def get_request_serializer(self):
        return s.action_serializer(self.view.action_name)

    def get_response_serializers(self):
        return s.ExchangeSerializer

    def get_override_parameters(self):
        return [REFERENCE, PIN]

    def get_tags(self):
        return ["citizen actions"]

    def get_description(self):
        action = workflow.ACTIONS[self.view.action_name]
        return f"{action.button}. Answers the exchange."

    def _is_create_operation(self):
        return False


class CaseAction(ApiView):
    """One citizen action from the action table (urls.py makes one route per action)."""

    schema = ActionSchema()
    action_name = ""

    def post(self, request, reference):
        case, actor = _proved_case(request, reference)
        name = self.action_name
        refused = workflow.refusal(name, case, actor)
        if refused is not None:
            raise Conflict(refused.message, code=refused.code)
        form = s.action_serializer(name)(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            case = workflow.perform(name, case, by=actor, **form.validated_data)
        except (workflow.TransitionNotAllowed, workflow.ActionNotPermitted) as error:
            raise Conflict(error.message, code=error.code) from error
        except workflow.WorkflowError as error:
            raise from_workflow(error) from error
        case = _case_queryset().get(pk=case.pk)
        return _private(Response(exchange(request, case, actor)))


# --- Published outcomes -----------------------------------------------------------------------

SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to search for."),
    OpenApiParameter("institution", str, description="An institution's short code (and below)."),
    OpenApiParameter("kind", str, enum=[value for value, _label in s.Kind.choices]),
    OpenApiParameter("service", str, description='A service\'s global code ("101-12").'),
    OpenApiParameter("region", str, description="A region's or district's short code."),
    OpenApiParameter("year", int, description="Year resolved."),
    OpenApiParameter("deadline_met", str, enum=["true", "false"]),
    OpenApiParameter("satisfaction", str, enum=["satisfied", "disputed", "no_answer"]),
    OpenApiParameter("sort", str, enum=["relevance", "newest", "fastest"]),
    OpenApiParameter("page", int),
]
SEARCH_FIELDS = ("q", "kind", "year", "deadline_met", "satisfaction", "sort", "page")


def _search_data(query) -> dict:
    """The web's query parameters, with short codes and global codes in place of the ids the
    web's links carry (the API shows no ids): only what SearchForm declares goes on."""
    data = {name: query.get(name) for name in SEARCH_FIELDS if name in query}
    for name in ("institution", "region"):
        if query.get(name):
            found = Institution.objects.filter(short_code=query[name].strip()).first()
            if found is None:
                raise ApiError(_("No institution has this code."), code="unknown", field=name)
            data[name] = str(found.pk)
    if query.get("service"):
        found = s.service_by_global_code(query["service"])
        if found is None:
            raise ApiError(_("No service has this code."), code="unknown", field="service")
        data["service"] = str(found.pk)
    return data


def _facet_codes(result) -> tuple[dict[str, str], dict[str, str]]:
    institution_ids = {
        int(value.value)
        for name in ("institution", "region")
        for value in result.facets.get(name, [])
    }
    service_ids = {int(value.value) for value in result.facets.get("service", [])}
    institutions = {
        str(pk): code
        for pk, code in Institution.objects.filter(pk__in=institution_ids).values_list(
            "pk", "short_code"
        )
    }
    services = {
        str(service.pk): service.global_code
        for service in Service.objects.filter(pk__in=service_ids).select_related("institution")
    }
    return institutions, services


def _outcome(document: dict, language: str) -> dict:
    shown = display.outcome(document, language)
    return {
        "reference": shown.reference,
        "language": shown.language,
        "kind": document.get("kind", ""),
        "kind_label": shown.kind,
        "institution": shown.institution,
        "service": shown.service,
        "place": shown.place,
        "submitted_at": shown.submitted_at,
        "resolved_at": shown.resolved_at,
        "published_at": shown.published_at,
        "promised_days": shown.promised_days,
        "days_taken": shown.days_taken,
        "deadline_met": shown.deadline_met,
        "status": document.get("status", ""),
        "status_label": shown.status,
        "satisfaction": shown.satisfaction_value,
        "satisfaction_label": shown.satisfaction,
        "rating": shown.rating,
        "referral_count": shown.referral_count,
        "escalation_count": shown.escalation_count,
        "reopen_count": shown.reopen_count,
        "summary": shown.summary,
        "response": shown.response,
    }


class OutcomeSearch(ApiView):
    """Search published outcomes (the search protocol: SearchForm, then the engine)."""

    @extend_schema(
        parameters=SEARCH_PARAMETERS,
        responses={200: s.OutcomeSearchSerializer, 503: s.ErrorSerializer},
        tags=["outcomes"],
        operation_id="outcomes_search",
    )
    def get(self, request):
        language = s.request_language()
        form = SearchForm(_search_data(request.query_params), language=language)
        if not form.is_valid():
            raise _form_errors(form)
        params = form.search_params
        try:
            result = get_engine().search(params)
        except SearchEngineUnavailable as error:
            raise Unavailable(_("The search is unavailable just now. Try again later.")) from error
        if page_past_end(result):
            raise ApiError(
                _("There are fewer pages of results."), code="not_found", status_code=404
            )
        public = still_public([hit.reference for hit in result.hits])
        labels = facets.Labels(result, params, language)
        institutions, services = _facet_codes(result)
        codes = {"institution": institutions, "region": institutions, "service": services}
        answer = {
            "count": result.total,
            "page": params.page,
            "page_size": params.page_size,
            "results": [
                _outcome(hit.document, language) for hit in result.hits if hit.reference in public
            ],
            "facets": {
                name: [
                    {
                        "value": codes[name].get(value.value, value.value)
                        if name in codes
                        else value.value,
                        "label": str(labels.of(name, value.value)),
                        "count": value.count,
                    }
                    for value in result.facets.get(name, [])
                ]
                for name in result.facets
            },
        }
        return Response(s.OutcomeSearchSerializer(answer).data)


def _form_errors(form) -> ValidationError:
    return ValidationError(
        {
            name: [s.serializers.ErrorDetail(str(message), code="invalid") for message in messages]
            for name, messages in form.errors.items()
        }
    )


class OutcomeDetail(ApiView):
    """One published outcome."""

    @extend_schema(parameters=[REFERENCE], responses=s.OutcomeSerializer, tags=["outcomes"])
    def get(self, request, reference):
        reference = _reference(reference)
        found = public_outcomes().filter(case__reference=reference).first()
        if found is None:
            raise ApiError(
                _("No published outcome has this number."), code="not_found", status_code=404
            )
        document = document_for(found)
        return Response(s.OutcomeSerializer(_outcome(document, s.request_language())).data)
