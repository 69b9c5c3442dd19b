"""The registry's listings in the Wagtail admin: only declared filters and search reach a query.

Wagtail's own viewsets filter through a django-filter FilterSet built from `list_filter`, so an
undeclared GET parameter (`?cases__contact__phone__startswith=...`) is ignored rather than
passed to the queryset. Each model offers only the admin actions the registry allows: cases
change through feedback.workflow alone, institutions are placed in the tree by code. The case
listing (the inbox) lives in feedback/workspace/inbox.py, on these same base classes.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy

from feedback.access import institutions_covered
from feedback.models import CharterTerm, Institution, Service

# Which URL names each admin action brings; a viewset serves only those of its actions.
ACTION_URLS = {
    "add": {"add"},
    "change": {"edit"},
    "delete": {"delete"},
    "view": {"index", "index_results", "inspect", "history", "history_results", "usage"},
}


class RegistryPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, narrowed to the actions the registry offers in the admin.

    A superuser holds every Django permission; this keeps even them from admin forms that
    would bypass the workflow or the institution tree.
    """

    def __init__(self, model, actions: frozenset[str]):
        super().__init__(model)
        self.actions = actions

    def user_has_permission(self, user, action):
        return action in self.actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        offered = [action for action in actions if action in self.actions]
        if not offered:
            return get_user_model().objects.none()
        return super().users_with_any_permission(offered)


class RegistryIndexView(generic.IndexView):
    """Wagtail's listing, exporting only where export columns are declared: otherwise
    `?export=csv` streams the whole table, unpaginated, in columns nobody chose."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.is_export = self.is_export and bool(self.list_export)


class RegistryViewSet(ModelViewSet):
    """A ModelViewSet whose URLs, buttons and permissions follow the actions it offers."""

    actions = frozenset({"view"})
    # Views a model has no use for (e.g. Wagtail's own log, which the workflow does not write).
    omitted_urls: frozenset[str] = frozenset()
    copy_view_enabled = False
    # References are indexed from pages only; no registry row should appear in a usage list.
    add_to_reference_index = False
    search_backend_name = None  # search the declared fields with the ORM
    icon = "folder-open-inverse"
    index_view_class = RegistryIndexView

    @property
    def url_prefix(self) -> str:
        # The paths modeladmin used, so bookmarks and links keep working.
        return f"{self.app_label}/{self.model_name}"

    @property
    def url_namespace(self) -> str:
        return f"{self.app_label}_{self.model_name}"

    def url_names(self) -> set[str]:
        names = set().union(*(ACTION_URLS[action] for action in self.actions))
        if not self.inspect_view_enabled:
            names.discard("inspect")
        return names - self.omitted_urls

    def get_urlpatterns(self):
        # Built here rather than filtered from Wagtail's list: an unserved view (a case form)
        # must not even be constructed.
        pk = f"<{self.pk_path_converter}:pk>"
        routes = {
            "index": ("", "index_view"),
            "index_results": ("results/", "index_results_view"),
            "add": ("new/", "add_view"),
            "edit": (f"edit/{pk}/", "edit_view"),
            "delete": (f"delete/{pk}/", "delete_view"),
            "history": (f"history/{pk}/", "history_view"),
            "history_results": (f"history-results/{pk}/", "history_results_view"),
            "usage": (f"usage/{pk}/", "usage_view"),
            "inspect": (f"inspect/{pk}/", "inspect_view"),
        }
        served = self.url_names()
        return [
            path(route, getattr(self, view), name=name)
            for name, (route, view) in routes.items()
            if name in served
        ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        # A view must not link to a URL this viewset does not serve.
        served = self.url_names()
        for name in ("add", "edit", "delete", "history", "usage", "inspect"):
            if name not in served:
                view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_permissions_to_register(self):
        codenames = [f"{action}_{self.model_name}" for action in self.actions]
        return super().get_permissions_to_register().filter(codename__in=codenames)


class InstitutionViewSet(RegistryViewSet):
    """Editable by administrators; new institutions are placed in the tree by code
    (treebeard's add_child), and one that cases refer to is retired, not deleted."""

    model = Institution
    icon = "site"
    menu_label = _("Institutions")
    actions = frozenset({"view", "change"})
    list_display = ["name", "name_sw", "short_code", "level", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "name_sw", "short_code", "acronym"]
    ordering = "path"
    form_fields = ["name", "name_sw", "short_code", "acronym", "level", "is_active"]


class KeptByTheTree:
    """Edit, add and delete views of a charter: a feedback lead keeps those of their part of
    the tree (feedback.access.institutions_covered), an administrator every one. The rows a
    view may open and the choices its form offers are narrowed alike; anything else is 404."""

    # How a row names its institution, as a lookup.
    institution_lookup = "institution"

    def kept_rows(self):
        covered = institutions_covered(self.request.user)
        return self.model.objects.filter(**{f"{self.institution_lookup}__in": covered})

    def get_object(self, queryset=None):
        return get_object_or_404(self.kept_rows(), pk=self.kwargs[self.pk_url_kwarg])

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        covered = institutions_covered(self.request.user)
        if "institution" in form.fields:
            form.fields["institution"].queryset = covered
        if "service" in form.fields:
            form.fields["service"].queryset = Service.objects.filter(institution__in=covered)
        return form


def kept_views(name: str, lookup: str) -> tuple[type, type, type]:
    """The edit, add and delete view classes of one charter viewset, narrowed to the tree."""
    attrs = {"institution_lookup": lookup}
    return tuple(
        type(f"{name}{base.__name__}", (KeptByTheTree, base), attrs)
        for base in (generic.EditView, generic.CreateView, generic.DeleteView)
    )


class ServiceViewSet(RegistryViewSet):
    """Services and their charters; a service that cases refer to is retired, not deleted.
    Feedback leads keep the charters of their part of the tree (`KeptByTheTree`)."""

    model = Service
    icon = "list-ul"
    menu_label = _("Services and charters")
    actions = frozenset({"view", "add", "change"})
    list_display = ["name", "institution", "code", "acknowledge_days", "resolve_days"]
    list_filter = ["institution__level"]
    search_fields = ["name", "name_sw"]
    form_fields = [
        "institution",
        "name",
        "name_sw",
        "code",
        "description",
        "description_sw",
        "acknowledge_days",
        "resolve_days",
        "reopen_window_days",
        "is_active",
    ]
    edit_view_class, add_view_class, delete_view_class = kept_views("Service", "institution")


class CharterTermViewSet(RegistryViewSet):
    model = CharterTerm
    edit_view_class, add_view_class, delete_view_class = kept_views(
        "CharterTerm", "service__institution"
    )
    icon = "time"
    menu_label = _("Charter terms by kind")
    actions = frozenset({"view", "add", "change", "delete"})
    list_display = ["service", "kind", "acknowledge_days", "resolve_days"]
    list_filter = ["kind"]
    form_fields = ["service", "kind", "acknowledge_days", "resolve_days"]


class RegistryGroup(ModelViewSetGroup):
    menu_label = _("Registry")
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (InstitutionViewSet, ServiceViewSet, CharterTermViewSet)
