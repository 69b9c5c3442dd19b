"""Wagtail admin hooks of the workspace: API clients (Settings > API clients), for
administrators only (feedback.workspace.api_clients)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from feedback.models import ApiClient
from feedback.workspace.api_clients import ApiClientViewSet, api_client_policy

# Registered before any view asks, as the registry's (feedback.wagtail_hooks).
register_permission_policy(ApiClient, api_client_policy, exact_class=True)


@hooks.register("register_admin_viewset")
def api_client_viewset():
    return ApiClientViewSet()
