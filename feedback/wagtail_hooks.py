"""Wires the registry into the Wagtail admin: its listings (admin_views), the workspace (each
area's hooks module in feedback/workspace), and the accountability reports
(feedback.reports.admin_views) in Wagtail's Reports menu."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from feedback.admin_views import RegistryGroup, RegistryPermissionPolicy
from feedback.reports.admin_views import ReportViewSet
from feedback.workspace import (  # noqa: F401 (each registers its own hooks)
    agent_hooks,
    api_client_hooks,
    case_page_hooks,
    dashboard_hooks,
    data_subject_hooks,  # issue 19, contacts: Settings > Data-subject requests
    inbox_hooks,
    staff_language_hooks,
    two_factor_hooks,
)

# Registered before any view asks, or Wagtail would fall back to Django's full model permissions.
for viewset in RegistryGroup.items:
    register_permission_policy(
        viewset.model, RegistryPermissionPolicy(viewset.model, viewset.actions), exact_class=True
    )


@hooks.register("register_admin_viewset")
def registry_viewsets():
    return RegistryGroup()


report_viewset = ReportViewSet()


@hooks.register("register_admin_viewset")
def report_screen():
    return report_viewset


@hooks.register("register_reports_menu_item")
def report_menu_item():
    return report_viewset.get_menu_item()
