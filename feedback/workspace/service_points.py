"""Service points in the Wagtail admin: administrators add and edit them, and choose each
one's agents (which sets `StaffProfile.service_point`: staff profiles have no admin screen of
their own; roles are given by feedback.roles.assign_role).

A Wagtail ModelViewSet like the registry's (feedback.admin_views.RegistryViewSet): its
permission policy narrows Django's model permissions to view, add and change. A service point
that cases name is retired (`is_active` off), never deleted.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from feedback.admin_views import RegistryViewSet
from feedback.models import Role, ServicePoint, StaffProfile


class AgentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ServicePointForm(WagtailAdminModelForm):
    """The service point's own fields, and which agents work there."""

    agents = AgentChoiceField(
        label=_("Agents working here"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Staff with the service-point agent role. An agent works at one service point: "
            "ticking them here moves them from any other."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = (
            get_user_model()
            .objects.filter(staff_profile__role=Role.AGENT, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        if self.instance.pk:
            self.initial["agents"] = list(self.instance.agents.values_list("user_id", flat=True))

    @transaction.atomic
    def save(self, commit=True):
        point = super().save(commit=commit)
        if commit:
            self.save_agents(point)
        return point

    def save_agents(self, point: ServicePoint) -> None:
        """Point each chosen agent's profile here and release the others; each profile
        saved on its own, so its history records the change."""
        chosen = {user.pk for user in self.cleaned_data.get("agents", [])}
        # The chosen agents, and those who leave this service point.
        profiles = StaffProfile.objects.select_for_update().filter(
            Q(user_id__in=chosen, role=Role.AGENT) | Q(service_point=point)
        )
        for profile in profiles:
            target = point if profile.user_id in chosen else None
            if profile.service_point_id != (target.pk if target else None):
                profile.service_point = target
                profile.save()


class ServicePointViewSet(RegistryViewSet):
    model = ServicePoint
    icon = "site"
    menu_label = _("Service points")
    add_to_settings_menu = True
    actions = frozenset({"view", "add", "change"})
    list_display = ["name", "name_sw", "code", "location", "host", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_sw", "code", "location"]
    form_fields = ["code", "name", "name_sw", "location", "host", "is_active"]

    def get_form_class(self, for_update=False):
        # Wagtail's own form factory, with the agents field added by our base form.
        return modelform_factory(
            self.model,
            form=ServicePointForm,
            formfield_callback=self.formfield_for_dbfield,
            fields=self.form_fields,
        )
