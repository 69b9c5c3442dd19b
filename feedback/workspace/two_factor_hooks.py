"""Wagtail admin hooks of the workspace: two-step sign-in (feedback.workspace.two_factor).

Its pages under /admin/two-factor/, a link on the account page, and for administrators a
"Reset two-step sign-in" button on each user of Settings > Users."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from feedback.workspace import two_factor


@hooks.register("register_admin_urls")
def two_factor_urls():
    return [
        path("two-factor/enrol/", two_factor.enrol, name="staff_two_factor_enrol"),
        path("two-factor/verify/", two_factor.verify, name="staff_two_factor_verify"),
        path(
            "two-factor/reset/<int:user_id>/",
            two_factor.ResetView.as_view(),
            name="staff_two_factor_reset",
        ),
    ]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    if two_factor.has_two_factor(request.user):
        return None
    return {
        "url": reverse("staff_two_factor_enrol"),
        "label": _("Set up two-step sign-in"),
        "help_text": _(
            "After your password, also ask for a code from an authenticator app on your phone."
        ),
    }


@hooks.register("register_user_listing_buttons")
def two_factor_reset_button(user, request_user):
    if not two_factor.may_reset(request_user) or not two_factor.has_two_factor(user):
        return []
    return [
        Button(
            _("Reset two-step sign-in"),
            url=reverse("staff_two_factor_reset", args=[user.pk]),
            icon_name="key",
            priority=90,
        )
    ]


@hooks.register("register_log_actions")
def two_factor_log_actions(actions):
    actions.register_action(
        "feedback.reset_two_factor",
        _("Reset two-step sign-in"),
        _("Two-step sign-in reset"),
    )
