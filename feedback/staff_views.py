"""A case in the Wagtail admin: its story, and the actions the signed-in staff member may take.

Thin: it finds the case through feedback.access and acts through feedback.workflow.
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
from feedback.escalation import overdue_cases
from feedback.models import Contact
from feedback.staff_forms import ACTION_BUTTONS, ACTION_FIELDS, CaseActionForm

PERFORM = {
    "acknowledge": lambda case, by, d: workflow.acknowledge(case, by=by, message=d["text"]),
    "request_information": lambda case, by, d: workflow.request_information(
        case, by=by, question=d["text"]
    ),
    "receive_information": lambda case, by, d: workflow.receive_information(
        case, by=by, information=d["text"]
    ),
    "start": lambda case, by, d: workflow.start(case, by=by, message=d["text"]),
    "resolve": lambda case, by, d: workflow.resolve(case, by=by, response=d["text"]),
    "close": lambda case, by, d: workflow.close(case, by=by, message=d["text"]),
    "reopen": lambda case, by, d: workflow.reopen(case, by=by, reason=d["text"]),
    "reject": lambda case, by, d: workflow.reject(
        case,
        by=by,
        reason=d["rejection_reason"],
        explanation=d["text"],
        duplicate_of=d["duplicate_of"],
    ),
    "refer": lambda case, by, d: workflow.refer(case, by=by, to=d["institution"], reason=d["text"]),
    "escalate": lambda case, by, d: workflow.escalate(case, by=by, reason=d["text"]),
    "assign": lambda case, by, d: workflow.assign(case, by=by, officer=d["officer"]),
    "interim_reply": lambda case, by, d: workflow.interim_reply(
        case, by=by, message=d["text"], expected_by=d["expected_by"]
    ),
    "appeal": lambda case, by, d: workflow.appeal(case, by=by, reason=d["text"]),
    "decide_appeal": lambda case, by, d: workflow.decide_appeal(
        case, by=by, decision=d["decision"], response=d["text"]
    ),
    "escalate_appeal": lambda case, by, d: workflow.escalate_appeal(case, by=by, reason=d["text"]),
    "reply": lambda case, by, d: workflow.reply(
        case, by=by, body=d["text"], internal=d["internal"]
    ),
}


def case_workspace(request, pk):
    case = get_object_or_404(
        cases_visible_to(request.user).select_related(
            "institution", "service", "escalated_to", "assigned_to"
        ),
        pk=pk,
    )
    by = workflow.staff(request.user)
    allowed = workflow.allowed_actions(case, by)
    if workflow.can_reply(case, by):
        allowed.append("reply")
    status = 200
    form = CaseActionForm(case=case)
    if request.method == "POST":
        form = CaseActionForm(request.POST, case=case)
        if form.is_valid() and form.cleaned_data["action"] in allowed:
            try:
                PERFORM[form.cleaned_data["action"]](case, by, form.cleaned_data)
            except workflow.WorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Case %(ref)s updated.") % {"ref": case.reference})
                return HttpResponseRedirect(reverse("feedback_case_workspace", args=[case.pk]))
        elif form.is_valid():
            form.add_error(None, _("That action is not available on this case now."))
        status = 400
    try:
        contact = case.contact
    except Contact.DoesNotExist:
        contact = None
    context = {
        "case": case,
        "reference": references.format_reference(case.reference),
        "contact": contact,
        "events": case.events.select_related("actor").prefetch_related("attachments"),
        "attachments": case.attachments.all(),
        "actions": [(name, ACTION_FIELDS[name], ACTION_BUTTONS[name]) for name in allowed],
        "form": form,
        "overdue": overdue_cases(timezone.now()).filter(pk=case.pk).exists(),
        "page_title": _("Case %(ref)s") % {"ref": references.format_reference(case.reference)},
        "header_icon": "form",
    }
    return TemplateResponse(request, "feedback/staff/case_workspace.html", context, status=status)
