"""Canned responses in the Wagtail admin: the replies an institution keeps ready, in English and
Swahili. Feedback leads (and administrators) add and edit those of their part of the tree;
officers read them. Which institutions a user covers is feedback.access's answer.

Wagtail's own ModelViewSet (not modeladmin): its permission policy can depend on the role and
the row, and its create/edit views let the institution choice be narrowed to the user's tree.
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from feedback.access import CANNED_KEEPERS, CANNED_READERS, covers, institutions_covered, role_of
from feedback.admin_views import RegistryIndexView
from feedback.models import CannedResponse, Case, Role

# Deactivate rather than delete: a reply already sent may have come from it.
KEEPER_ACTIONS = frozenset({"add", "change", "view"})
READER_ACTIONS = frozenset({"view"})


def usable_on(case: Case) -> QuerySet[CannedResponse]:
    """The active responses kept by the institution handling the case or one above it."""
    handling = case.handling_institution
    return CannedResponse.objects.filter(
        is_active=True, institution__in=[*handling.get_ancestors(), handling]
    ).select_related("institution")


def kept_by(user) -> QuerySet[CannedResponse]:
    """The responses of the institutions this user covers (all of them for administrators)."""
    return CannedResponse.objects.filter(institution__in=institutions_covered(user))


class CannedResponsePolicy(BasePermissionPolicy):
    """By role: leads and administrators keep, officers read; by row: the user's subtree."""

    def _actions(self, user) -> frozenset[str]:
        role = role_of(user)
        if role in CANNED_KEEPERS:
            return KEEPER_ACTIONS
        if role in CANNED_READERS:
            return READER_ACTIONS
        return frozenset()

    def user_has_permission(self, user, action):
        return action in self._actions(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and covers(user, instance.institution)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return CannedResponse.objects.none()
        return kept_by(user)

    def users_with_any_permission(self, actions):
        roles = {Role.LEAD} if set(actions) - READER_ACTIONS else {Role.LEAD, Role.OFFICER}
        users = get_user_model().objects.filter(is_active=True)
        return users.filter(staff_profile__role__in=roles) | users.filter(is_superuser=True)


class ScopedCanned:
    """Rows and institution choices limited to the user's part of the tree."""

    def get_base_queryset(self):
        return kept_by(self.request.user).select_related("institution")

    def get_object(self, queryset=None):
        return get_object_or_404(kept_by(self.request.user), pk=self.kwargs[self.pk_url_kwarg])

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if "institution" in form.fields:
            form.fields["institution"].queryset = institutions_covered(self.request.user)
        return form


class CannedIndexView(ScopedCanned, RegistryIndexView):
    pass


class CannedCreateView(ScopedCanned, generic.CreateView):
    pass


class CannedEditView(ScopedCanned, generic.EditView):
    pass


class CannedResponseViewSet(ModelViewSet):
    model = CannedResponse
    icon = "openquote"
    menu_label = _("Canned responses")
    add_to_admin_menu = True
    menu_order = 210
    url_prefix = "feedback/canned"
    url_namespace = "feedback_canned"
    index_view_class = CannedIndexView
    add_view_class = CannedCreateView
    edit_view_class = CannedEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    search_backend_name = None
    list_display = ["title", "title_sw", "institution", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["title", "title_sw", "body", "body_sw"]
    form_fields = ["institution", "title", "title_sw", "body", "body_sw", "is_active"]

    def get_urlpatterns(self):
        # No delete (deactivate instead), no history or usage view.
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name in {"index", "index_results", "add", "edit"}
        ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("delete", "history", "usage", "inspect", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs


canned_response_policy = CannedResponsePolicy(CannedResponse)
