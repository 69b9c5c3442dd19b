"""What the API reads and writes. Public fields only: no database ids, no contact details.

Names are in the request's language (BilingualName.display_name, the choices' labels); times
are ISO 8601 with the zone of settings.TIME_ZONE (DRF's DateTimeField, USE_TZ).
"""

import re
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback import workflow
from feedback.attachments import validate_upload
from feedback.channels.keys import IDEMPOTENCY_KEY_PATTERN
from feedback.models import (
    Institution,
    Kind,
    NotifyBy,
    Service,
    Status,
    service_by_global_code,
)
from feedback.workflow import ACTIONS

NULLABLE_TEXT = serializers.CharField(allow_null=True)
NULLABLE_TIME = serializers.DateTimeField(allow_null=True)
AREA_LEVELS = (Institution.Level.REGION, Institution.Level.DISTRICT)
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def request_language() -> str:
    return "sw" if get_language() == "sw" else "en"


# DRF's own messages for the fields used here. DRF ships no Swahili; Django merges every
# catalogue into one, so naming them here puts their Swahili into ours (makemessages finds
# them) and DRF's fields answer in Swahili through it. Those Django already translates
# ("This field is required.", the e-mail and empty-file ones) are not repeated.
DRF_MESSAGES = (
    gettext_noop("This field may not be null."),
    gettext_noop("Not a valid string."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Must be a valid boolean."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This list may not be empty."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("No filename could be determined."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
)


# --- Errors ----------------------------------------------------------------------------------


class ErrorEntrySerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="The input at fault (dotted when nested), or null."
    )
    code = serializers.CharField(help_text="A machine-readable code.")
    message = serializers.CharField(help_text="For people, in the request's language.")


class ErrorSerializer(serializers.Serializer):
    errors = ErrorEntrySerializer(many=True)


# --- Institutions and services ----------------------------------------------------------------


class NamedChoice(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


def _parent_code(institution: Institution, codes_by_path: dict[str, str]) -> str | None:
    if institution.depth <= 1:
        return None
    return codes_by_path.get(institution.path[: -Institution.steplen])


class InstitutionSerializer(serializers.Serializer):
    short_code = serializers.CharField()
    name = serializers.CharField(source="display_name")
    acronym = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField(source="get_level_display")
    parent = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_TEXT)
    def get_parent(self, institution) -> str | None:
        return _parent_code(institution, self.context["codes_by_path"])


class ServiceRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="global_code")
    name = serializers.CharField(source="display_name")


class InstitutionDetailSerializer(InstitutionSerializer):
    services = serializers.SerializerMethodField()

    @extend_schema_field(ServiceRefSerializer(many=True))
    def get_services(self, institution):
        services = [service for service in institution.services.all() if service.is_active]
        return ServiceRefSerializer(services, many=True).data


class CharterTermSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    acknowledge_days = serializers.IntegerField()
    resolve_days = serializers.IntegerField()


class CharterSerializer(serializers.Serializer):
    acknowledge_days = serializers.IntegerField()
    resolve_days = serializers.IntegerField()
    reopen_window_days = serializers.IntegerField()
    terms = serializers.SerializerMethodField(
        help_text="The working days promised for each kind of feedback."
    )

    @extend_schema_field(CharterTermSerializer(many=True))
    def get_terms(self, service):
        terms = []
        for kind in Kind:
            acknowledge, resolve = service.charter_for(kind.value)
            terms.append(
                {
                    "kind": kind.value,
                    "kind_label": str(kind.label),
                    "acknowledge_days": acknowledge,
                    "resolve_days": resolve,
                }
            )
        return terms


class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField(source="global_code", help_text='Registry-wide, e.g. "101-12".')
    name = serializers.CharField(source="display_name")
    description = serializers.SerializerMethodField()
    institution = serializers.CharField(source="institution.short_code")
    institution_name = serializers.CharField(source="institution.display_name")
    charter = CharterSerializer(source="*")

    def get_description(self, service) -> str:
        if request_language() == "sw" and service.description_sw:
            return service.description_sw
        return service.description


# --- Cases -----------------------------------------------------------------------------------


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


class PublicCaseSerializer(serializers.Serializer):
    """What anyone may read of a case knowing its reference (the web's look-up, no PIN)."""

    reference = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    institution = serializers.CharField(source="institution.short_code")
    institution_name = serializers.CharField(source="institution.display_name")
    escalated_to = serializers.CharField(
        source="escalated_to.short_code", allow_null=True, default=None
    )
    service = serializers.CharField(source="service.global_code", allow_null=True, default=None)
    service_name = serializers.CharField(
        source="service.display_name", allow_null=True, default=None
    )
    submitted_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.SerializerMethodField(
        help_text="The public deadline: the acknowledgement's while the case is submitted, "
        "the answer's while it is worked on, else null."
    )
    deadline_kind = serializers.SerializerMethodField(help_text="acknowledge, resolve or null.")
    expected_by = serializers.SerializerMethodField(
        help_text="The date an interim reply promised, while a deadline runs."
    )
    referral_count = serializers.IntegerField()

    @extend_schema_field(NULLABLE_TIME)
    def get_deadline(self, case):
        deadline = public_deadline(case)
        return serializers.DateTimeField().to_representation(deadline) if deadline else None

    @extend_schema_field(serializers.ChoiceField(["acknowledge", "resolve"], allow_null=True))
    def get_deadline_kind(self, case):
        if public_deadline(case) is None:
            return None
        return "acknowledge" if case.status == Status.SUBMITTED else "resolve"

    @extend_schema_field(NULLABLE_TIME)
    def get_expected_by(self, case):
        if case.expected_by is None or public_deadline(case) is None:
            return None
        return serializers.DateTimeField().to_representation(case.expected_by)


def public_deadline(case):
    """The deadline the web's look-up shows (feedback/views.py, _public_deadline)."""
    if case.status == Status.SUBMITTED:
        return case.acknowledge_due
    if case.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
        return case.resolve_due
    return None


class SubmittedCaseSerializer(PublicCaseSerializer):
    pin = serializers.CharField(
        allow_null=True,
        help_text="Given once, when the case is created; null when a retry found the case.",
    )
    acknowledge_due = serializers.DateTimeField()
    tracking_url = serializers.URLField(help_text="The public tracking page, in its language.")


class CaseSubmissionSerializer(serializers.Serializer):
    """A new case, as a client sends it (JSON or multipart/form-data)."""

    kind = serializers.ChoiceField(choices=Kind.choices)
    institution = serializers.CharField(
        required=False, allow_blank=True, help_text="An institution's short code."
    )
    service = serializers.CharField(
        required=False, allow_blank=True, help_text='A service\'s global code, e.g. "101-12".'
    )
    area = serializers.CharField(
        required=False, allow_blank=True, help_text="A region's or district's short code."
    )
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)
    consent_to_publish = serializers.BooleanField(required=False, default=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    notify_by = serializers.ChoiceField(
        choices=NotifyBy.choices, required=False, default=NotifyBy.SMS
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=settings.ATTACHMENT_MAX_FILES,
        help_text="Photos (JPEG, PNG, WebP) or PDF documents, multipart only.",
    )

    def validate_institution(self, value):
        if not value:
            return None
        found = (
            Institution.objects.filter(short_code=value.strip(), is_active=True)
            .exclude(level__in=AREA_LEVELS)
            .first()
        )
        if found is None:
            raise serializers.ValidationError(_("No institution has this code."), code="unknown")
        return found

    def validate_service(self, value):
        if not value:
            return None
        found = service_by_global_code(
            value, Service.objects.filter(is_active=True, institution__is_active=True)
        )
        if found is None:
            raise serializers.ValidationError(_("No service has this code."), code="unknown")
        return found

    def validate_area(self, value):
        if not value:
            return None
        found = Institution.objects.filter(
            short_code=value.strip(), is_active=True, level__in=AREA_LEVELS
        ).first()
        if found is None:
            raise serializers.ValidationError(
                _("No region or district has this code."), code="unknown"
            )
        return found

    def validate_contact_phone(self, value):
        value = value.strip()
        if not value:
            return ""
        try:
            return workflow.normalise_phone(value)
        except workflow.InvalidPhone as error:
            raise serializers.ValidationError(error.message, code=error.code) from error

    def validate_attachments(self, uploads):
        checked, errors = [], {}
        for position, upload in enumerate(uploads):
            try:
                checked.append((upload, validate_upload(upload)))
            except DjangoValidationError as error:
                errors[position] = [
                    serializers.ErrorDetail(str(message), code=error.code or "invalid")
                    for message in error.messages
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return checked

    def validate(self, data):
        try:
            data["routed"] = workflow.route(data.get("institution"), data.get("service"))
        except workflow.WorkflowError as error:
            raise serializers.ValidationError(
                {"service": [serializers.ErrorDetail(str(error.message), code=error.code)]}
            ) from error
        return data


def valid_idempotency_key(value: str) -> bool:
    return bool(re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value))


# --- The exchange (with the PIN) -------------------------------------------------------------

BY = {"citizen": "citizen", "staff": "institution", "system": "system"}


class EventSerializer(serializers.Serializer):
    time = serializers.DateTimeField(source="created_at")
    type = serializers.CharField()
    type_label = serializers.CharField(source="get_type_display")
    from_status = serializers.CharField(allow_null=True)
    to_status = serializers.CharField(allow_null=True)
    to_status_label = serializers.CharField(allow_null=True)
    text = serializers.CharField(source="body")
    by = serializers.ChoiceField(choices=["citizen", "institution", "system"])
    attachments = serializers.ListField(
        child=serializers.CharField(), help_text="The names of files sent with this step."
    )

    def to_representation(self, event):
        return {
            "time": serializers.DateTimeField().to_representation(event.created_at),
            "type": event.type,
            "type_label": str(event.get_type_display()),
            "from_status": event.from_status or None,
            "to_status": event.to_status or None,
            "to_status_label": _status_label(event.to_status) if event.to_status else None,
            "text": event.body,
            "by": BY.get(event.actor_kind, "system"),
            "attachments": [file.original_name for file in event.attachments.all()],
        }


class ParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    choices = NamedChoice(many=True)


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField(help_text="Where to POST it (with the PIN).")
    params = ParamSerializer(many=True)
    thanks = serializers.CharField()


class AppealSerializer(serializers.Serializer):
    institution = serializers.CharField(source="institution.short_code")
    institution_name = serializers.CharField(source="institution.display_name")
    lodged_at = serializers.DateTimeField()
    due = serializers.DateTimeField()
    decision = serializers.CharField()
    decision_label = serializers.CharField(source="get_decision_display")
    decided_at = serializers.DateTimeField(allow_null=True)
    response = serializers.CharField()


class ExchangeSerializer(PublicCaseSerializer):
    subject = serializers.CharField()
    events = EventSerializer(many=True, source="exchange_events")
    actions = ActionSerializer(many=True, source="exchange_actions")
    appeal = AppealSerializer(allow_null=True, source="exchange_appeal")
    reopen_until = serializers.DateTimeField(allow_null=True)
    appeal_until = serializers.DateTimeField(allow_null=True, source="exchange_appeal_until")
    merged_into = PublicCaseSerializer(
        allow_null=True,
        source="exchange_merged_into",
        help_text="For a merged case: the case the citizen follows now.",
    )


# --- Citizen actions: one serializer per action, read from the action table ------------------


def _param_field(param: workflow.Param) -> serializers.Field:
    common = {"label": str(param.label), "required": param.required}
    if param.help_text:
        common["help_text"] = str(param.help_text)
    if param.kind == "text":
        return serializers.CharField(
            max_length=5000, allow_blank=not param.required, trim_whitespace=True, **common
        )
    if param.kind in ("choice", "score"):
        return serializers.ChoiceField(choices=list(param.choices), **common)
    if param.kind == "flag":
        return serializers.BooleanField(**{**common, "required": False}, default=False)
    raise ValueError(f"no API field for parameter kind {param.kind!r}")


@cache
def action_serializer(name: str) -> type[serializers.Serializer]:
    """The body of one action: a field per Param of ACTIONS[name] (text, choice, score, flag)."""
    fields = {param.name: _param_field(param) for param in ACTIONS[name].params}
    class_name = "".join(part.title() for part in name.split("_")) + "Action"
    return type(class_name, (serializers.Serializer,), fields)


def citizen_actions() -> list[str]:
    """The actions a citizen may ever take, as the table says."""
    return [name for name, action in ACTIONS.items() if "citizen" in action.roles]


# --- Published outcomes ----------------------------------------------------------------------


class OutcomeSerializer(serializers.Serializer):
    reference = serializers.CharField()
    language = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    institution = serializers.CharField()
    service = serializers.CharField(allow_blank=True)
    place = serializers.CharField(allow_blank=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    promised_days = serializers.IntegerField(allow_null=True)
    days_taken = serializers.IntegerField(allow_null=True)
    deadline_met = serializers.BooleanField(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()
    satisfaction = serializers.CharField()
    satisfaction_label = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    referral_count = serializers.IntegerField()
    escalation_count = serializers.IntegerField()
    reopen_count = serializers.IntegerField()
    summary = serializers.CharField()
    response = serializers.CharField()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="As it goes back into the query.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class OutcomeSearchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = OutcomeSerializer(many=True)
    facets = serializers.DictField(
        child=FacetValueSerializer(many=True),
        help_text="institution, kind, service, region, year, deadline_met, satisfaction.",
    )
