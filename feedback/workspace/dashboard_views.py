"""The oversight dashboard and the audit-chain check screens of the admin. Thin: a form checks
the query string, feedback.workspace.dashboards and audit_tools decide and count."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from feedback.access import covers
from feedback.audit import current_head
from feedback.reports.admin_forms import InstitutionChoice
from feedback.reports.delivery import institutions_for
from feedback.workspace import audit_tools, dashboards

# How often a running check's page reloads itself, in seconds (no JavaScript needed).
REFRESH_SECONDS = 3
RECENT_CHECKS = 10


def refused(request, title, message):
    """A 403 that says why, in the admin's layout (Wagtail answers PermissionDenied with a
    redirect to the dashboard, which would hide the reason)."""
    return TemplateResponse(
        request,
        "feedback/workspace/forbidden.html",
        {"page_title": title, "header_title": title, "message": message},
        status=403,
    )


class OversightForm(forms.Form):
    """The only parameters the oversight dashboard reads: an institution the user covers
    (by the short code staff type) and a period."""

    institution = InstitutionChoice(
        label=_("Institution"), queryset=None, to_field_name="short_code", required=False
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.today = user, today
        self.fields["institution"].queryset = institutions_for(user)
        self.fields["institution"].empty_label = None

    def clean(self):
        data = super().clean()
        default_from, default_to = dashboards.default_period(self.today)
        data["institution"] = data.get("institution") or dashboards.default_institution(self.user)
        if data.get("date_from") is None:
            data["date_from"] = default_from
        if data.get("date_to") is None:
            data["date_to"] = default_to
        if "date_to" not in self.errors and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The last day must not be before the first day."))
        return data


class OversightDashboardView(WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Oversight dashboard")
    header_icon = "table"
    template_name = "feedback/workspace/oversight_dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        if not dashboards.may_see_oversight(request.user):
            return refused(
                request,
                self.page_title,
                _(
                    "The oversight dashboard is for oversight leaders, feedback leads and "
                    "auditors. Ask your administrator if you need it."
                ),
            )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        form = OversightForm(request.GET, user=request.user, today=today)
        if not form.is_valid():
            # What was typed comes back with the reason beside it.
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        if data["institution"] is None:
            raise Http404
        board = dashboards.oversight(data["institution"], data["date_from"], data["date_to"])
        # Shown with the values in force, the defaults included.
        shown = OversightForm(initial=data, user=request.user, today=today)
        context = self.get_context_data(
            form=shown,
            board=board,
            date_from=data["date_from"],
            date_to=data["date_to"],
            up=[level for level in board.ancestors if covers(request.user, level)],
            directives=dashboards.directives_given_open(request.user),
        )
        return self.render_to_response(context)


class AuditOnly:
    def dispatch(self, request, *args, **kwargs):
        if not audit_tools.may_check_chain(request.user):
            return refused(
                request,
                _("Audit-chain check"),
                _("The audit-chain check is for auditors and administrators."),
            )
        return super().dispatch(request, *args, **kwargs)


class ChainCheckView(AuditOnly, WagtailAdminTemplateMixin, TemplateView):
    """GET: the chain's head, the last result, the recent runs. POST: start a check."""

    page_title = _("Audit-chain check")
    header_icon = "lock"
    template_name = "feedback/workspace/chain_check.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            head=current_head(),
            latest=audit_tools.latest_finished(),
            running=audit_tools.in_progress(timezone.now()),
            recent=audit_tools.checks()[:RECENT_CHECKS],
            exports=audit_tools.exports(),
        )
        return context

    def post(self, request, *args, **kwargs):
        check = audit_tools.start_chain_check(request.user, timezone.now())
        return HttpResponseRedirect(reverse("feedback_audit_chain_check_status", args=[check.pk]))


class ChainCheckStatusView(AuditOnly, WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Audit-chain check")
    header_icon = "lock"
    template_name = "feedback/workspace/chain_check_status.html"

    def get_breadcrumbs_items(self):
        index = {"url": reverse("feedback_audit_chain_check"), "label": self.page_title}
        return [*self.breadcrumbs_items, index, {"url": "", "label": _("Result")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        check = audit_tools.checks().filter(pk=kwargs["pk"]).first()
        if check is None:
            raise Http404
        context.update(check=check, refresh_seconds=REFRESH_SECONDS)
        return context
