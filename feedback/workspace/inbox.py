"""The inbox: the Cases listing every handling role opens first, with its declared filters,
its deadline markers, the leads' bulk assignment and the auditors' export.

Built on Wagtail's own ModelViewSet, not wagtail-modeladmin: modeladmin is frozen (no new
features, no bulk actions, no spreadsheet export with declared columns, no django-filter
FilterSet), while Wagtail's generic listing gives all three and is where Wagtail now grows.
Who sees which case is feedback.access's rule alone; every change is a workflow.perform.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.bulk_action import BulkAction

from feedback import references
from feedback.access import (
    EVERYWHERE,
    SUBTREE,
    cases_visible_to,
    institutions_covered,
    profile_of,
    role_of,
)
from feedback.admin_views import RegistryIndexView, RegistryViewSet
from feedback.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Channel,
    Directive,
    Kind,
    Role,
    Service,
    Status,
)
from feedback.workflow import (
    ACTIONS,
    WorkflowError,
    due_soon_limit,
    is_overdue,
    perform,
    refusal,
    staff,
)
from feedback.workspace import dashboards, queues
from feedback.workspace.queues import handled_here
from feedback.workspace.search import search_cases

logger = logging.getLogger("feedback.access")

# Roles that may download the listing (its declared columns, never personal data).
EXPORTERS = frozenset({Role.AUDITOR, Role.LEAD, Role.ADMIN})


def default_inbox(cases: QuerySet[Case], user) -> QuerySet[Case]:
    """The inbox before any filter: the open cases handled here now."""
    return cases.open().filter(handled_here(user))


def services_seen_by(request) -> QuerySet[Service]:
    """The service filter offers only services of institutions the user sees."""
    user = request.user if request is not None else None
    if role_of(user) in EVERYWHERE | SUBTREE:
        return Service.objects.filter(institution__in=institutions_covered(user))
    # Agents and the screening desk: the services of the cases they may see.
    visible = cases_visible_to(user).exclude(service=None).values("service_id")
    return Service.objects.filter(pk__in=visible)


class Checkbox(django_filters.BooleanFilter):
    """A filter that applies when ticked and does nothing when not (never "is false")."""

    field_class = forms.BooleanField

    def __init__(self, *args, method: str | None = None, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxInput)
        super().__init__(*args, **kwargs)
        self.narrow = method

    def filter(self, qs, value):
        if not value:
            return qs
        if self.narrow:
            return getattr(self.parent, self.narrow)(qs, self.field_name, value)
        return super().filter(qs, value)


class InboxFilterSet(WagtailFilterSet):
    """Every filter the inbox has. No other request parameter reaches the query."""

    show = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[("all", _("All statuses, wherever handled"))],
        empty_label=_("Open cases handled here"),
        method="filter_show",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=services_seen_by)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    language = django_filters.ChoiceFilter(label=_("Language"), choices=settings.LANGUAGES)
    escalation_level = django_filters.ChoiceFilter(
        label=_("Escalation level"),
        choices=[(0, _("Not escalated")), *((n, str(n)) for n in range(1, 6))],
    )
    submitted = django_filters.DateFromToRangeFilter(
        label=_("Submitted"), field_name="submitted_at", widget=DateRangePickerWidget
    )
    # First among the queues: the citizen said the answer did not resolve the case.
    disputed = Checkbox(label=_("Disputed by the citizen"), method="filter_disputed")
    overdue = Checkbox(label=_("Overdue"), method="filter_overdue")
    due_soon = Checkbox(label=_("Due within 2 working days"), method="filter_due_soon")
    mine = Checkbox(label=_("Assigned to me"), method="filter_mine")
    unassigned = Checkbox(label=_("Unassigned"), field_name="assigned_to", lookup_expr="isnull")
    due_this_week = Checkbox(
        label=_("Due in the next 5 working days"), method="filter_due_this_week"
    )
    escalated_to_me = Checkbox(label=_("Escalated to your level"), method="filter_escalated")
    appeals_to_decide = Checkbox(label=_("Appeals to decide"), method="filter_appeals")
    open_directives = Checkbox(label=_("Open directives"), method="filter_open_directives")
    outcome_to_approve = Checkbox(
        label=_("Outcomes awaiting approval"), method="filter_outcome_to_approve"
    )

    class Meta:
        model = Case
        fields: list[str] = []

    @cached_property
    def now(self) -> datetime:
        return timezone.now()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("show") != "all":
            if self.form.cleaned_data.get("status"):
                return queryset.filter(handled_here(self.request.user))
            return default_inbox(queryset, self.request.user)
        return queryset

    def filter_show(self, queryset, name, value):
        return queryset  # "all": filter_queryset leaves out the default narrowing

    def filter_disputed(self, queryset, name, value):
        return queryset.filter(queues.disputed())

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(self.now)

    def filter_due_soon(self, queryset, name, value):
        return queryset.filter(queues.due_within(self.now, due_soon_limit(self.now)))

    def filter_due_this_week(self, queryset, name, value):
        return queryset.filter(queues.due_within(self.now, dashboards.week_end(self.now)))

    def filter_escalated(self, queryset, name, value):
        return queryset.filter(queues.escalated_to_me(self.request.user))

    def filter_outcome_to_approve(self, queryset, name, value):
        return queryset.filter(queues.OUTCOME_AWAITING_APPROVAL)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assigned_to=self.request.user)

    def filter_appeals(self, queryset, name, value):
        """Cases under appeal that the user's level hears and has not decided yet."""
        return queryset.filter(queues.appeals_to_decide(self.request.user))

    def filter_open_directives(self, queryset, name, value):
        return queryset.filter(queues.awaiting_directive_answer())


@dataclass
class Markers:
    """What the deadline cell says about one case, in words (colour only repeats it)."""

    overdue: bool = False
    due_soon: bool = False
    no_reply_yet: bool = False
    open_directive: bool = False
    disputed: bool = False


def is_disputed(case: Case, resolved_at) -> bool:
    """queues.disputed for one case in hand, given the times of its events in status resolved
    (a staff message on a resolved case is one too, as in the query)."""
    return (
        case.disputed_at is not None
        and case.status in OPEN_STATUSES
        and not any(when > case.disputed_at for when in resolved_at)
    )


def markers_for(cases: list[Case], now: datetime) -> dict[int, Markers]:
    """The markers of a page of cases, in two queries whatever the page's size. The events
    query also brings the resolutions of cases once disputed, so "Disputed" (the rule of
    queues.disputed, applied to the rows in hand) costs no query of its own."""
    ids = [case.pk for case in cases]
    ever_disputed = [case.pk for case in cases if case.disputed_at is not None]
    replied, resolved_at = set(), {}
    public_reply = Q(type=CaseEvent.Type.STAFF_MESSAGE, is_public=True)
    for case_id, is_reply, status, when in (
        CaseEvent.objects.filter(
            public_reply | Q(to_status=Status.RESOLVED, case_id__in=ever_disputed),
            case_id__in=ids,
        )
        .annotate(is_reply=ExpressionWrapper(public_reply, output_field=BooleanField()))
        .values_list("case_id", "is_reply", "to_status", "created_at")
    ):
        if is_reply:
            replied.add(case_id)
        if status == Status.RESOLVED:
            resolved_at.setdefault(case_id, []).append(when)
    directed = set(
        Directive.objects.open().filter(case_id__in=ids).values_list("case_id", flat=True)
    )
    soon = due_soon_limit(now)
    found = {}
    for case in cases:
        overdue = is_overdue(case, now)
        due_soon = not overdue and case.next_due is not None and case.next_due <= soon
        found[case.pk] = Markers(
            overdue=overdue,
            due_soon=due_soon,
            no_reply_yet=due_soon and case.pk not in replied,
            open_directive=case.pk in directed,
            disputed=is_disputed(case, resolved_at.get(case.pk, ())),
        )
    return found


class DateTimeColumn(Column):
    cell_template_name = "feedback/workspace/inbox_datetime_cell.html"


class DeadlineColumn(Column):
    cell_template_name = "feedback/workspace/inbox_deadline_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["markers"] = getattr(instance, "markers", Markers())
        return context


class ScopedCases:
    """Find cases through feedback.access, listing and single case alike; 404 outside scope."""

    def get_base_queryset(self):
        return cases_visible_to(self.request.user).select_related("service", "assigned_to")

    def get_object(self, queryset=None):
        try:
            return cases_visible_to(self.request.user).get(pk=self.pk)
        except (Case.DoesNotExist, ValueError):
            logger.warning(
                "case out of scope: user %s, case %s", self.request.user.pk, str(self.pk)[:20]
            )
            raise Http404 from None


def may_bulk_assign(user) -> bool:
    return role_of(user) in ACTIONS["assign"].roles


def workspace_url(case: Case) -> str:
    return reverse("feedback_case_workspace", args=[case.pk])


def assignee_label(officer) -> str:
    return officer.get_full_name() or officer.get_username()


def assignee(case: Case) -> str:
    return assignee_label(case.assigned_to) if case.assigned_to else ""


class CappedPaginator(WagtailPaginator):
    """Counts at most CAP cases. An exact COUNT(*) over a big institution's subtree read every
    matching row (1.15 s of a 1.6 s page at 1,000,000 cases, bench/inbox.py) while the page
    itself took 23 ms through the (next_due, id) index; nobody pages past 400 pages of
    deadlines, and the listing says "more than 10,000" instead of a number it did not count."""

    cap = 10_000

    @cached_property
    def count(self):
        found = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.is_capped = found > self.cap
        return min(found, self.cap)

    def page(self, number):
        """The page's cases found by their ids first, then read whole. Sorting whole rows for
        a deep page (p=400: OFFSET 9,975 in a subtree of 124,648 open cases at 1,000,000)
        spilled 31 MB to disk and took 371 ms in PostgreSQL; sorting the ids alone, 172 ms."""
        page = super().page(number)
        if isinstance(page.object_list, QuerySet):
            page.object_list = self.object_list.filter(pk__in=page.object_list.values("pk"))
        return page

    @cached_property
    def items_count_label(self):
        if self.count and self.is_capped:
            return gettext("More than %(count)s cases") % {"count": f"{self.cap:,}"}
        return super().items_count_label


class InboxView(ScopedCases, RegistryIndexView):
    paginator_class = CappedPaginator
    template_name = "feedback/workspace/inbox_index.html"
    filterset_class = InboxFilterSet
    default_ordering = "next_due"
    page_title = _("Cases")

    @cached_property
    def now(self) -> datetime:
        return timezone.now()

    def get_base_queryset(self):
        # The export's codes, NULL-safe: a case in screening has no service.
        return super().get_base_queryset().annotate(service_code=F("service__code"))

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if self.is_export and role_of(request.user) not in EXPORTERS:
            raise PermissionDenied

    @cached_property
    def show_export_buttons(self):
        return bool(self.list_export) and role_of(self.request.user) in EXPORTERS

    @cached_property
    def columns(self):
        columns = [
            TitleColumn(
                "reference",
                label=_("Reference"),
                accessor=lambda case: references.format_reference(case.reference),
                classname="w-whitespace-nowrap",
                get_url=workspace_url,
                sort_key="reference",
                get_title_id=lambda case: f"case_{case.pk}_title",
            ),
            Column("subject", label=_("Subject")),
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
            Column("service", label=_("Service")),
            Column("status", label=_("Status"), accessor="get_status_display"),
            DeadlineColumn("next_due", label=_("Next deadline"), sort_key="next_due"),
            DateTimeColumn("submitted_at", label=_("Submitted"), sort_key="submitted_at"),
            Column("assigned_to", label=_("Assigned to"), accessor=assignee),
        ]
        if may_bulk_assign(self.request.user):
            columns.insert(0, BulkActionsCheckboxColumn("bulk_actions", obj_type="case"))
        return columns

    def filter_queryset(self, queryset):
        if self.filters is not None and self.filters.is_valid():
            return self.filters.filter_queryset(queryset)
        # A filter the form refused: the default inbox, with the form's message shown.
        return default_inbox(queryset, self.request.user)

    def search_queryset(self, queryset):
        return search_cases(queryset, self.search_query) if self.is_searching else queryset

    def order_queryset(self, queryset):
        """Soonest deadline first by default; cases with no deadline last; the id keeps
        paging stable (and matches the (next_due, id) index)."""
        ordering = self.ordering or self.default_ordering
        field = ordering.lstrip("-")
        if ordering.startswith("-"):
            return queryset.order_by(F(field).desc(nulls_last=True), "-pk")
        return queryset.order_by(F(field).asc(nulls_last=True), "pk")

    def get_table(self, object_list):
        if not self.is_export:
            object_list = list(object_list)
            markers = markers_for(object_list, self.now)
            for case in object_list:
                case.markers = markers[case.pk]
        return super().get_table(object_list)

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["may_bulk_assign"] = may_bulk_assign(self.request.user)
        return context


class CaseInspectView(ScopedCases, generic.InspectView):
    pass


class CaseURLFinder(ModelAdminURLFinder):
    """Links to a case (from Wagtail's reports, for instance) open the case page, within scope."""

    def construct_edit_url(self, instance):
        return reverse("feedback_case_workspace", args=[instance.pk])

    def get_edit_url(self, instance):
        if self.user and not cases_visible_to(self.user).filter(pk=instance.pk).exists():
            return None
        return self.construct_edit_url(instance)


class CaseViewSet(RegistryViewSet):
    """The inbox. Cases are read here; they change only through feedback.workflow."""

    model = Case
    icon = "form"
    menu_label = _("Cases")
    menu_order = 150
    add_to_admin_menu = True
    actions = frozenset({"view"})
    # Wagtail's history and usage views know nothing of the workflow's events.
    omitted_urls = frozenset({"history", "history_results", "usage"})
    index_view_class = InboxView
    inspect_view_class = CaseInspectView
    inspect_view_enabled = True
    list_per_page = 25
    # Enables the search box; InboxView.search_queryset decides what a search matches.
    search_fields = ["reference", "subject", "description"]
    # The export: codes and dates only. No subject or description (citizens write personal
    # data into them), no contact, no staff names.
    list_export = [
        "reference",
        "kind",
        "channel",
        "status",
        "institution.short_code",
        "service_code",
        "language",
        "escalation_level",
        "submitted_at",
        "acknowledge_due",
        "resolve_due",
        "expected_by",
        "next_due",
        "closed_at",
    ]
    export_headings = {
        "reference": _("Reference"),
        "kind": _("Kind"),
        "channel": _("Channel"),
        "status": _("Status"),
        "institution.short_code": _("Institution code"),
        "service_code": _("Service code"),
        "language": _("Language"),
        "escalation_level": _("Escalation level"),
        "submitted_at": _("Submitted"),
        "acknowledge_due": _("Acknowledgement due"),
        "resolve_due": _("Resolution due"),
        "expected_by": _("Answer now expected by"),
        "next_due": _("Next deadline"),
        "closed_at": _("Closed"),
    }
    export_filename = "cases"
    inspect_view_fields = [
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
        "next_due",
        "satisfaction",
    ]
    url_finder_class = CaseURLFinder


# Bulk assignment: Wagtail's own bulk actions (the `register_bulk_action` hook and the
# listing's checkbox column), each case assigned by its own workflow.perform("assign").


class OfficerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return assignee_label(obj)


class AssignForm(forms.Form):
    officer = OfficerField(
        label=_("Officer"), queryset=get_user_model().objects.none(), empty_label=None
    )


def assignable_officers(user):
    """Officers and leads in the user's part of the tree (the workflow checks each case)."""
    staff_roles = [Role.OFFICER, Role.LEAD]
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role__in=staff_roles)
        .order_by("first_name", "last_name", "username")
    )
    profile = profile_of(user)
    if role_of(user) in EVERYWHERE:
        return users
    if profile is None or profile.institution is None:
        return users.none()
    return users.filter(staff_profile__institution__path__startswith=profile.institution.path)


class AssignBulkAction(BulkAction):
    display_name = _("Assign")
    action_type = "assign"
    aria_label = _("Assign the selected cases to an officer")
    template_name = "feedback/workspace/inbox_bulk_assign.html"
    models = [Case]
    form_class = AssignForm
    action_priority = 10

    def dispatch(self, request, *args, **kwargs):
        if not may_bulk_assign(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["officer"].queryset = assignable_officers(self.request.user)
        return form

    def get_actionable_objects(self):
        """The selected cases the user may see (others are a 404, logged); those the action
        table refuses come back with the table's reason. "Select all" is not offered."""
        wanted = [pk for pk in self.request.GET.getlist("id") if pk.isdigit()][:500]
        cases = list(cases_visible_to(self.request.user).filter(pk__in=wanted).order_by("pk"))
        hidden = set(wanted) - {str(case.pk) for case in cases}
        if hidden:
            logger.warning(
                "bulk assign out of scope: user %s, cases %s",
                self.request.user.pk,
                ",".join(sorted(hidden)),
            )
        if not cases:
            raise Http404
        actor, now = staff(self.request.user), timezone.now()
        allowed, refused = [], []
        for case in cases:
            problem = refusal("assign", case, actor, now)
            if problem is None:
                allowed.append(case)
            else:
                refused.append({"item": case, "reason": str(problem)})
        return allowed, {"items_with_no_access": refused}

    def get_execution_context(self):
        self.refused: list[tuple[Case, str]] = []
        return {
            "officer": self.cleaned_form.cleaned_data["officer"],
            "actor": staff(self.request.user),
            "refused": self.refused,
        }

    @classmethod
    def execute_action(cls, objects, officer=None, actor=None, refused=None, **kwargs):
        done = 0
        for case in objects:
            try:
                perform("assign", case, by=actor, officer=officer)
            except WorkflowError as problem:
                refused.append((case, str(problem)))
            else:
                done += 1
        return done, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        for case, reason in self.refused:
            messages.warning(
                self.request,
                gettext("Case %(reference)s was not assigned: %(reason)s")
                % {"reference": case.reference, "reason": reason},
            )
        officer = self.cleaned_form.cleaned_data["officer"]
        return ngettext(
            "%(count)d case assigned to %(officer)s.",
            "%(count)d cases assigned to %(officer)s.",
            num_parent_objects,
        ) % {
            "count": num_parent_objects,
            "officer": assignee_label(officer),
        }
