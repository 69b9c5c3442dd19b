"""API clients in the Wagtail admin: administrators register an organisation's app or portal,
issue its key, issue it a new one (the old one stops working at once) and revoke it.

The key is made by feedback.channels.keys and seen exactly once: in the answer to the POST
that issued it (create, new key), marked no-store. It is never put in the session, a message,
a log, a URL or the database; afterwards the admin shows only its prefix (`mrj_AbCd1234.…`).
Every create, new key, edit and revocation is a row of the client's chained history naming
the administrator who did it. No one else sees these screens (403) or their menu item.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, NumberColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies.base import BasePermissionPolicy

from feedback.access import role_of
from feedback.admin_views import RegistryIndexView, RegistryViewSet
from feedback.channels import keys
from feedback.models import ApiClient, Role
from feedback.workspace.dashboard_views import refused

# No delete: a client's cases name it (PROTECT); it is revoked instead.
ADMIN_ACTIONS = frozenset({"view", "add", "change"})
KEY_TEMPLATE = "feedback/workspace/api_clients/key_issued.html"


def may_manage_api_clients(user) -> bool:
    """Administrators only: a key lets an outside system submit cases in the registry's name."""
    return user is not None and user.is_active and role_of(user) == Role.ADMIN


class AdministratorsOnly(BasePermissionPolicy):
    """Whatever Django permissions a group holds, only administrators see API clients."""

    def user_has_permission(self, user, action):
        return action in ADMIN_ACTIONS and may_manage_api_clients(user)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects.filter(is_active=True)
        if not set(actions) & ADMIN_ACTIONS:
            return users.none()
        return users.filter(is_superuser=True) | users.filter(staff_profile__role=Role.ADMIN)


def key_shown(client: ApiClient) -> str:
    """What the admin shows of a key once it is issued: its prefix, which finds the client."""
    return f"{keys.KEY_START}{client.key_prefix}.…"


def creator_name(client: ApiClient) -> str:
    user = client.created_by
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def with_counts(queryset: QuerySet[ApiClient]) -> QuerySet[ApiClient]:
    """Each client with the number of cases it submitted: one query, counted by the database."""
    return queryset.select_related("created_by").annotate(cases_submitted=Count("cases"))


def no_store(response):
    """The page holds a key: no cache, no back-button copy, keeps it out of every store."""
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    return response


def key_page(request, client: ApiClient, key: str, *, new_client: bool):
    """The one answer that shows a key: to the POST that issued it, never cached."""
    index = reverse("feedback_apiclient:index")
    title = gettext("Key for %(name)s") % {"name": client.name}
    context = {
        "client": client,
        "key": key,
        "key_shown": key_shown(client),
        "new_client": new_client,
        "index_url": index,
        "edit_url": reverse("feedback_apiclient:edit", args=[client.pk]),
        "page_title": title,
        "header_title": title,
        "header_icon": "key",
        "breadcrumbs_items": [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": index, "label": gettext("API clients")},
            {"url": "", "label": title},
        ],
    }
    return no_store(TemplateResponse(request, KEY_TEMPLATE, context))


# What each change of a client's chained history was, as its admin page lists it.
CHANGE_LABELS = {
    "created": _("Registered, first key issued"),
    "key": _("New key issued; the previous one stopped working"),
    "revoked": _("Revoked"),
    "details": _("Details changed: %(fields)s"),
}


def key_history(client: ApiClient, limit: int = 20) -> list[dict]:
    """The client's history, newest first: when, who, and what changed (the key, revocation,
    or which details), from its chained history records. Never the key: it is not in them."""
    records = list(client.history.order_by("history_date", "chain_seq"))
    users = get_user_model().objects.in_bulk(
        {r.history_user_id for r in records if r.history_user_id is not None}
    )
    detail_fields = ("name", "organisation", "contact_email", "requests_per_minute")
    rows, before = [], None
    for record in records:
        if before is None:
            what = CHANGE_LABELS["created"]
        elif record.revoked_at and not before.revoked_at:
            what = CHANGE_LABELS["revoked"]
        elif record.key_prefix != before.key_prefix:
            what = CHANGE_LABELS["key"]
        else:
            changed = [
                str(ApiClient._meta.get_field(name).verbose_name)
                for name in detail_fields
                if getattr(record, name) != getattr(before, name)
            ]
            what = CHANGE_LABELS["details"] % {"fields": ", ".join(changed) or "-"}
        who = users.get(record.history_user_id)
        rows.append(
            {
                "when": record.history_date,
                "who": (who.get_full_name() or who.get_username()) if who else "",
                "what": what,
            }
        )
        before = record
    return rows[::-1][:limit]


class ForAdministrators:
    """A 403 that says why, in the admin's layout, for anyone else (Wagtail would answer its
    own PermissionDenied with a redirect to the dashboard)."""

    def dispatch(self, request, *args, **kwargs):
        if not may_manage_api_clients(request.user):
            return refused(
                request,
                gettext("API clients"),
                gettext("API clients and their keys are kept by administrators."),
            )
        return super().dispatch(request, *args, **kwargs)


class ApiClientIndexView(ForAdministrators, RegistryIndexView):
    def get_base_queryset(self):
        return with_counts(super().get_base_queryset())

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=_("Name"),
                get_url=lambda client: self.get_edit_url(client),
                sort_key="name",
            ),
            Column("organisation", label=_("Organisation"), sort_key="organisation"),
            Column("key_prefix", label=_("Key"), accessor=key_shown),
            NumberColumn("requests_per_minute", label=_("Requests per minute")),
            DateColumn("created_at", label=_("Created"), sort_key="created_at"),
            # A name, not Wagtail's UserColumn: its avatar costs a query per row.
            Column("created_by", label=_("Created by"), accessor=creator_name),
            DateColumn("revoked_at", label=_("Revoked"), sort_key="revoked_at"),
            NumberColumn("cases_submitted", label=_("Cases submitted"), sort_key="cases_submitted"),
        ]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_active and self.user_has_permission("change"):
            buttons += [
                MenuItem(
                    gettext("Issue a new key"),
                    url=reverse("feedback_apiclient:rotate", args=[instance.pk]),
                    icon_name="key",
                    priority=40,
                ),
                MenuItem(
                    gettext("Revoke"),
                    url=reverse("feedback_apiclient:revoke", args=[instance.pk]),
                    icon_name="cross",
                    priority=50,
                ),
            ]
        return buttons


class ApiClientCreateView(ForAdministrators, CreateView):
    """Registers the client and issues its first key, shown on the page the POST answers."""

    def save_instance(self):
        fields = {name: self.form.cleaned_data[name] for name in self.form._meta.fields}
        client, self.key = keys.create_client(created_by=self.request.user, **fields)
        return client

    def save_action(self):
        return key_page(self.request, self.object, self.key, new_client=True)


class ApiClientEditView(ForAdministrators, EditView):
    """Name, organisation, contact and rate; never the key (its own POST actions)."""

    template_name = "feedback/workspace/api_clients/edit.html"

    def get_queryset(self):
        return with_counts(ApiClient.objects.all())

    # Changed only by their own actions (feedback.channels.keys), never by this form.
    KEY_FIELDS = ("key_prefix", "key_digest", "revoked_at", "created_at", "created_by_id")

    def save_instance(self):
        client = self.form.instance
        with transaction.atomic():
            # The row as it is now, under a lock: a key issued or a revocation made since
            # this request read it is kept, not written back over with the values it read.
            locked = ApiClient.objects.select_for_update().get(pk=client.pk)
            for name in self.KEY_FIELDS:
                setattr(client, name, getattr(locked, name))
            client._history_user = self.request.user
            return super().save_instance()

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.object.is_active:
            buttons += [
                Button(
                    gettext("Issue a new key"),
                    url=reverse("feedback_apiclient:rotate", args=[self.object.pk]),
                    icon_name="key",
                    priority=40,
                ),
                Button(
                    gettext("Revoke"),
                    url=reverse("feedback_apiclient:revoke", args=[self.object.pk]),
                    icon_name="cross",
                    priority=50,
                ),
            ]
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["key_shown"] = key_shown(self.object)
        context["changes"] = key_history(self.object)
        return context


class KeyActionView(
    ForAdministrators, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """GET: ask for confirmation. POST: act. A revoked client's keys stay refused for good:
    neither action is offered on it (register a new client instead)."""

    model = ApiClient
    permission_required = "change"
    template_name = "feedback/workspace/api_clients/confirm.html"
    header_icon = "key"

    @cached_property
    def object(self) -> ApiClient:
        # Looked up after the permission check (dispatch): no one else learns which exist.
        return get_object_or_404(ApiClient, pk=self.kwargs["pk"])

    def get_page_title(self):
        return self.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("feedback_apiclient:index"), "label": gettext("API clients")},
            {
                "url": reverse("feedback_apiclient:edit", args=[self.object.pk]),
                "label": str(self.object),
            },
            {"url": "", "label": self.title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            client=self.object,
            key_shown=key_shown(self.object),
            question=self.question % {"name": self.object.name},
            consequence=self.consequence % {"key": key_shown(self.object)},
            button=self.button,
            button_class=self.button_class,
            action_url=self.request.path,
            edit_url=reverse("feedback_apiclient:edit", args=[self.object.pk]),
        )
        return context

    def get(self, request, *args, **kwargs):
        status = 200 if self.object.is_active else 409
        return self.render_to_response(self.get_context_data(), status=status)

    def post(self, request, *args, **kwargs):
        if not self.object.is_active:
            return self.render_to_response(self.get_context_data(), status=409)
        return self.act()


class RotateKeyView(KeyActionView):
    title = _("Issue a new key")
    question = _("Issue a new key to “%(name)s”?")
    consequence = _(
        "Its current key (%(key)s) stops working at once: the client's system answers 401 "
        "until it is given the new key, which is shown once, on the next page."
    )
    button = _("Yes, issue a new key")
    button_class = "button"

    def act(self):
        with transaction.atomic():
            client = ApiClient.objects.select_for_update().get(pk=self.object.pk)
            if not client.is_active:  # revoked since the page was read
                self.object = client
                return self.render_to_response(self.get_context_data(), status=409)
            key = keys.issue_key(client, by=self.request.user)
        return key_page(self.request, client, key, new_client=False)


class RevokeView(KeyActionView):
    title = _("Revoke")
    question = _("Revoke the access of “%(name)s”?")
    consequence = _(
        "Its key (%(key)s) is refused from now on, for good; its cases keep naming it. To "
        "let the organisation in again, register a new client."
    )
    button = _("Yes, revoke")
    button_class = "button no"

    def act(self):
        keys.revoke(self.object, by=self.request.user)
        messages.success(
            self.request,
            gettext("API client '%(name)s' revoked: its key is refused from now on.")
            % {"name": self.object.name},
        )
        return HttpResponseRedirect(reverse("feedback_apiclient:index"))


class ApiClientViewSet(RegistryViewSet):
    model = ApiClient
    icon = "key"
    menu_label = _("API clients")
    add_to_settings_menu = True
    actions = ADMIN_ACTIONS
    # Wagtail's own log and usage views: the chained history is the record (on the edit page).
    omitted_urls = frozenset({"history", "history_results", "usage"})
    inspect_view_enabled = False
    index_view_class = ApiClientIndexView
    add_view_class = ApiClientCreateView
    edit_view_class = ApiClientEditView
    search_fields = ["name", "organisation"]
    ordering = "name"
    form_fields = ["name", "organisation", "contact_email", "requests_per_minute"]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("rotate/<int:pk>/", RotateKeyView.as_view(), name="rotate"),
            path("revoke/<int:pk>/", RevokeView.as_view(), name="revoke"),
        ]

    def get_permissions_to_register(self):
        # Nothing a group could be given: the policy asks for the administrator's role.
        return super().get_permissions_to_register().none()


api_client_policy = AdministratorsOnly(ApiClient)
