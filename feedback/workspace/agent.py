"""The service-point desk: an agent takes down feedback for a walk-in citizen with no device,
hands over a printed receipt with the reference and PIN, and can send it to their phone.

The form is the citizen's own web form (feedback.forms.FeedbackForm) asked by the agent;
`take_down` is the rule, callable without HTTP; the view only parses, calls and renders. The
PIN lives only in the receipt page answered to the POST that drew it, and in the SMS handed
straight to the gateway: never in a session, a task, a log or a cache.
"""

import logging
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import notifications, pin_recovery, references, workflow
from feedback.access import profile_of, role_of
from feedback.forms import FeedbackForm
from feedback.models import Case, Channel, Role, ServicePoint, keypad_code
from feedback.sms import SMSDeliveryError

logger = logging.getLogger("feedback.workspace.agent")

# Who may take feedback down at the desk. The intake allows officers and leads to submit for
# a citizen too (by the API, say); the desk is the agents' screen, and the admins'.
DESK_ROLES = frozenset({Role.AGENT, Role.ADMIN})


def may_use_desk(user) -> bool:
    return role_of(user) in DESK_ROLES


def service_point_of(user) -> ServicePoint | None:
    """The active service point a staff member works at, from their profile."""
    profile = profile_of(user)
    point = profile.service_point if profile is not None else None
    return point if point is not None and point.is_active else None


class YesNoField(forms.TypedChoiceField):
    """A question the citizen answers: two radio buttons, neither chosen in advance."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
            **kwargs,
        )


class WalkInForm(FeedbackForm):
    """The citizen's web form, asked by an agent: the same fields, checks and routing, worded
    for the agent; plus the citizen's language, a keypad code for the institution, the
    receipt by SMS, and the hidden token that makes a double click one case."""

    files = None  # no uploads at the desk: the receipt is answered to this one POST
    website = None  # the public form's honeypot (issue 19, limits): agents are signed in

    token = forms.UUIDField(
        label=gettext_lazy("Submission key"),
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("The form lost its submission key: check it and send again."),
            "invalid": gettext_lazy("The form lost its submission key: check it and send again."),
        },
    )
    institution_code = forms.CharField(
        label=gettext_lazy("Institution code (optional)"),
        max_length=6,
        required=False,
        validators=[keypad_code],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=gettext_lazy("The institution's keypad code, if known; or choose it below."),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("The citizen's language"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Messages and the receipt are in this language."),
        error_messages={
            "required": gettext_lazy("Choose the language the citizen wants to be answered in."),
            "invalid_choice": gettext_lazy(
                "Choose the language the citizen wants to be answered in."
            ),
        },
    )
    consent_to_publish = YesNoField(
        label=gettext_lazy(
            "Ask the citizen: may the outcome be published, without their personal details?"
        ),
        help_text=gettext_lazy(
            "It helps others with the same problem. Nothing that identifies them is shown."
        ),
        error_messages={
            "required": gettext_lazy("Ask the citizen, and choose their answer."),
            "invalid_choice": gettext_lazy("Ask the citizen, and choose their answer."),
        },
    )
    receipt_by_sms = forms.BooleanField(
        label=gettext_lazy("Also send the reference and PIN to the citizen's phone by SMS"),
        required=False,
        help_text=gettext_lazy("The citizen's phone number is needed then."),
    )

    field_order = [
        "kind",
        "institution_code",
        "institution",
        "service",
        "area",
        "location",
        "subject",
        "description",
        "language",
        "name",
        "phone",
        "email",
        "notify_by",
        "receipt_by_sms",
        "consent_to_publish",
        "service_point",
    ]

    # The web form speaks to the citizen; the agent reads these instead.
    AGENT_WORDING = {
        "kind": gettext_lazy("What kind of feedback is it?"),
        "institution": gettext_lazy("Which institution?"),
        "description": gettext_lazy("What happened, in the citizen's words?"),
        "name": gettext_lazy("The citizen's name (optional)"),
        "phone": gettext_lazy("The citizen's phone number (optional)"),
        "email": gettext_lazy("The citizen's e-mail address (optional)"),
        "notify_by": gettext_lazy("How should the citizen get updates?"),
    }

    def __init__(self, *args, service_point: ServicePoint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.AGENT_WORDING.items():
            self.fields[name].label = label
        self.fields["institution"].empty_label = _("Not known: route it for the citizen")
        self.fields["name"].help_text = _("Leave the contact empty if the citizen stays anonymous.")
        self.fixed_service_point = service_point
        if service_point is None:
            # An administrator with no desk of their own names the service point.
            self.fields["service_point"] = forms.ModelChoiceField(
                label=_("Service point"),
                queryset=ServicePoint.objects.filter(is_active=True),
                error_messages={
                    "required": _("Choose the service point where the citizen came."),
                    "invalid_choice": _("Choose a service point from the list."),
                },
            )
        self.order_fields(self.field_order)

    def clean(self):
        self._institution_from_code()
        data = super().clean()
        if data.get("receipt_by_sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error(
                "phone", _("Enter the citizen's phone number to send the receipt by SMS.")
            )
        return data

    def _institution_from_code(self) -> None:
        """A keypad code names the institution as the choice does; both must agree."""
        code = self.cleaned_data.get("institution_code")
        if not code:
            return
        found = self.fields["institution"].queryset.filter(short_code=code).first()
        chosen = self.cleaned_data.get("institution")
        if found is None:
            self.add_error("institution_code", _("No institution has this code. Check it."))
        elif chosen is not None and chosen != found:
            self.add_error(
                "institution_code",
                _("This code is %(found)s, but %(chosen)s is chosen below. Keep one of them.")
                % {"found": found, "chosen": chosen},
            )
        else:
            self.cleaned_data["institution"] = found

    def service_point(self) -> ServicePoint:
        return self.fixed_service_point or self.cleaned_data["service_point"]


@dataclass(frozen=True)
class Receipt:
    """What the agent hands over. `pin` is None on a retry (it was given once); `sms_sent`
    is None when no SMS was asked for (or on a retry), else whether the gateway took it."""

    case: Case
    pin: str | None
    sms_sent: bool | None = None

    @property
    def created(self) -> bool:
        return self.pin is not None


def take_down(
    *,
    agent,
    service_point: ServicePoint,
    token: str,
    fields: dict,
    receipt_by_sms: bool = False,
) -> Receipt:
    """Submit feedback for a walk-in citizen on the service-point channel, recording the agent
    and the service point; with the same token again (a double click, a reload) the first
    case, without its PIN. The receipt SMS goes straight to the gateway, never queued."""
    submission = workflow.submit(
        **fields,
        channel=Channel.SERVICE_POINT,
        by=workflow.staff(agent),
        service_point=service_point,
        # Scoped to the agent: a token seen on one desk never answers with another's case.
        idempotency_key=f"{agent.pk}:{token}",
    )
    if not submission.created or not receipt_by_sms:
        return Receipt(case=submission.case, pin=submission.pin)
    contact = notifications.pin_recipient(submission.case)
    phone = contact.phone if contact is not None else ""
    try:
        if not phone:
            raise SMSDeliveryError
        notifications.send_receipt(submission.case, phone, submission.pin)
    except SMSDeliveryError:
        # The gateway's message may quote the text, PIN and all: it is not logged.
        logger.warning("receipt SMS not sent for case %s", submission.case.pk)
        sent = False
    else:
        sent = True
    return Receipt(case=submission.case, pin=submission.pin, sms_sent=sent)


def service_point_submit(request):
    """The desk: GET the form, POST it; a valid POST answers with the receipt itself."""
    point = service_point_of(request.user)
    context = {"page_title": _("Submit for a citizen"), "header_icon": "form"}
    no_service_point = role_of(request.user) == Role.AGENT and point is None
    if no_service_point or not may_use_desk(request.user):
        # A page that says why, not Wagtail's redirect to the dashboard.
        context["no_service_point"] = no_service_point
        return TemplateResponse(
            request, "feedback/workspace/agent_desk_closed.html", context, status=403
        )
    status = 200
    if request.method == "POST":
        form = WalkInForm(request.POST, service_point=point)
        if form.is_valid():
            try:
                receipt = take_down(
                    agent=request.user,
                    service_point=form.service_point(),
                    token=str(form.cleaned_data["token"]),
                    fields=form.submission_fields(language=form.cleaned_data["language"]),
                    receipt_by_sms=form.cleaned_data["receipt_by_sms"],
                )
            except workflow.WorkflowError as error:
                form.add_error(None, error.message)
            else:
                return _receipt_page(request, receipt)
        if "token" in form.errors:  # a mangled key: a fresh one, so the next send can work
            form.data = form.data.copy()
            form.data["token"] = str(uuid.uuid4())
        status = 400
    else:
        form = WalkInForm(initial={"token": uuid.uuid4()}, service_point=point)
    context.update(form=form, service_point=point)
    return TemplateResponse(request, "feedback/workspace/agent_desk.html", context, status=status)


def _receipt_page(request, receipt: Receipt):
    """The receipt, answered to the POST that made (or found) the case: no redirect, no
    session, and no cache may keep it. The slip is in the citizen's language; the admin
    around it in the agent's."""
    case = receipt.case
    tracking_url = notifications.tracking_url(case)
    slip = {
        "case": case,
        "receipt": receipt,
        "reference": references.format_reference(case.reference),
        "tracking_url": tracking_url,
        "new_pin_url": f"{tracking_url}new-pin/",
        "recoverable": pin_recovery.can_recover_pin(case),
        "agent_name": case.submitted_by.get_full_name() or case.submitted_by.get_username(),
    }
    with translation.override(case.language):
        slip_html = render_to_string("feedback/workspace/agent_receipt_slip.html", slip)
    context = {
        **slip,
        "slip": slip_html,
        "page_title": _("Receipt %(ref)s") % {"ref": slip["reference"]},
        "header_icon": "form",
        "desk_url": reverse("feedback_service_point_submit"),
        "case_url": reverse("feedback_case_workspace", args=[case.pk]),
    }
    response = TemplateResponse(request, "feedback/workspace/agent_receipt.html", context)
    response["Cache-Control"] = "no-store"
    return response
