"""Wagtail admin hooks of the workspace: inbox (the Cases listing and its bulk assignment)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from feedback.admin_views import RegistryPermissionPolicy
from feedback.models import Case
from feedback.workspace.inbox import AssignBulkAction, CaseViewSet

# Registered before any view asks, or Wagtail would fall back to Django's full model permissions.
register_permission_policy(
    Case, RegistryPermissionPolicy(Case, CaseViewSet.actions), exact_class=True
)


@hooks.register("register_admin_viewset")
def inbox_viewset():
    return CaseViewSet()


hooks.register("register_bulk_action", AssignBulkAction)
