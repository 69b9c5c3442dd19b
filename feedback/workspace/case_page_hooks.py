"""Wagtail admin hooks of the workspace: case page, its attachments and history, and the
canned responses an institution keeps."""

from django.urls import path
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from feedback.models import CannedResponse
from feedback.workspace import case_page
from feedback.workspace.canned import CannedResponseViewSet, canned_response_policy

register_permission_policy(CannedResponse, canned_response_policy, exact_class=True)


@hooks.register("register_admin_urls")
def case_page_urls():
    return [
        path(
            "feedback/case/<int:pk>/workspace/",
            case_page.case_page,
            name="feedback_case_workspace",
        ),
        path(
            "feedback/case/<int:pk>/workspace/reveal-contact/",
            case_page.reveal_contact,
            name="feedback_case_reveal_contact",
        ),
        path(
            "feedback/case/<int:pk>/workspace/attachments/<int:attachment_pk>/",
            case_page.case_attachment,
            name="feedback_case_attachment",
        ),
        path(
            "feedback/case/<int:pk>/workspace/history/",
            case_page.case_history,
            name="feedback_case_history",
        ),
    ]


@hooks.register("register_admin_viewset")
def canned_responses():
    return CannedResponseViewSet()
