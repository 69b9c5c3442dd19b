"""Wagtail admin hooks of the workspace: the service-point desk and the service points."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from feedback.admin_views import RegistryPermissionPolicy
from feedback.workspace import agent
from feedback.workspace.service_points import ServicePointViewSet

# Registered before any view asks, as the registry's (feedback.wagtail_hooks).
register_permission_policy(
    ServicePointViewSet.model,
    RegistryPermissionPolicy(ServicePointViewSet.model, ServicePointViewSet.actions),
    exact_class=True,
)


@hooks.register("register_admin_viewset")
def service_point_viewset():
    return ServicePointViewSet()


@hooks.register("register_admin_urls")
def service_point_desk_urls():
    return [
        path(
            "feedback/service-point/submit/",
            agent.service_point_submit,
            name="feedback_service_point_submit",
        )
    ]


class DeskMenuItem(MenuItem):
    def is_shown(self, request):
        return agent.may_use_desk(request.user)


@hooks.register("register_admin_menu_item")
def service_point_desk_menu_item():
    return DeskMenuItem(
        _("Submit for a citizen"),
        reverse("feedback_service_point_submit"),
        name="service-point-submit",
        icon_name="form",
        order=150,
    )
