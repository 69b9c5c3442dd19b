"""The citizen's web journey; FeedbackPage (pages.models) routes its URLs here.

Views only parse forms, call feedback.workflow and render; every rule lives in the domain.
"""

import uuid
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config import page_cache
from feedback import citizens, limits, pin_recovery, privacy, references, tracking, workflow
from feedback.action_forms import action_form
from feedback.attachments import store_upload, validate_upload
from feedback.forms import FeedbackForm, MultipleFileField, PinForm, ReferenceForm
from feedback.models import Appeal, Case, Channel, Contact, Status, SubmissionDraft

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
        if form.filled_honeypot:
            return _honeypot(request, page, form, draft)
        draft = draft or _draft(request, create=True)
        valid = form.is_valid()  # runs before file checks so both sets of errors show
        _store_files(request, form, draft)
        if valid and not form.errors:
            draft.data = form.draft_data()
            draft.save()
            return HttpResponseRedirect(_url(page, request, "new/review/"))
        # Keep what was typed, even if invalid, so the form comes back as the citizen left it.
        draft.data = {
            name: request.POST.get(name, "")
            for name in form.fields
            if name not in ("files", "website")
        }
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
        if draft is None:
            # A blank form, the same for everyone but its CSRF token: kept in the page cache,
            # keyed by its address only when that is the plain one or a real service's.
            blank = {} if service is None else {"service": str(service.pk)}
            context = {"form": form, "files": [], **page_cache.form_context()}
            response = _render(request, page, "form.html", context)
            return page_cache.keep_form_page(
                request, response, shareable_request=request.GET.dict() == blank
            )
        status = 200
    files = list(draft.files.all()) if draft else []
    return _render(request, page, "form.html", {"form": form, "files": files}, status=status)


def _honeypot(request, page, form, draft):
    """A filled honeypot: nothing is kept (no draft, no file), the answer looks like any form
    error, and it counts against the address's submissions."""
    form.is_valid()  # the form's own errors, and the honeypot's plain "check the form"
    with suppress(limits.LimitExceeded):  # the same answer either way: a bot learns nothing
        limits.hit("submissions-per-address", tracking.client_address(request))
    files = list(draft.files.all()) if draft else []
    return _render(request, page, "form.html", {"form": form, "files": files}, status=400)


def _limit_submission(request, draft) -> None:
    """Count this submission against its address and its contact phone (LimitExceeded past
    either). Counted before the draft is locked, so a count's row lock never waits on intake;
    a retry of a draft already sent is not counted."""
    if _sent_case(request) is not None:
        return
    limits.hit("submissions-per-address", tracking.client_address(request))
    phone = draft.data.get("phone") if draft is not None else ""
    if phone:  # normalised by the form (workflow.normalise_phone) when the draft was kept
        limits.hit("submissions-per-phone", phone)


def _too_many_submissions(request, page, draft, error):
    """The form again, as the citizen left it, with when to come back (429)."""
    form = FeedbackForm(data=draft.data)
    form.is_valid()
    form.add_error(None, error.message)
    context = {"form": form, "files": list(draft.files.all())}
    response = _render(request, page, "form.html", context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


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
    unlocked = SubmissionDraft.objects.filter(token=token).first() if token else None
    if unlocked is not None and FeedbackForm(data=unlocked.data).is_valid():
        try:
            _limit_submission(request, unlocked)
        except limits.LimitExceeded as error:
            return _too_many_submissions(request, page, unlocked, error)
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
                    **form.submission_fields(language=get_language()),
                    channel=Channel.WEB,
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
            try:  # counted once, where the case is looked up
                citizens.limit_lookups(tracking.client_address(request), count=False)
            except citizens.TooManyAttempts as error:
                return _too_many_lookups(request, page, form, error)
            reference = form.cleaned_data["reference"]
            return HttpResponseRedirect(_url(page, request, f"track/{reference}/"))
        return _render(request, page, "track.html", {"form": form}, status=400)
    response = _render(request, page, "track.html", {"form": ReferenceForm()})
    if request.GET:  # any other query string: answered, but not kept under its address
        return response
    return page_cache.mark_public_page(page, request, response)  # a GET form: no CSRF token


def track_case(request, page, reference):
    form = ReferenceForm({"reference": reference})
    if not form.is_valid():
        return _render(request, page, "track.html", {"form": form}, status=400)
    reference = form.cleaned_data["reference"]
    if not tracking.is_proven(request.session, reference):
        try:
            citizens.limit_lookups(tracking.client_address(request))
        except citizens.TooManyAttempts as error:
            return _too_many_lookups(request, page, form, error)
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
            response, forms["pin_form"], status = _check_pin(request, page, case)
            if response:
                return response
        elif not verified:
            messages.error(request, _("Enter your PIN first."))
            status = 403
        else:
            response, shown, status = _citizen_action(request, case, action)
            if response:
                return response
            forms.update(shown)
    response = _render(
        request, page, "track_case.html", _case_context(case, verified, forms), status
    )
    # Verified, the exchange and personal data are on it; before, the case's status and the
    # PIN form: one citizen's case either way, for no shared cache (issue 20).
    response["Cache-Control"] = "no-store"
    return response


def _too_many_lookups(request, page, form, error):
    form.add_error(None, error.message)
    response = _render(request, page, "track.html", {"form": form}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _check_pin(request, page, case):
    """Prove the citizen through feedback.citizens; a refusal answers 429 with Retry-After."""
    form = PinForm(request.POST)
    if not form.is_valid():  # not a PIN at all: not counted against the reference
        return None, form, 400
    try:
        citizens.prove(case.reference, form.cleaned_data["pin"], tracking.client_address(request))
    except citizens.TooManyAttempts as error:
        form.add_error(None, error.message)
        context = _case_context(case, tracking.is_proven(request.session, case.reference), {})
        response = _render(request, page, "track_case.html", {**context, "pin_form": form}, 429)
        response["Retry-After"] = str(error.retry_after)
        return response, form, 429
    except citizens.ProofFailed as error:
        form.add_error("pin", error.message)
        return None, form, 400
    tracking.remember_proven(request.session, case.reference)
    return HttpResponseRedirect(request.path), form, 302


# Citizen actions the tracking page does not offer: "dispute" is the feature phone's "not
# resolved" (SMS NO/HAPANA, the USSD menu); on the web it would repeat "No, reopen my case"
# (same window, same reopening). The web keeps reopen, the action table and the API keep both.
NOT_ON_THE_WEB = frozenset({"dispute"})


def _citizen_forms(case, actor, data=None, files=None, posted=""):
    """The forms of the actions the citizen may take now, by the action table; the posted
    one is bound to the request."""
    forms = {}
    for name in workflow.allowed_actions(case, actor):
        if name in NOT_ON_THE_WEB:
            continue
        bound = name == posted
        form = action_form(name, case, data if bound else None, files if bound else None)
        if name == "add_information":
            form.fields["files"] = MultipleFileField(
                label=_("Photos or documents (optional)"), required=False
            )
        forms[name] = form
    return forms


def _citizen_action(request, case, action):
    """Take one of the citizen's actions (or erase their contact details), then PRG.

    Returns (redirect or None, what the page shows again, status)."""
    actor = workflow.citizen_of(case)
    forms = _citizen_forms(case, actor, request.POST, request.FILES, posted=action)
    if action == "erase" and request.POST.get("confirm") != "yes":
        # Deleting cannot be undone: the first press only asks (a page, so no script).
        return None, {"actions": forms, "confirm_erase": True}, 200
    if action == "erase":
        privacy.erase_contact(case, reason=_("Erased at the citizen's request."), by_citizen=True)
        messages.success(request, _("Your contact details were deleted."))
        return HttpResponseRedirect(request.path), {}, 302
    form = forms.get(action)
    if form is None:
        # Not open to the citizen now (a double click on a case that moved on, or a forged
        # action): say why, and show the case as it is now.
        refused = workflow.refusal(action, case, actor) if action in workflow.ACTIONS else None
        messages.error(request, refused.message if refused else _("That action does not exist."))
        return None, {"actions": forms}, 409
    if not form.is_valid():
        return None, {"actions": forms}, 400
    params = {name: value for name, value in form.cleaned_data.items() if name != "files"}
    try:
        uploads = [
            (upload, validate_upload(upload))
            for upload in request.FILES.getlist(f"{action}-files")[: settings.ATTACHMENT_MAX_FILES]
        ]
        with transaction.atomic():
            case = workflow.perform(action, case, by=actor, **params)
            if uploads:
                event = case.events.latest("pk")
                for upload, content_type in uploads:
                    store_upload(upload, content_type, case=case, event=event)
    except ValidationError as error:
        form.add_error("files", error)
        return None, {"actions": forms}, 400
    except workflow.WorkflowError as error:
        form.add_error(None, error.message)
        return None, {"actions": forms}, 400
    messages.success(request, workflow.ACTIONS[action].thanks or _("Thank you."))
    return HttpResponseRedirect(request.path), {}, 302


def _case_context(case: Case, verified: bool, forms: dict) -> dict:
    context = {
        "case": case,
        "reference": references.format_reference(case.reference),
        "verified": verified,
        "deadline": _public_deadline(case),
        **forms,
    }
    shown = [forms.get("pin_form"), *forms.get("actions", {}).values()]
    context["has_errors"] = any(form is not None and form.errors for form in shown)
    if verified:
        context["events"] = tracking.public_exchange(case).prefetch_related("attachments")
        actions = forms.get("actions") or _citizen_forms(case, workflow.citizen_of(case))
        context["actions"] = actions
        context["appeal"] = Appeal.objects.filter(case=case).select_related("institution").first()
        context["appeal_until"] = workflow.appeal_deadline(case)
        context["has_contact"] = Contact.objects.filter(case=case, erased_at=None).exists()
        surviving = tracking.surviving_case(case)
        if surviving is not None:
            context["merged_into"] = {
                "case": surviving,
                "reference": references.format_reference(surviving.reference),
                "deadline": _public_deadline(surviving),
                "replies": tracking.institution_replies(surviving),
            }
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
