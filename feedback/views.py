"""The citizen's web journey; FeedbackPage (pages.models) routes its URLs here.

Views only parse forms, call feedback.workflow and render; every rule lives in the domain.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from feedback import privacy, references, tracking, workflow
from feedback.attachments import store_upload, validate_upload
from feedback.forms import (
    AppealForm,
    CitizenMessageForm,
    FeedbackForm,
    PinForm,
    RatingForm,
    ReferenceForm,
    ReopenForm,
)
from feedback.models import Appeal, Case, CaseEvent, Channel, Contact, Status, SubmissionDraft

DRAFT_KEY = "feedback_draft"
SUBMITTED_KEY = "feedback_submitted"


def _render(request, page, template, context, status=200):
    return TemplateResponse(
        request, f"feedback/{template}", {"page": page, **context}, status=status
    )


def _url(page, request, route: str = "") -> str:
    return page.get_url(request) + route


def _draft(request, create: bool = False) -> SubmissionDraft | None:
    token = request.session.get(DRAFT_KEY)
    draft = SubmissionDraft.objects.filter(token=token).first() if token else None
    if draft is None and create:
        draft = SubmissionDraft.objects.create(token=uuid.uuid4())
        request.session[DRAFT_KEY] = str(draft.token)
    return draft


def _store_files(request, form, draft) -> None:
    """Keep every acceptable upload on the draft at once, so a failed form never loses one."""
    # Compared as text: a tampered value names no file and is ignored rather than parsed.
    remove = set(request.POST.getlist("remove_file"))
    for attachment in draft.files.all():
        if str(attachment.pk) in remove:
            attachment.file.delete(save=False)
            attachment.delete()
    room = settings.ATTACHMENT_MAX_FILES - draft.files.count()
    for upload in request.FILES.getlist("files"):
        if room <= 0:
            form.add_error(
                "files",
                _("You can attach at most %(count)s files.")
                % {"count": settings.ATTACHMENT_MAX_FILES},
            )
            break
        try:
            content_type = validate_upload(upload)
        except ValidationError as error:
            form.add_error("files", error)
            continue
        store_upload(upload, content_type, draft=draft)
        room -= 1


def new_feedback(request, page):
    draft = _draft(request)
    if request.method == "POST":
        form = FeedbackForm(request.POST, request.FILES)
        draft = draft or _draft(request, create=True)
        valid = form.is_valid()  # runs before file checks so both sets of errors show
        _store_files(request, form, draft)
        if valid and not form.errors:
            draft.data = form.draft_data()
            draft.save()
            return HttpResponseRedirect(_url(page, request, "new/review/"))
        # Keep what was typed, even if invalid, so the form comes back as the citizen left it.
        draft.data = {name: request.POST.get(name, "") for name in form.fields if name != "files"}
        draft.save()
        status = 400
    else:
        initial = dict(draft.data) if draft else {}
        form = FeedbackForm(initial=initial)
        try:  # ?service= from a service page's button; a mangled link is simply ignored
            service = form.fields["service"].clean(request.GET.get("service"))
        except ValidationError:
            service = None
        if service is not None:
            form.initial.update(service=service.pk, institution="")
        status = 200
    files = list(draft.files.all()) if draft else []
    return _render(request, page, "form.html", {"form": form, "files": files}, status=status)


def review(request, page):
    draft = _draft(request)
    if draft is None or not draft.data:
        return HttpResponseRedirect(_url(page, request, "new/"))
    form = FeedbackForm(data=draft.data)
    if not form.is_valid():
        return HttpResponseRedirect(_url(page, request, "new/"))
    if request.method == "POST":
        if "change" in request.POST:
            return HttpResponseRedirect(_url(page, request, "new/"))
        data = form.cleaned_data
        try:
            with transaction.atomic():
                submission = workflow.submit(
                    kind=data["kind"],
                    institution=form.routed_institution(),
                    service=data["service"],
                    area=data["area"],
                    location=data["location"],
                    subject=data["subject"],
                    description=data["description"],
                    channel=Channel.WEB,
                    language=get_language(),
                    contact=workflow.ContactDetails(
                        name=data["name"],
                        phone=data["phone"],
                        email=data["email"],
                        notify_by=data["notify_by"],
                    ),
                    consent_to_publish=data["consent_to_publish"],
                    attachments=list(draft.files.all()),
                )
                draft.delete()
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(_url(page, request, "new/"))
        case = submission.case
        request.session.pop(DRAFT_KEY, None)
        request.session[SUBMITTED_KEY] = {"reference": case.reference, "pin": submission.pin}
        tracking.remember_proven(request.session, case.reference)
        return HttpResponseRedirect(_url(page, request, "new/thanks/"))
    context = {"data": form.cleaned_data, "files": draft.files.all(), "form": form}
    context["institution"] = form.routed_institution()
    context["kind_label"] = dict(form.fields["kind"].choices)[form.cleaned_data["kind"]]
    return _render(request, page, "review.html", context)


def thanks(request, page):
    submitted = request.session.get(SUBMITTED_KEY)
    if not submitted or not tracking.is_proven(request.session, submitted["reference"]):
        # The PIN is shown only shortly after submitting: browsers are shared.
        request.session.pop(SUBMITTED_KEY, None)
        return HttpResponseRedirect(_url(page, request, "new/"))
    case = Case.objects.select_related("institution").get(reference=submitted["reference"])
    context = {
        "case": case,
        "reference": references.format_reference(case.reference),
        "pin": submitted["pin"],
        "has_contact": not case.is_anonymous,
    }
    return _render(request, page, "thanks.html", context)


def track(request, page):
    if "reference" in request.GET:
        form = ReferenceForm(request.GET)
        if form.is_valid():
            reference = form.cleaned_data["reference"]
            return HttpResponseRedirect(_url(page, request, f"track/{reference}/"))
        return _render(request, page, "track.html", {"form": form}, status=400)
    return _render(request, page, "track.html", {"form": ReferenceForm()})


def track_case(request, page, reference):
    form = ReferenceForm({"reference": reference})
    if not form.is_valid():
        return _render(request, page, "track.html", {"form": form}, status=400)
    reference = form.cleaned_data["reference"]
    case = (
        Case.objects.select_related("institution", "escalated_to", "service")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        form.add_error("reference", _("No case has this number. Check it and try again."))
        return _render(request, page, "track.html", {"form": form}, status=404)
    verified = tracking.is_proven(request.session, reference)
    forms = {"pin_form": PinForm()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "pin":
            response, forms["pin_form"], status = _check_pin(request, case)
            if response:
                return response
        elif not verified:
            messages.error(request, _("Enter your PIN first."))
            status = 403
        else:
            response, forms, status = _citizen_action(request, case, action)
            if response:
                return response
    return _render(request, page, "track_case.html", _case_context(case, verified, forms), status)


def _check_pin(request, case):
    form = PinForm(request.POST)
    if tracking.pin_locked(case.reference, tracking.client_address(request)):
        form.add_error(None, _("Too many wrong PINs. For your security, try again in 15 minutes."))
        return None, form, 429
    if form.is_valid() and workflow.check_pin(case, form.cleaned_data["pin"]):
        tracking.clear_pin_failures(case.reference)
        tracking.remember_proven(request.session, case.reference)
        return HttpResponseRedirect(request.path), form, 302
    tracking.register_pin_failure(case.reference, tracking.client_address(request))
    form.errors.pop("pin", None)
    form.add_error("pin", _("That PIN does not match this reference number."))
    return None, form, 400


# What a citizen may post on the tracking page, and the form (context name, class) it uses.
ACTION_FORMS = {
    "message": ("message_form", CitizenMessageForm),
    "rate": ("rating_form", RatingForm),
    "reopen": ("reopen_form", ReopenForm),
    "appeal": ("appeal_form", AppealForm),
}


def _citizen_action(request, case, action):
    """Add information, rate, reopen or confirm: each through the workflow, then PRG."""
    forms = {name: form_class() for name, form_class in ACTION_FORMS.values()}
    form = None
    if action in ACTION_FORMS:
        name, form_class = ACTION_FORMS[action]
        form = forms[name] = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return None, forms, 400
    try:
        if action == "message":
            uploads = []
            for upload in request.FILES.getlist("files")[: settings.ATTACHMENT_MAX_FILES]:
                uploads.append((upload, validate_upload(upload)))
            with transaction.atomic():
                event = workflow.add_citizen_message(case, body=form.cleaned_data["body"])
                for upload, content_type in uploads:
                    store_upload(upload, content_type, case=case, event=event)
            messages.success(request, _("Thank you. Your information was added to the case."))
        elif action == "rate":
            workflow.rate(
                case, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("Thank you for rating the outcome."))
        elif action == "reopen":
            workflow.reopen(case, by=workflow.CITIZEN, reason=form.cleaned_data["reason"])
            messages.success(request, _("Your case is reopened and goes to the level above."))
        elif action == "appeal":
            workflow.appeal(case, by=workflow.CITIZEN, reason=form.cleaned_data["reason"])
            messages.success(request, _("Your appeal was received by the level above."))
        elif action == "erase" and request.POST.get("confirm") != "yes":
            # Deleting cannot be undone: the first press only asks (a page, so no script).
            return None, {**forms, "confirm_erase": True}, 200
        elif action == "erase":
            privacy.erase_contact(
                case, reason=_("Erased at the citizen's request."), by_citizen=True
            )
            messages.success(request, _("Your contact details were deleted."))
        elif action == "close":
            workflow.close(case, by=workflow.CITIZEN, message=_("Confirmed by the citizen."))
            messages.success(request, _("Thank you. Your case is closed."))
        else:
            return None, forms, 400
    except ValidationError as error:
        form.add_error("files", error)
        return None, forms, 400
    except workflow.WorkflowError as error:
        if form is None:
            # A button with no form (close, erase) on a case that has moved on since the page
            # was drawn, such as a double click: say why, and show the case as it is now.
            messages.error(request, error.message)
            return None, forms, 409
        form.add_error(None, error.message)
        return None, forms, 400
    return HttpResponseRedirect(request.path), forms, 302


def _case_context(case: Case, verified: bool, forms: dict) -> dict:
    context = {
        "case": case,
        "reference": references.format_reference(case.reference),
        "verified": verified,
        "deadline": _public_deadline(case),
        **forms,
    }
    if verified:
        context["events"] = (
            case.events.filter(is_public=True)
            .exclude(type=CaseEvent.Type.ASSIGNED)
            .prefetch_related("attachments")
        )
        citizen_may = workflow.allowed_actions(case, workflow.CITIZEN)
        appeal = Appeal.objects.filter(case=case).select_related("institution").first()
        appeal_until = workflow.appeal_deadline(case)
        context["can_add"] = workflow.can_add_information(case)
        context["can_rate"] = workflow.can_rate(case)
        context["can_reopen"] = "reopen" in citizen_may
        context["can_close"] = "close" in citizen_may
        context["appeal"] = appeal
        context["appeal_until"] = appeal_until
        context["can_appeal"] = (
            "appeal" in citizen_may
            and appeal is None
            and appeal_until is not None
            and timezone.now() <= appeal_until
        )
        context["has_contact"] = Contact.objects.filter(case=case, erased_at=None).exists()
        context.setdefault("message_form", CitizenMessageForm())
        context.setdefault("rating_form", RatingForm())
        context.setdefault("reopen_form", ReopenForm())
        context.setdefault("appeal_form", AppealForm())
    return context


def _public_deadline(case: Case):
    if case.status == Status.SUBMITTED:
        return case.acknowledge_due
    if case.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
        return case.resolve_due
    return None


def case_data(request, page, reference):
    """The citizen's own data for this case, as a JSON download (PIN first)."""
    case = Case.objects.select_related("institution", "service").filter(reference=reference).first()
    if case is None or not tracking.is_proven(request.session, reference):
        raise Http404
    response = JsonResponse(privacy.personal_data(case), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="mrejesho-{reference}.json"'
    return response
