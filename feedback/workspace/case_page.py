"""The staff case page in the Wagtail admin, its attachments and its history.

Thin: the case is found through feedback.access (404 and a log line outside the user's view),
the actions are exactly those the action table allows this user now, each taken through
workflow.perform; contact details are revealed only by feedback.workspace.contact.
"""

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import references, workflow
from feedback.access import cases_visible_to, may_reveal_contact, role_of
from feedback.action_forms import action_form
from feedback.models import Case, CaseEvent, Contact, PublicOutcome, Role
from feedback.scrubbing import KIND_LABELS
from feedback.workspace import canned, contact, history, queues

log = logging.getLogger("feedback.access")

# Actions whose text a canned response may fill, and the parameter it fills.
CANNED_TARGETS = {"reply": "body", "resolve": "response"}
# Images shown inline on the page and opened inline from the attachment view; PDFs open inline.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
INLINE_TYPES = INLINE_IMAGES | {"application/pdf"}


# --- finding the case ------------------------------------------------------------------------


def find_case(request, pk: int):
    """The case, if this user may see it; a 404 (and a line in the access log) otherwise."""
    case = (
        cases_visible_to(request.user)
        .select_related(
            "institution",
            "service",
            "escalated_to",
            "assigned_to",
            "duplicate_of",
            "submitted_by",
            "service_point",
            "api_client",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        log.warning("case out of scope: user=%s case=%s", request.user.pk, pk)
        raise Http404(_("No such case."))
    return case


def sees_internal(user) -> bool:
    """Agents act for citizens: they read what the citizen reads, not staff's internal notes."""
    return role_of(user) != Role.AGENT


def no_store(response):
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- a disputed resolution -------------------------------------------------------------------


def open_dispute(case) -> CaseEvent | None:
    """The citizen's "not resolved" (the last dispute event: their words, when) while the case
    is still disputed (queues.disputed: open, not resolved since); None otherwise. No query for
    a case never disputed."""
    if case.disputed_at is None:
        return None
    if not Case.objects.filter(pk=case.pk).filter(queues.disputed()).exists():
        return None
    return case.events.filter(action="dispute").order_by("-created_at", "-pk").first()


# --- deadlines --------------------------------------------------------------------------------


# --- forms ------------------------------------------------------------------------------------


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need the contact details?"),
        max_length=500,
        error_messages={"required": gettext_lazy("Say why you need the contact details.")},
    )


class CannedFillForm(forms.Form):
    """`?fill=reply&canned=<id>&lang=sw`: a canned response's text into a form on the page."""

    fill = forms.ChoiceField(choices=[(name, name) for name in CANNED_TARGETS])
    canned = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("Canned response"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the canned responses.")},
    )
    lang = forms.ChoiceField(choices=settings.LANGUAGES, label=gettext_lazy("Language"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned"].queryset = canned.usable_on(case)


@dataclass
class ActionPanel:
    name: str
    label: str
    form: forms.Form
    canned_form: CannedFillForm | None = None
    open: bool = False


# --- the page ---------------------------------------------------------------------------------


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _who(user) -> str:
    """A staff member as the timeline and history name them: name and role."""
    if user is None:
        return ""
    name = _name(user)
    role = role_of(user)
    return f"{name} ({Role(role).label})" if role else name


def _timeline(case, internal: bool):
    events = case.events.select_related("actor__staff_profile").prefetch_related("attachments")
    if not internal:
        events = events.filter(is_public=True)
    rows = []
    for event in events:
        action = workflow.ACTIONS.get(event.action)
        if event.actor is not None and event.actor_kind == event.ActorKind.STAFF:
            who = _who(event.actor)
        elif event.actor is not None:  # an agent who wrote for the citizen
            who = f"{event.get_actor_kind_display()} · {_who(event.actor)}"
        else:
            who = event.get_actor_kind_display()
        rows.append(
            {
                "event": event,
                "who": who,
                "what": action.button if action else event.get_type_display(),
                "attachments": list(event.attachments.all()),
            }
        )
    return rows


def _sms_sent(case):
    """The SMS sent about the case and what became of each (one query, however many)."""
    rows = []
    for delivery in case.sms_deliveries.all():
        action = workflow.ACTIONS.get(delivery.purpose)
        about = action.button if action else (delivery.purpose or _("Message"))
        rows.append({"delivery": delivery, "about": about})
    return rows


def render_page(request, case, *, panels, status=200, revealed=None, reveal_form=None):
    user = request.user
    now = timezone.now()
    internal = sees_internal(user)
    try:
        case_contact = case.contact
    except Contact.DoesNotExist:
        case_contact = None
    outcome = None
    if internal:
        outcome = (
            PublicOutcome.objects.filter(case=case)
            .select_related("written_by", "reviewed_by")
            .first()
        )
    attachments = case.attachments.select_related("event")
    if not internal:
        attachments = attachments.exclude(event__is_public=False)
    reference = references.format_reference(case.reference)
    visible = cases_visible_to(user)
    context = {
        "case": case,
        "reference": reference,
        "internal": internal,
        "assignee": _name(case.assigned_to),
        "agent": _name(case.submitted_by),
        "language_name": dict(settings.LANGUAGES).get(case.language, case.language),
        "overdue": workflow.is_overdue(case, now),
        "due_soon": workflow.is_due_soon(case, now),
        "next_deadline": workflow.next_due(case),
        "dispute": open_dispute(case),
        "contact": case_contact,
        "masked": contact.masked(case_contact) if case_contact else None,
        "revealed": revealed,
        "may_reveal": case_contact is not None
        and case_contact.erased_at is None
        and may_reveal_contact(user, case),
        "reveal_form": reveal_form or RevealForm(),
        "reveal_open": reveal_form is not None,
        "attachments": attachments,
        "inline_images": INLINE_IMAGES,
        "timeline": _timeline(case, internal),
        "sms_sent": _sms_sent(case),
        "directives": (
            case.directives.select_related("given_by", "answered_by", "issued_by_institution")
            if internal
            else []
        ),
        "merged_into": case.duplicate_of,
        "merged_into_visible": case.duplicate_of_id is not None
        and visible.filter(pk=case.duplicate_of_id).exists(),
        "merged_here": visible.filter(duplicate_of=case).only("pk", "reference", "subject"),
        "outcome": outcome,
        "removed": [
            (KIND_LABELS.get(item["kind"], item["kind"]), item["masked"])
            for item in (outcome.removed if outcome else [])
        ],
        "panels": panels,
        "history_url": reverse("feedback_case_history", args=[case.pk]),
        "page_title": _("Case %(ref)s") % {"ref": reference},
        "header_title": _("Case %(ref)s") % {"ref": reference},
        "header_icon": "form",
    }
    response = TemplateResponse(
        request, "feedback/workspace/case_page.html", context, status=status
    )
    return no_store(response)


def _panels(case, by, now, *, posted=None, data=None, fill=None):
    """One panel per allowed action; `posted` is the action a POST tried, `fill` a valid
    CannedFillForm's cleaned data."""
    panels = []
    for name in workflow.allowed_actions(case, by, now):
        form = action_form(name, case, data if name == posted else None)
        panel = ActionPanel(name, workflow.ACTIONS[name].button, form, open=name == posted)
        if name in CANNED_TARGETS:
            panel.canned_form = CannedFillForm(
                case=case, initial={"fill": name, "lang": case.language}
            )
            if fill and fill["fill"] == name:
                form.initial[CANNED_TARGETS[name]] = fill["canned"].text_in(fill["lang"])
                panel.canned_form = CannedFillForm(
                    case=case,
                    initial={"fill": name, "lang": fill["lang"], "canned": fill["canned"]},
                )
                panel.open = True
        panels.append(panel)
    return panels


def case_page(request, pk: int):
    case = find_case(request, pk)
    by = workflow.staff(request.user)
    now = timezone.now()
    if request.method == "POST":
        return _act(request, case, by, now)
    fill, status = None, 200
    if "fill" in request.GET or "canned" in request.GET:
        fill_form = CannedFillForm(request.GET, case=case)
        if fill_form.is_valid() and fill_form.cleaned_data["fill"] in workflow.allowed_actions(
            case, by, now
        ):
            fill = fill_form.cleaned_data
        else:
            messages.error(request, _("That canned response cannot be used on this case."))
            status = 400
    return render_page(request, case, panels=_panels(case, by, now, fill=fill), status=status)


def _act(request, case, by, now):
    name = request.POST.get("action", "")
    allowed = workflow.allowed_actions(case, by, now)
    if name not in allowed:
        messages.error(request, _("That action is not available on this case now."))
        return render_page(request, case, panels=_panels(case, by, now), status=400)
    panels = _panels(case, by, now, posted=name, data=request.POST)
    form = next(panel.form for panel in panels if panel.name == name)
    if form.is_valid():
        try:
            workflow.perform(name, case, by=by, **form.cleaned_data)
        except workflow.WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Case %(ref)s updated.") % {"ref": case.reference})
            return HttpResponseRedirect(reverse("feedback_case_workspace", args=[case.pk]))
    return render_page(request, case, panels=panels, status=400)


def reveal_contact(request, pk: int):
    """POST: show the contact details on this response only, once the reveal is recorded.
    GET reveals nothing: it is the masked page with the reveal form open."""
    case = find_case(request, pk)
    by = workflow.staff(request.user)
    now = timezone.now()
    if request.method != "POST":
        return render_page(request, case, panels=_panels(case, by, now), reveal_form=RevealForm())
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render_page(
            request, case, panels=_panels(case, by, now), status=400, reveal_form=form
        )
    try:
        revealed = contact.reveal_contact(request.user, case, form.cleaned_data["reason"], now)
    except contact.RevealRefused as refused:
        if refused.code == "not_visible":
            raise Http404(refused.message) from refused
        if refused.code == "not_allowed":
            # A 403 on the page itself: Wagtail turns PermissionDenied into a redirect home.
            log.warning("contact reveal refused: user=%s case=%s", request.user.pk, case.pk)
            messages.error(request, refused.message)
            return render_page(request, case, panels=_panels(case, by, now), status=403)
        form.add_error(None, refused.message)
        return render_page(
            request, case, panels=_panels(case, by, now), status=400, reveal_form=form
        )
    return render_page(request, case, panels=_panels(case, by, now), revealed=revealed)


# --- attachments ------------------------------------------------------------------------------


def case_attachment(request, pk: int, attachment_pk: int):
    """A file of a case the user may see, as the type it was checked to be on upload; never
    rendered by the browser as anything else, never cached."""
    case = find_case(request, pk)
    files = case.attachments.all()
    if not sees_internal(request.user):
        files = files.exclude(event__is_public=False)
    attachment = files.filter(pk=attachment_pk).first()
    if attachment is None:
        log.warning(
            "attachment out of scope: user=%s case=%s attachment=%s",
            request.user.pk,
            case.pk,
            attachment_pk,
        )
        raise Http404(_("No such file."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404(_("No such file.")) from missing
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return no_store(response)


# --- history ----------------------------------------------------------------------------------


def case_history(request, pk: int):
    """Every history row of the case and what hangs from it, with the fields each changed;
    agents read only what concerns the citizen's side of it."""
    case = find_case(request, pk)
    entries = history.case_history(case, internal=sees_internal(request.user))
    reference = references.format_reference(case.reference)
    context = {
        "case": case,
        "reference": reference,
        "entries": [(entry, _who(entry.user)) for entry in entries],
        "page_title": _("History of case %(ref)s") % {"ref": reference},
        "header_title": _("History of case %(ref)s") % {"ref": reference},
        "header_icon": "history",
    }
    return no_store(TemplateResponse(request, "feedback/workspace/case_history.html", context))
