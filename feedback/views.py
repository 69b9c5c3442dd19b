"""The citizen's web journey; FeedbackPage (pages.models) routes its URLs here.

Views only parse forms, call feedback.workflow and render; every rule lives in the domain.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from feedback import pin_recovery, privacy, references, tracking, workflow
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
    for attachment in draft.files.filter(pk__in=request.POST.getlist("remove_file")):
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
    if request.method == "POST" and "change" not in request.POST:
        return _send(request, page)
    draft = _draft(request)
    if draft is None or not draft.data:
        # Back or reload after sending: the first case again, never a second one.
        case = _sent_case(request)
        if case is not None:
            return _confirmation(request, page, case, pin=None)
        return HttpResponseRedirect(_url(page, request, "new/"))
    form = FeedbackForm(data=draft.data)
    if not form.is_valid() or request.method == "POST":  # POST here is "Change"
        return HttpResponseRedirect(_url(page, request, "new/"))
    context = {"data": form.cleaned_data, "files": draft.files.all(), "form": form}
    context["institution"] = form.routed_institution()
    context["kind_label"] = dict(form.fields["kind"].choices)[form.cleaned_data["kind"]]
    return _render(request, page, "review.html", context)


def _sent_case(request) -> Case | None:
    """The case this browser's draft became: the draft's token is its idempotency key."""
    token = request.session.get(DRAFT_KEY)
    if not token:
        return None
    return Case.objects.filter(channel=Channel.WEB, idempotency_key=token).first()


def _send(request, page):
    """Submit the draft once: its row is locked, and its token is the idempotency key, so a
    double click or a retry waits for the first and answers with the same case."""
    token = request.session.get(DRAFT_KEY)
    try:
        with transaction.atomic():
            draft = (
                SubmissionDraft.objects.select_for_update().filter(token=token).first()
                if token
                else None
            )
            form = FeedbackForm(data=draft.data) if draft is not None else None
            if form is None or not form.is_valid():
                submission = None
            else:
                submission = workflow.submit(
                    **_submission_fields(form),
                    attachments=list(draft.files.all()),
                    idempotency_key=str(draft.token),
                )
                draft.delete()
    except workflow.WorkflowError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_url(page, request, "new/"))
    if submission is None:
        case = _sent_case(request)
        if case is None:
            return HttpResponseRedirect(_url(page, request, "new/"))
        return _confirmation(request, page, case, pin=None)
    # The draft token stays in the session: a retry of this POST finds the case by it.
    tracking.remember_proven(request.session, submission.case.reference)
    return _confirmation(request, page, submission.case, pin=submission.pin)


def _submission_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "institution": form.routed_institution(),
        "service": data["service"],
        "area": data["area"],
        "location": data["location"],
        "subject": data["subject"],
        "description": data["description"],
        "channel": Channel.WEB,
        "language": get_language(),
        "contact": workflow.ContactDetails(
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            notify_by=data["notify_by"],
        ),
        "consent_to_publish": data["consent_to_publish"],
    }


def _confirmation(request, page, case: Case, *, pin: str | None):
    """The one page that ever shows the PIN, answered to the POST that drew it: it is never
    stored to be shown again, and no cache may keep the page. Without a PIN, the case was
    sent before (a double click, a retry, the back button)."""
    context = {
        "case": case,
        "reference": references.format_reference(case.reference),
        "pin": pin,
        "recoverable": pin_recovery.can_recover_pin(case),
    }
    response = _render(request, page, "thanks.html", context)
    response["Cache-Control"] = "no-store"
    return response


def new_pin(request, page, reference):
    """Forgot your PIN?: a new one is sent to the contact on file; the page never shows it,
    and answers the same whether or not there is a contact to send it to."""
    case = get_object_or_404(Case, reference=reference)
    status, asked = 200, request.method == "POST"
    if asked:
        try:
            pin_recovery.ask_for_new_pin(case, client=tracking.client_address(request))
        except pin_recovery.TooManyRequests:
            status = 429
    context = {
        "case": case,
        "reference": references.format_reference(reference),
        "asked": asked,
        "throttled": status == 429,
    }
    response = _render(request, page, "new_pin.html", context, status)
    response["Cache-Control"] = "no-store"
    return response


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
    response = _render(
        request, page, "track_case.html", _case_context(case, verified, forms), status
    )
    if verified:
        response["Cache-Control"] = "no-store"  # the exchange and personal data are on it
    return response


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
        (form or forms["message_form"]).add_error(None, error.message)
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
    response["Cache-Control"] = "no-store"
    return response
