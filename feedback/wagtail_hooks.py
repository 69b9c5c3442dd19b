"""The Wagtail admin's view of the registry: cases (scoped by feedback.access), services, tree.

Cases are read here; they change only through feedback.workflow, so the admin offers no
create, edit or delete for them.
"""

from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from feedback import staff_views
from feedback.access import cases_visible_to
from feedback.models import Case, CharterTerm, Institution, Service


def admin_column(label):
    """Name a ModelAdmin method column, as Django admin's @display(description=...) does."""

    def decorate(method):
        method.short_description = label
        return method

    return decorate


class ReadOnlyPermissionHelper(PermissionHelper):
    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class CasePermissionHelper(ReadOnlyPermissionHelper):
    def user_can_inspect_obj(self, user, obj):
        # modeladmin fetches the object by id alone; the scope must be checked here too.
        return cases_visible_to(user).filter(pk=obj.pk).exists()


class CaseAdmin(ModelAdmin):
    model = Case
    menu_label = _("Cases")
    menu_icon = "form"
    permission_helper_class = CasePermissionHelper
    inspect_view_enabled = True
    list_display = (
        "reference",
        "workspace",
        "kind",
        "institution",
        "status",
        "resolve_due",
    )
    list_filter = ("status", "kind", "channel", "escalation_level")
    search_fields = ("reference", "subject")
    inspect_view_fields = (
        "reference",
        "kind",
        "channel",
        "institution",
        "service",
        "status",
        "subject",
        "description",
        "escalation_level",
        "escalated_to",
        "referral_count",
        "reopen_count",
        "submitted_at",
        "acknowledge_due",
        "resolve_due",
        "satisfaction",
    )

    def get_queryset(self, request):
        return cases_visible_to(request.user).select_related("institution")

    @admin_column(_("Work on it"))
    def workspace(self, obj):
        url = reverse("feedback_case_workspace", args=[obj.pk])
        return format_html('<a class="button button-small" href="{}">{}</a>', url, _("Open"))


class InstitutionAdmin(ModelAdmin):
    model = Institution
    menu_label = _("Institutions")
    menu_icon = "site"
    # New institutions are placed in the tree by code (treebeard's add_child), not by a form.
    permission_helper_class = type(
        "InstitutionPermissionHelper",
        (PermissionHelper,),
        {"user_can_create": lambda self, user: False},
    )
    list_display = ("name", "name_sw", "short_code", "level", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "name_sw", "short_code", "acronym")
    ordering = ("path",)
    form_fields_exclude = ("path", "depth", "numchild")


class ServiceAdmin(ModelAdmin):
    model = Service
    menu_label = _("Services and charters")
    menu_icon = "list-ul"
    list_display = ("name", "institution", "code", "acknowledge_days", "resolve_days")
    list_filter = ("institution__level",)
    search_fields = ("name", "name_sw")


class CharterTermAdmin(ModelAdmin):
    model = CharterTerm
    menu_label = _("Charter terms by kind")
    menu_icon = "time"
    list_display = ("service", "kind", "acknowledge_days", "resolve_days")


@hooks.register("register_admin_urls")
def case_workspace_urls():
    return [
        path(
            "feedback/case/<int:pk>/workspace/",
            staff_views.case_workspace,
            name="feedback_case_workspace",
        )
    ]


@modeladmin_register
class RegistryGroup(ModelAdminGroup):
    menu_label = _("Registry")
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (CaseAdmin, InstitutionAdmin, ServiceAdmin, CharterTermAdmin)
