"""Wagtail admin hooks of the workspace: dashboard.

Each role's own panel on the admin's home page (its numbers, each a link to the inbox filtered
to exactly those cases), the oversight dashboard, the audit-chain check and the "Audit" menu.
Wagtail's page panels (pages in moderation, recent edits, locked pages) stay for editors and
administrators; for the case roles, who may not edit pages, they are noise and go.
"""

from django.forms import Media
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import (
    LockedPagesPanel,
    RecentEditsPanel,
    UserObjectsInWorkflowModerationPanel,
    WorkflowObjectsToModeratePanel,
)

from feedback.access import role_of
from feedback.audit import current_head
from feedback.models import Role
from feedback.workspace import audit_tools, dashboard_views, dashboards

CASE_ROLES = frozenset(
    {Role.OFFICER, Role.LEAD, Role.OVERSIGHT, Role.AGENT, Role.AUDITOR, Role.SCREENER}
)
PAGE_PANELS = (
    WorkflowObjectsToModeratePanel,
    UserObjectsInWorkflowModerationPanel,
    RecentEditsPanel,
    LockedPagesPanel,
)
DASHBOARD_MEDIA = Media(css={"all": ["feedback/workspace/dashboard.css"]})


class RolePanel(Component):
    """A panel of the admin's home page for one role; `numbers(user)` gives its context."""

    order = 50
    media = DASHBOARD_MEDIA

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        return {"request": self.request, **self.numbers(self.request.user)}


class WorkloadPanel(RolePanel):
    template_name = "feedback/workspace/panels/workload.html"

    def numbers(self, user):
        return {
            "tiles": dashboards.workload(user, timezone.now()),
            "oversight_url": (
                reverse("feedback_oversight_dashboard")
                if dashboards.may_see_oversight(user)
                else ""
            ),
        }


class AgentPanel(RolePanel):
    template_name = "feedback/workspace/panels/agent.html"

    def numbers(self, user):
        try:  # the service-point desk arrives with the agent's branch
            desk_url = reverse("feedback_service_point_submit")
        except NoReverseMatch:
            desk_url = ""
        return {"tiles": dashboards.agent_numbers(user, timezone.now()), "desk_url": desk_url}


class ScreeningPanel(RolePanel):
    template_name = "feedback/workspace/panels/screening.html"

    def numbers(self, user):
        return {"queue": dashboards.screening_queue(user)}


class AuditPanel(RolePanel):
    order = 60
    template_name = "feedback/workspace/panels/audit.html"

    def numbers(self, user):
        return {
            "head": current_head(),
            "latest": audit_tools.latest_finished(),
            "exports": audit_tools.exports(),
        }


def panels_for(role: str | None) -> list[type[RolePanel]]:
    if role in dashboards.WORKLOAD_ROLES:
        panels = [WorkloadPanel]
        return [*panels, AuditPanel] if role == Role.ADMIN else panels
    return {
        Role.AGENT: [AgentPanel],
        Role.SCREENER: [ScreeningPanel],
        Role.AUDITOR: [AuditPanel],
    }.get(role, [])


@hooks.register("construct_homepage_panels")
def role_panels(request, panels):
    role = role_of(request.user)
    if role in CASE_ROLES:
        panels[:] = [panel for panel in panels if not isinstance(panel, PAGE_PANELS)]
    panels.extend(panel(request) for panel in panels_for(role))


@hooks.register("register_admin_urls")
def dashboard_urls():
    return [
        path(
            "feedback/oversight/",
            dashboard_views.OversightDashboardView.as_view(),
            name="feedback_oversight_dashboard",
        ),
        path(
            "feedback/audit/chain/",
            dashboard_views.ChainCheckView.as_view(),
            name="feedback_audit_chain_check",
        ),
        path(
            "feedback/audit/chain/<int:pk>/",
            dashboard_views.ChainCheckStatusView.as_view(),
            name="feedback_audit_chain_check_status",
        ),
    ]


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return audit_tools.may_check_chain(request.user)


class AuditSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return audit_tools.may_check_chain(request.user)


class OversightMenuItem(MenuItem):
    def is_shown(self, request):
        return dashboards.may_see_oversight(request.user)


@hooks.register("register_admin_menu_item")
def audit_menu_item():
    """Auditors' and administrators' tools in one place; called once the URLs are loaded."""
    check = reverse("feedback_audit_chain_check")
    items = [AuditMenuItem(_("Audit-chain check"), check, icon_name="lock")]
    items += [
        AuditMenuItem(label, url, icon_name=icon) for label, url, icon in audit_tools.exports()
    ]
    return AuditSubmenu(_("Audit"), Menu(items=items), icon_name="lock", name="audit", order=850)


@hooks.register("register_admin_menu_item")
def oversight_menu_item():
    return OversightMenuItem(
        _("Oversight dashboard"),
        reverse("feedback_oversight_dashboard"),
        icon_name="table",
        name="oversight-dashboard",
        order=150,
    )
