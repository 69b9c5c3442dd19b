"""A case in the Wagtail admin: its story, and the actions the signed-in staff member may take.

Thin: it finds the case through feedback.access, offers what the action table allows, and
acts through feedback.workflow.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import references, workflow
from feedback.access import cases_visible_to
from feedback.action_forms import action_form
from feedback.models import Contact, PublicOutcome
from feedback.scrubbing import KIND_LABELS


def case_workspace(request, pk):
    case = get_object_or_404(
        cases_visible_to(request.user).select_related(
            "institution", "service", "escalated_to", "assigned_to"
        ),
        pk=pk,
    )
    by = workflow.staff(request.user)
    now = timezone.now()
    allowed = workflow.allowed_actions(case, by, now)
    forms = {name: action_form(name, case) for name in allowed}
    status = 200
    if request.method == "POST":
        name = request.POST.get("action", "")
        if name not in allowed:
            messages.error(request, _("That action is not available on this case now."))
            status = 400
        else:
            form = forms[name] = action_form(name, case, request.POST)
            if form.is_valid():
                try:
                    workflow.perform(name, case, by=by, **form.cleaned_data)
                except workflow.WorkflowError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, _("Case %(ref)s updated.") % {"ref": case.reference})
                    return HttpResponseRedirect(reverse("feedback_case_workspace", args=[case.pk]))
            status = 400
    try:
        contact = case.contact
    except Contact.DoesNotExist:
        contact = None
    outcome = (
        PublicOutcome.objects.filter(case=case).select_related("written_by", "reviewed_by").first()
    )
    context = {
        "case": case,
        "outcome": outcome,
        "removed": [
            (KIND_LABELS.get(item["kind"], item["kind"]), item["masked"])
            for item in (outcome.removed if outcome else [])
        ],
        "reference": references.format_reference(case.reference),
        "contact": contact,
        "events": case.events.select_related("actor").prefetch_related("attachments"),
        "attachments": case.attachments.all(),
        "actions": [(name, workflow.ACTIONS[name].button, form) for name, form in forms.items()],
        "posted": request.POST.get("action", ""),
        "overdue": workflow.is_overdue(case, now),
        "page_title": _("Case %(ref)s") % {"ref": references.format_reference(case.reference)},
        "header_icon": "form",
    }
    return TemplateResponse(request, "feedback/staff/case_workspace.html", context, status=status)
