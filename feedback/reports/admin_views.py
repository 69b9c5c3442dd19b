"""The reports screen of the Wagtail admin: a form, then the file at once (small scopes) or a
progress page that refreshes itself until the background task's file is ready (large ones).

Thin: the form checks the parameters, feedback.reports.delivery decides and renders.
"""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from feedback.reports import delivery
from feedback.reports.admin_forms import ReportForm

# How often the progress page reloads itself, in seconds (no JavaScript needed).
REFRESH_SECONDS = 3
RECENT = 10


def forbidden(request):
    """A 403 that says why, in the admin's layout. (Raising PermissionDenied would have
    Wagtail's admin answer with a redirect to its dashboard instead.)"""
    return TemplateResponse(
        request,
        "feedback/reports/forbidden.html",
        {"page_title": _("Accountability reports"), "header_title": _("Accountability reports")},
        status=403,
    )


class ReportsOnly:
    """Auditors, oversight leaders, feedback leads (and administrators); others get a 403."""

    def dispatch(self, request, *args, **kwargs):
        if not delivery.may_request_reports(request.user):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)


class ReportFormView(ReportsOnly, WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Accountability reports")
    header_icon = "doc-full"
    template_name = "feedback/reports/form.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or ReportForm(user=self.request.user, today=self._today())
        context["recent"] = delivery.requests_of(self.request.user)[:RECENT]
        context["threshold"] = settings.REPORT_BACKGROUND_CASES
        return context

    def _today(self):
        return timezone.localdate()

    def post(self, request, *args, **kwargs):
        form = ReportForm(request.POST, user=request.user, today=self._today())
        if not form.is_valid():
            # Everything typed comes back with the errors beside it.
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        scope = {
            "subunits": data["subunits"],
            "language": data["language"],
            "fmt": data["format"],
        }
        args = (request.user, data["institution"], data["date_from"], data["date_to"])
        cases = delivery.scope_size(*args[1:], data["subunits"])
        if delivery.runs_in_background(cases):
            row = delivery.request_report(*args, cases=cases, now=timezone.now(), **scope)
            return HttpResponseRedirect(reverse("feedback_reports:status", args=[row.pk]))
        report = delivery.render_report(*args, now=timezone.now(), **scope)
        response = HttpResponse(report.content, content_type=report.content_type)
        response["Content-Disposition"] = f'attachment; filename="{report.name}"'
        return response


class ReportStatusView(ReportsOnly, WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Accountability reports")
    page_subtitle = _("Report in preparation")
    header_icon = "doc-full"
    template_name = "feedback/reports/status.html"

    def get_breadcrumbs_items(self):
        index = {"url": reverse("feedback_reports:index"), "label": self.page_title}
        return [*self.breadcrumbs_items, index, {"url": "", "label": self.page_subtitle}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = delivery.requests_of(self.request.user).filter(pk=kwargs["pk"]).first()
        if row is None:
            raise Http404
        context.update(report=row, refresh_seconds=REFRESH_SECONDS)
        return context


def download(request, pk):
    if not delivery.may_request_reports(request.user):
        return forbidden(request)
    row = delivery.ready_file_of(request.user, pk)
    if row is None:
        raise Http404
    name = row.file.name.rsplit("/", 1)[-1]
    return FileResponse(
        row.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=delivery.content_type(row.format),
    )


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return delivery.may_request_reports(request.user)


class ReportViewSet(ViewSet):
    """Registered by feedback.wagtail_hooks; its menu item sits in Wagtail's Reports menu."""

    name = "feedback_reports"
    url_prefix = "feedback/reports"
    menu_label = _("Accountability reports")
    menu_name = "accountability-reports"
    icon = "doc-full"
    menu_item_class = ReportMenuItem

    @property
    def menu_url(self):
        return reverse("feedback_reports:index")

    def get_urlpatterns(self):
        return [
            path("", ReportFormView.as_view(), name="index"),
            path("<int:pk>/", ReportStatusView.as_view(), name="status"),
            path("<int:pk>/download/", download, name="download"),
        ]
