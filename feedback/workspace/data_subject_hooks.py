"""Wagtail admin hooks of the workspace: data-subject requests (Settings > Data-subject
requests), shown to administrators only (feedback.workspace.data_subject)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from feedback.access import may_act_for_data_subject
from feedback.workspace.data_subject import DataSubjectView


@hooks.register("register_admin_urls")
def data_subject_urls():
    return [
        path("feedback/data-subject/", DataSubjectView.as_view(), name="feedback_data_subject"),
    ]


class DataSubjectMenuItem(MenuItem):
    def is_shown(self, request):
        return may_act_for_data_subject(request.user)


@hooks.register("register_settings_menu_item")
def data_subject_menu_item():
    return DataSubjectMenuItem(
        _("Data-subject requests"),
        reverse("feedback_data_subject"),
        icon_name="user",
        name="data-subject-requests",
        order=900,
    )
