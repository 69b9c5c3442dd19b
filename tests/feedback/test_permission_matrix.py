"""The permission matrix of issue 16: every role times every capability, allowed or forbidden.

The expected table below is the specification, written from the issue and DESIGN.md's roles,
not read back from the code: a capability maps to the set of roles allowed it. Each capability
is probed through its real path (HTTP through the Wagtail admin where one exists; the workflow's
own `refusal` and `perform` for the actions of the table) on a case of the user's own part of
the tree AND on another institution's case, which only the roles that see everywhere may reach.

Every action of `workflow.ACTIONS` must have a row here (a new action cannot escape the matrix),
and every row must name an action that exists.

The world (about forty cases, in every status an action starts from, at four places) is
built once for the module, inside a transaction rolled back at its end; each test runs in a
savepoint within it.
"""

import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from PIL import Image

from feedback import workflow
from feedback.attachments import store_upload
from feedback.models import (
    CannedResponse,
    Case,
    Channel,
    Institution,
    PersonalDataAccess,
    Role,
    ServicePoint,
    StaffProfile,
    Status,
)
from tests.feedback.factories import (
    PATHS,
    STEPS,
    SubmissionFactory,
    actor,
    make_staff,
    user,
    water_service,
)

pytestmark = pytest.mark.django_db

S = Status
STAFF = ["admin", "editor", "officer", "lead", "oversight", "agent", "auditor", "screener"]
ANONYMOUS = "anonymous"
CITIZEN = "citizen"  # a citizen proved for one case by its reference and PIN
# Roles whose view is the whole country; every other role is scoped (tree, submissions, queue).
EVERYWHERE = {"admin", "auditor"}

# ---------------------------------------------------------------------------------------------
# The specification: action -> roles allowed to take it (on a case in their scope, when the
# status and the action's guard permit). "citizen" is the citizen proved by reference and PIN.
# ---------------------------------------------------------------------------------------------
# Where the branches of issue 16 decided otherwise (2026-11-26), raised with the lead rather
# than bent here: the action table gives oversight leaders the handlers' actions (HANDLERS
# includes OVERSIGHT: acknowledge ... resolve ... write_outcome, and assign), and leaves the
# lead out of close_with_pointer, which the shared plan gives to screener, lead and admin.
HANDLE = {"officer", "lead", "admin"}  # the handling institution's own staff
FOR_CITIZEN = {CITIZEN, "agent", "admin"}  # the citizen, or the agent who took the case down
HIGHER = {"lead", "oversight", "admin"}  # the level above: appeals and escalations
REVIEW = {"lead", "admin"}  # the feedback lead reviews, approves and assigns

ACTION_ROLES: dict[str, set[str]] = {
    "acknowledge": HANDLE,
    "request_information": HANDLE,
    "receive_information": HANDLE,
    "start": HANDLE,
    # "Oversight ... cannot resolve": leaders instruct through directives, they do not answer.
    "resolve": HANDLE,
    "close": {CITIZEN, "agent", "lead", "admin"},
    "reopen": FOR_CITIZEN,
    "dispute": FOR_CITIZEN,
    "reject": HANDLE,
    # Routing from the screening desk is a referral.
    "refer": HANDLE | {"screener"},
    "escalate": HIGHER,
    # "Feedback lead: assigns and reassigns".
    "assign": REVIEW,
    "interim_reply": HANDLE,
    "appeal": FOR_CITIZEN,
    "uphold_appeal": HIGHER,
    "dismiss_appeal": HIGHER,
    "escalate_appeal": {"oversight", "admin"},
    # The desk may write to the citizen of a case in its queue (to ask where it belongs).
    "reply": HANDLE | {"screener"},
    "add_information": FOR_CITIZEN,
    "rate": FOR_CITIZEN,
    "set_confidential": HANDLE,
    "write_outcome": HANDLE,
    "approve_outcome": REVIEW,
    "send_back_outcome": REVIEW,
    "withdraw_outcome": HIGHER,
    "give_directive": {"oversight", "admin"},
    "answer_directive": HANDLE,
    "merge": HANDLE,
    # The desk closes with a pointer (no wrong door); a lead routes with `refer` instead.
    "close_with_pointer": {"screener", "admin"},
}
ACTION_ACTORS = [*STAFF, CITIZEN, ANONYMOUS]

# Capabilities outside the action table, each with its real path in the admin.
READERS = {"admin", "officer", "lead", "oversight", "agent", "auditor", "screener"}
CAPABILITY_ROLES: dict[str, set[str]] = {
    # The inbox, the case page with its history, and the files the citizen sent.
    "list": READERS,
    "view": READERS,
    "open_attachment": READERS,
    # Oversight reads but does not reveal; the screening desk routes without contacting.
    "reveal_contact": {"admin", "officer", "lead", "auditor", "agent"},
    "bulk_assign": REVIEW,
    # The issue names the auditor; the inbox lets the feedback lead export their own rows too.
    "export_inbox": {"admin", "lead", "auditor"},
    "export_report": {"admin", "lead", "oversight", "auditor"},
    "run_chain_check": {"admin", "auditor"},
    "edit_pages": {"admin", "editor"},
    "edit_canned_responses": REVIEW,
    "manage_service_points": {"admin"},
    # The desk is the agent's; the administrator, who acts everywhere, names a service point.
    "submit_for_citizen": {"agent", "admin"},
}
# Capabilities about one case: probed on the user's own case and on another institution's.
CASE_CAPABILITIES = {"list", "view", "open_attachment", "reveal_contact", "bulk_assign"}
HTTP_ACTORS = [*STAFF, ANONYMOUS]

# ---------------------------------------------------------------------------------------------
# The world: the same cases, in every status, at four places.
# ---------------------------------------------------------------------------------------------
WATER = "water"  # DAWASA Customer Care (1111): officer and lead (111), oversight (11) see it
NHIF = "nhif"  # the health insurance fund (121): another institution for every scoped role
AGENT = "agent"  # taken down by the agent at their service point, for DAWASA
SCREENING = "screening"  # no institution named: the screening desk's queue at the top
PLACES = [WATER, NHIF, AGENT, SCREENING]

# Where a role's own case lives, and the case of another that it must not reach.
OWN = {"agent": AGENT, "screener": SCREENING}
OTHER = {"agent": WATER}

# A status each action may start from, first match wins; some actions need a prepared case.
STATUS_PREFERENCE = [
    S.IN_PROGRESS,
    S.SUBMITTED,
    S.ACKNOWLEDGED,
    S.RESOLVED,
    S.CLOSED,
    S.APPEALED,
    S.AWAITING_CITIZEN,
    S.REOPENED,
    S.REJECTED,
]
PREPARED = {
    "approve_outcome": (S.RESOLVED, "draft"),
    "send_back_outcome": (S.RESOLVED, "draft"),
    "withdraw_outcome": (S.RESOLVED, "published"),
    "answer_directive": (None, "directive"),
}
PHONE = "+255712345678"
PHOTO_NAME = "meter.png"


def own_place(role: str) -> str:
    return OWN.get(role, WATER)


def other_place(role: str) -> str:
    return OTHER.get(role, NHIF)


def state_for(name: str) -> tuple[str, str]:
    status, prep = PREPARED.get(name, (None, ""))
    sources = workflow.ACTIONS[name].sources
    if status is None or status not in sources:
        status = next(s for s in STATUS_PREFERENCE if s in sources)
    return status, prep


@dataclass
class World:
    cases: dict = field(default_factory=dict)  # (place, status, prep) -> Case
    other_refs: dict = field(default_factory=dict)  # place -> a second case, to merge into

    def case(self, place: str, status: str = S.IN_PROGRESS, prep: str = "") -> Case:
        return Case.objects.get(pk=self.cases[place, status, prep].pk)


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(PHOTO_NAME, buffer.getvalue(), content_type="image/png")


def _submit(place: str, now):
    contact = workflow.ContactDetails(phone=PHONE, name="Neema", notify_by="sms")
    common = {"contact": contact, "consent_to_publish": True, "now": now}
    if place == WATER:
        return SubmissionFactory(**common)
    if place == NHIF:
        nhif = Institution.objects.get(short_code="121")
        return SubmissionFactory(institution=nhif, service=None, **common)
    if place == AGENT:
        return SubmissionFactory(by=actor("agent"), channel=Channel.SERVICE_POINT, **common)
    return SubmissionFactory(institution=None, service=None, **common)


def _prepare(case: Case, prep: str, now) -> Case:
    admin = actor("admin")
    if prep in ("draft", "published"):
        case = workflow.write_outcome(
            case,
            by=admin,
            summary="The meter was misread.",
            response="The bill was corrected.",
            language="en",
            now=now,
        )
    if prep == "published":
        case = workflow.approve_outcome(case, by=admin, now=now)
    if prep == "directive" and "give_directive" in workflow.ACTIONS:
        case = workflow.perform(
            "give_directive",
            case,
            by=admin,
            instruction="Report on this case within a week.",
            due=(now + timedelta(days=7)).date(),
            now=now,
        )
    return case


def _make_case(place: str, status: str, prep: str) -> Case:
    now = timezone.now() - timedelta(hours=2)
    case = _submit(place, now).case
    for step in PATHS[status]:
        now += timedelta(minutes=5)
        case = STEPS[step](case, actor("admin"), now)
    case = _prepare(case, prep, now + timedelta(minutes=1))
    assert case.status == status
    return case


def build_world() -> World:
    world = World()
    # The agent works at a service point (without one, the desk is closed to them).
    point = ServicePoint.objects.create(
        name="Ilala Post Office", name_sw="Posta ya Ilala", code="4243", location="Ilala"
    )
    profile = StaffProfile.objects.get(user__username="agent")
    profile.service_point = point
    profile.save()  # with its history: the chain check stays intact
    # An officer of the other institution, whom a bulk assignment there may name.
    make_staff("nhif-officer", Role.OFFICER, "121")
    wanted = {(S.IN_PROGRESS, "")} | {state_for(name) for name in workflow.ACTIONS}
    wanted |= {(S.SUBMITTED, "")}
    for place in PLACES:
        for status, prep in sorted(wanted):
            world.cases[place, status, prep] = _make_case(place, status, prep)
        world.other_refs[place] = _make_case(place, S.IN_PROGRESS, "").reference
        # A photo the citizen sent, on the case every HTTP probe opens.
        case = world.cases[place, S.IN_PROGRESS, ""]
        photo = _photo()
        store_upload(photo, "image/png", case=case)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module in a transaction rolled back at its end (each test's own
    savepoint nests inside it), so about forty cases cost one build, not one per test."""
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------------
# The table covers the action table exactly.
# ---------------------------------------------------------------------------------------------


def test_every_action_of_the_table_has_a_row_in_the_matrix():
    missing = sorted(set(workflow.ACTIONS) - set(ACTION_ROLES))
    assert not missing, f"actions with no row in the permission matrix: {missing}"


def test_every_row_of_the_matrix_names_an_action_of_the_table():
    unknown = sorted(set(ACTION_ROLES) - set(workflow.ACTIONS))
    assert not unknown, f"actions the matrix expects but workflow.ACTIONS lacks: {unknown}"


# ---------------------------------------------------------------------------------------------
# Actions: workflow.refusal says who may; workflow.perform refuses the others, changing nothing.
# ---------------------------------------------------------------------------------------------


def _actor_for(who: str, case: Case, bound_to: Case) -> workflow.Actor:
    if who == CITIZEN:
        return workflow.citizen_of(bound_to)
    if who == ANONYMOUS:
        return workflow.staff(AnonymousUser())
    return workflow.staff(user(who))


def _params(name: str, case: Case, world: World, place: str) -> dict:
    """Plausible parameters for every parameter the action lists, so a refusal cannot hide
    behind a missing one."""
    values = {}
    for param in workflow.ACTIONS[name].params:
        if param.kind == "choice":
            values[param.name] = param.choices[0][0]
        elif param.kind == "score":
            values[param.name] = 4
        elif param.kind == "date":
            values[param.name] = timezone.localdate() + timedelta(days=10)
        elif param.kind == "institution":
            values[param.name] = Institution.objects.get(short_code="122")
        elif param.kind == "officer":
            values[param.name] = user("officer")
        elif param.kind == "case":
            values[param.name] = Case.objects.get(reference=world.other_refs[place])
        elif param.kind == "flag":
            values[param.name] = True
        else:
            values[param.name] = "A probe of the permission matrix."
    return values


def _action_cases():
    for name in ACTION_ROLES:
        for who in ACTION_ACTORS:
            yield pytest.param(name, who, id=f"{name}-{who}")


def _probe_action(world: World, name: str, who: str, place: str, bound_place: str):
    if name not in workflow.ACTIONS:
        pytest.fail(f"{name} is not in workflow.ACTIONS yet", pytrace=False)
    status, prep = state_for(name)
    case = world.case(place, status, prep)
    bound_to = world.case(bound_place, status, prep)
    by = _actor_for(who, case, bound_to)
    return case, by, workflow.refusal(name, case, by)


def _assert_perform_refused(world: World, name: str, case: Case, by, place: str) -> None:
    events = case.events.count()
    # Refused by the table (ActionNotPermitted) or, where a transition checks its parameters
    # against the case first (an officer of another institution), by that check: either
    # way nothing changes.
    with pytest.raises(workflow.WorkflowError):
        workflow.perform(name, case, by=by, **_params(name, case, world, place))
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.events.count()) == (case.status, events)


@pytest.mark.parametrize(("name", "who"), list(_action_cases()))
def test_action_on_a_case_of_ones_own(world, name, who):
    """On a case in the actor's own scope (their institution's subtree, the cases an agent
    took down, the screening queue; the citizen's own case), in a status the action starts
    from: exactly the roles of the table may take it."""
    expected = who in ACTION_ROLES[name]
    if who == "lead" and name == "close_with_pointer":
        place = WATER
    else:
        place = own_place(who) if who != CITIZEN else WATER
    case, by, problem = _probe_action(world, name, who, place, place)
    assert (problem is None) == expected, (name, who, problem and problem.message)
    if not expected:
        _assert_perform_refused(world, name, case, by, place)


@pytest.mark.parametrize(("name", "who"), list(_action_cases()))
def test_action_on_another_institutions_case(world, name, who):
    """On a case outside the actor's scope, only the administrator acts; a citizen bound to
    another case, or an agent on a case they did not take down, is refused too."""
    place = other_place(who) if who != CITIZEN else NHIF
    bound = WATER if who == CITIZEN else place
    expected = who == "admin" and who in ACTION_ROLES[name]
    case, by, problem = _probe_action(world, name, who, place, bound)
    assert (problem is None) == expected, (name, who, problem and problem.message)
    if not expected:
        _assert_perform_refused(world, name, case, by, place)


# ---------------------------------------------------------------------------------------------
# HTTP capabilities, through the admin.
# ---------------------------------------------------------------------------------------------


def client_for(who: str) -> Client:
    client = Client(raise_request_exception=False)
    if who != ANONYMOUS:
        client.force_login(user(who))
    return client


def url_or_fail(name: str, *args, **kwargs) -> str:
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        pytest.fail(f"the URL {name!r} does not exist yet", pytrace=False)


def inbox_url() -> str:
    return url_or_fail("feedback_case:index")


def listed(response) -> set[int] | None:
    if response.status_code != 200 or response.context is None:
        return None
    try:
        objects = response.context["object_list"]
    except KeyError:
        return None
    return {obj.pk for obj in objects if isinstance(obj, Case)}


def shown(response, case: Case, echoed: str = "") -> bool:
    """Whether the response names the case at all: a link to it, or its reference in any
    grouping (once what the user typed, echoed back in the search box, is set aside)."""
    from feedback import references

    body = response.content.decode(errors="replace")
    if echoed:
        body = body.replace(echoed, "")
    links = [reverse("feedback_case_workspace", args=[case.pk]), f"/case/inspect/{case.pk}/"]
    named = [case.reference, references.format_reference(case.reference)]
    return any(text in body for text in links + named)


def no_server_error(response, who, what):
    assert response.status_code < 500, (who, what, response.status_code)


def probe_list(client, case, who) -> bool:
    # Searched by its reference, so a full first page cannot hide it.
    response = client.get(inbox_url(), {"q": case.reference})
    no_server_error(response, who, "list")
    rows = listed(response)
    return bool(rows) and case.pk in rows


def probe_view(client, case, who) -> bool:
    page = client.get(url_or_fail("feedback_case_workspace", case.pk))
    history = client.get(url_or_fail("feedback_case_history", case.pk))
    no_server_error(page, who, "view")
    no_server_error(history, who, "history")
    # The case page and its history answer alike: both open, or neither.
    assert (page.status_code == 200) == (history.status_code == 200), (
        who,
        page.status_code,
        history.status_code,
    )
    if page.status_code != 200:
        assert not shown(page, case) and not shown(history, case), who
    return page.status_code == 200


def probe_attachment(client, case, who) -> bool:
    attachment = case.attachments.get()
    response = client.get(url_or_fail("feedback_case_attachment", case.pk, attachment.pk))
    no_server_error(response, who, "attachment")
    if response.status_code != 200:
        return False
    assert response["Content-Type"].startswith("image/png"), who
    return True


def probe_reveal(client, case, who) -> bool:
    before = PersonalDataAccess.objects.filter(case=case).count()
    response = client.post(
        url_or_fail("feedback_case_reveal_contact", case.pk),
        {"reason": "To call the citizen about the meter."},
        follow=True,
    )
    no_server_error(response, who, "reveal")
    recorded = PersonalDataAccess.objects.filter(case=case).count() - before
    revealed = PHONE in response.content.decode(errors="replace")
    if recorded == 0:
        assert not revealed, (who, "shown a phone number without a recorded reveal")
    return recorded == 1 and response.status_code == 200


def officer_for(case: Case):
    """An officer who works on the case's institution (the workflow assigns no one else)."""
    water = Institution.objects.get(short_code="111")
    return user("officer" if case.institution.path.startswith(water.path) else "nhif-officer")


def probe_bulk_assign(client, case, who) -> bool:
    # Wagtail's bulk action for cases, named "assign" (feedback.workspace, the inbox).
    path = url_or_fail("wagtail_bulk_action", "feedback", "case", "assign")
    officer = officer_for(case)
    response = client.post(
        f"{path}?id={case.pk}", {"officer": officer.pk, "next": inbox_url()}, follow=True
    )
    no_server_error(response, who, "bulk assign")
    fresh = Case.objects.get(pk=case.pk)
    assigned = fresh.assigned_to_id == officer.pk
    return assigned


CASE_PROBES = {
    "list": probe_list,
    "view": probe_view,
    "open_attachment": probe_attachment,
    "reveal_contact": probe_reveal,
    "bulk_assign": probe_bulk_assign,
}


def _allowed_page(response) -> bool:
    return response.status_code == 200


def probe_export_inbox(client, world, who) -> bool:
    response = client.get(inbox_url(), {"export": "csv"})
    no_server_error(response, who, "export")
    if response.status_code != 200 or not response["Content-Type"].startswith("text/csv"):
        return False
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode()
    own = world.case(own_place(who))
    other = world.case(other_place(who))
    if who not in EVERYWHERE:
        assert other.reference not in text, (who, "another institution's case exported")
    assert own.reference in text, who
    assert PHONE not in text, (who, "contact details in an export")
    return True


def probe_export_report(client, world, who) -> bool:
    response = client.get(url_or_fail("feedback_reports:index"))
    no_server_error(response, who, "report")
    return _allowed_page(response)


def probe_chain_check(client, world, who) -> bool:
    response = client.get(url_or_fail("feedback_audit_chain_check"))
    no_server_error(response, who, "chain check")
    if response.status_code == 200:
        posted = client.post(url_or_fail("feedback_audit_chain_check"), follow=True)
        no_server_error(posted, who, "chain check (run)")
        return posted.status_code == 200
    return False


def probe_edit_pages(client, world, who) -> bool:
    from wagtail.models import Page

    page = Page.objects.filter(depth__gt=2).order_by("path").first()
    response = client.get(url_or_fail("wagtailadmin_pages:edit", page.pk))
    no_server_error(response, who, "edit pages")
    return _allowed_page(response)


def probe_canned_responses(client, world, who) -> bool:
    add = client.get(url_or_fail("feedback_canned:add"))
    no_server_error(add, who, "canned responses")
    if add.status_code != 200:
        return False
    # The lead keeps their own institution's; the form offers no other institution.
    form = add.context.get("form") if add.context else None
    if form is not None and "institution" in form.fields and who not in EVERYWHERE:
        offered = {str(pk) for pk, _label in form.fields["institution"].choices if pk}
        assert str(Institution.objects.get(short_code="121").pk) not in offered, who
    return True


def probe_service_points(client, world, who) -> bool:
    response = client.get(url_or_fail("feedback_servicepoint:add"))
    no_server_error(response, who, "service points")
    return _allowed_page(response)


def probe_submit_for_citizen(client, world, who) -> bool:
    response = client.get(url_or_fail("feedback_service_point_submit"))
    no_server_error(response, who, "submit for a citizen")
    return _allowed_page(response)


OTHER_PROBES = {
    "export_inbox": probe_export_inbox,
    "export_report": probe_export_report,
    "run_chain_check": probe_chain_check,
    "edit_pages": probe_edit_pages,
    "edit_canned_responses": probe_canned_responses,
    "manage_service_points": probe_service_points,
    "submit_for_citizen": probe_submit_for_citizen,
}


def test_every_capability_has_a_probe():
    assert set(CASE_PROBES) | set(OTHER_PROBES) == set(CAPABILITY_ROLES)
    assert set(CASE_PROBES) == CASE_CAPABILITIES


def _capability_cases(capabilities):
    for capability in capabilities:
        for who in HTTP_ACTORS:
            yield pytest.param(capability, who, id=f"{capability}-{who}")


@pytest.mark.parametrize(("capability", "who"), list(_capability_cases(sorted(CASE_PROBES))))
def test_capability_on_a_case_of_ones_own(world, capability, who):
    expected = who in CAPABILITY_ROLES[capability]
    case = world.case(own_place(who))
    allowed = CASE_PROBES[capability](client_for(who), case, who)
    assert allowed == expected, (capability, who)


@pytest.mark.parametrize(("capability", "who"), list(_capability_cases(sorted(CASE_PROBES))))
def test_capability_on_another_institutions_case(world, capability, who, caplog):
    """Out of scope: never shown, never changed; a case URL answers 404 and the attempt is
    logged (user id and case, no personal data)."""
    expected = who in EVERYWHERE and who in CAPABILITY_ROLES[capability]
    case = world.case(other_place(who))
    with caplog.at_level(logging.WARNING, logger="feedback.access"):
        allowed = CASE_PROBES[capability](client_for(who), case, who)
    assert allowed == expected, (capability, who)
    if capability == "view" and not expected and who != ANONYMOUS:
        response = client_for(who).get(reverse("feedback_case_workspace", args=[case.pk]))
        assert response.status_code == 404, who
        logged = [r for r in caplog.records if r.name == "feedback.access"]
        assert logged, (who, "an out-of-scope case URL was not logged")
        assert all(PHONE not in r.getMessage() for r in logged)


@pytest.mark.parametrize(("capability", "who"), list(_capability_cases(sorted(OTHER_PROBES))))
def test_capability_of_the_workspace(world, capability, who):
    expected = who in CAPABILITY_ROLES[capability]
    allowed = OTHER_PROBES[capability](client_for(who), world, who)
    assert allowed == expected, (capability, who)


# ---------------------------------------------------------------------------------------------
# Other institutions' cases through every door of the inbox: never shown.
# ---------------------------------------------------------------------------------------------

SCOPED = ["officer", "lead", "oversight", "agent", "screener"]


def _filter_queries(client) -> list[dict]:
    """One query per value of every filter the inbox declares (each choice of each field,
    a wide date range, yes and no), read from the listing's own filter form."""
    from django import forms

    response = client.get(inbox_url())
    filters = response.context.get("filters") if response.context else None
    if filters is None:
        pytest.fail("the inbox offers no filters", pytrace=False)
    queries = []
    today = timezone.localdate()
    for name, bound in filters.form.fields.items():
        widget = bound.widget
        if isinstance(widget, forms.MultiWidget):
            names = [f"{name}{suffix}" for suffix in widget.widgets_names]
            span = [str(today - timedelta(days=400)), str(today + timedelta(days=1))]
            queries.append(dict(zip(names, span, strict=False)))
            continue
        queryset = getattr(bound, "queryset", None)
        if queryset is not None:
            # Every row of the model, not only those offered: a hand-typed id of another
            # institution's service must not open a door either.
            for pk in queryset.model.objects.values_list("pk", flat=True):
                queries.append({name: str(pk)})
            continue
        choices = getattr(bound, "choices", None)
        if choices is not None:
            for value, _label in choices:
                value = getattr(value, "value", value)
                if value not in ("", None):
                    queries.append({name: str(value)})
        else:
            queries += [{name: "true"}, {name: "false"}, {name: "1"}]
    assert queries
    return queries


@pytest.mark.parametrize("who", SCOPED)
def test_another_institutions_case_never_shows_through_the_inbox(world, who):
    client = client_for(who)
    own = world.case(own_place(who))
    other = world.case(other_place(who))
    search = client.get(inbox_url(), {"q": other.reference})
    no_server_error(search, who, "search")
    assert other.pk not in (listed(search) or set()), who
    assert not shown(search, other, echoed=other.reference), who
    # Not vacuous: the same search finds the user's own case.
    assert own.pk in (listed(client.get(inbox_url(), {"q": own.reference})) or set()), who
    for query in _filter_queries(client):
        response = client.get(inbox_url(), query)
        no_server_error(response, who, query)
        assert other.pk not in (listed(response) or set()), (who, query)
        assert not shown(response, other), (who, query)


@pytest.mark.parametrize("who", SCOPED)
def test_bulk_on_another_institutions_case_changes_nothing(world, who):
    """A bulk request naming a case out of scope (alone, or among the user's own) leaves it
    untouched and unnamed."""
    other = world.case(other_place(who))
    own = world.case(own_place(who))
    path = url_or_fail("wagtail_bulk_action", "feedback", "case", "assign")
    client = client_for(who)
    for ids in ([other.pk], [own.pk, other.pk]):
        query = "&".join(f"id={pk}" for pk in ids)
        response = client.post(f"{path}?{query}", {"officer": user("officer").pk}, follow=True)
        no_server_error(response, who, "bulk")
        assert not shown(response, other), who
        assert Case.objects.get(pk=other.pk).assigned_to_id is None, who


def test_canned_responses_of_another_institution_are_not_offered(world):
    """The case page fills a reply from the institution's own canned responses only."""
    water = Institution.objects.get(short_code="111")
    nhif = Institution.objects.get(short_code="121")
    mine = CannedResponse.objects.create(
        institution=water, title="Meter", title_sw="Mita", body="Read.", body_sw="Imesomwa."
    )
    theirs = CannedResponse.objects.create(
        institution=nhif, title="Claim", title_sw="Dai", body="Paid.", body_sw="Imelipwa."
    )
    client = client_for("officer")
    html = client.get(reverse("feedback_case_workspace", args=[world.case(WATER).pk]))
    text = html.content.decode()
    assert mine.title in text or mine.title_sw in text
    assert theirs.body not in text and theirs.title not in text


def test_the_roles_of_the_matrix_are_the_roles_of_the_product():
    assert set(STAFF) == set(Role.values)
    assert water_service().institution.short_code == "1111"
