"""Test data built with factory_boy: institutions in the tree, services with charters, staff
with roles, and cases driven to any status through the workflow itself, never written directly.

`build_test_world()` makes the small world the suite relies on (the short codes and usernames
tests name); it does not depend on the demo content of feedback/demo.py.
"""

from datetime import timedelta

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from feedback import workflow
from feedback.models import Case, CharterTerm, Institution, Kind, Role, Service, Status
from feedback.roles import assign_role
from tests.pages.factories import build_test_pages


class InstitutionFactory(DjangoModelFactory):
    """An institution under `parent` (a root without one); one with its short code is reused."""

    class Meta:
        model = Institution

    parent = None
    short_code = factory.Sequence(lambda n: str(900_000 + n))
    level = Institution.Level.AGENCY
    name = factory.LazyAttribute(lambda inst: f"Institution {inst.short_code}")
    name_sw = factory.LazyAttribute(lambda inst: f"Taasisi {inst.short_code}")
    acronym = ""

    @classmethod
    def _create(cls, model_class, parent, **fields):
        existing = model_class.objects.filter(short_code=fields["short_code"]).first()
        if existing is not None:
            return existing
        if parent is None:
            return model_class.add_root(**fields)
        # treebeard keeps the child count on the parent row: add below a fresh copy of it.
        return model_class.objects.get(pk=parent.pk).add_child(**fields)


class CharterTermFactory(DjangoModelFactory):
    class Meta:
        model = CharterTerm
        django_get_or_create = ("service", "kind")

    service = factory.SubFactory("tests.feedback.factories.ServiceFactory")
    kind = Kind.COMPLAINT
    acknowledge_days = 1
    resolve_days = 5


class ServiceFactory(DjangoModelFactory):
    """A service with its charter; `terms={kind: (acknowledge, resolve)}` adds exceptions."""

    class Meta:
        model = Service
        django_get_or_create = ("institution", "code")
        skip_postgeneration_save = True

    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: str(n % 999_999 + 1))
    name = factory.LazyAttribute(lambda service: f"Service {service.code}")
    name_sw = factory.LazyAttribute(lambda service: f"Huduma {service.code}")
    acknowledge_days = 2
    resolve_days = 15

    @factory.post_generation
    def terms(service, create, extracted, **kwargs):
        for kind, (acknowledge, resolve) in (extracted or {}).items():
            CharterTermFactory(
                service=service, kind=kind, acknowledge_days=acknowledge, resolve_days=resolve
            )


class StaffFactory(DjangoModelFactory):
    """A staff user with one role at one institution, given through feedback.roles."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff-{n}")
    email = factory.LazyAttribute(lambda member: f"{member.username}@example.org")
    password = Password(None)  # unusable: tests log in with force_login
    role = Role.OFFICER
    institution = None

    @classmethod
    def _create(cls, model_class, role, institution, **fields):
        member = super()._create(model_class, **fields)
        assign_role(member, role, institution)
        return member


class SubmissionFactory(factory.Factory):
    """Feedback as a citizen sends it, through workflow.submit: a Submission (case and PIN)."""

    class Meta:
        model = workflow.Submission

    kind = Kind.COMPLAINT
    service = factory.LazyFunction(lambda: water_service())
    institution = factory.LazyAttribute(lambda sent: sent.service and sent.service.institution)
    subject = "Water bill doubled"
    description = "My March bill is twice the usual amount."
    contact = factory.LazyFunction(
        lambda: workflow.ContactDetails(phone="+255712345678", notify_by="sms")
    )
    language = "sw"
    now = None

    @classmethod
    def _create(cls, model_class, **fields):
        return workflow.submit(**fields)


# The transitions that lead from "submitted" to each status, and how each one is taken.
PATHS = {
    Status.SUBMITTED: [],
    Status.ACKNOWLEDGED: ["ack"],
    Status.AWAITING_CITIZEN: ["ack", "ask"],
    Status.IN_PROGRESS: ["ack", "start"],
    Status.RESOLVED: ["ack", "start", "resolve"],
    Status.CLOSED: ["ack", "start", "resolve", "close"],
    Status.REOPENED: ["ack", "start", "resolve", "reopen"],
    Status.REJECTED: ["reject"],
    Status.APPEALED: ["ack", "start", "resolve", "close", "appeal"],
}
STEPS = {
    "ack": lambda case, by, now: workflow.acknowledge(case, by=by, now=now),
    "ask": lambda case, by, now: workflow.request_information(
        case, by=by, question="Meter number?", now=now
    ),
    "start": lambda case, by, now: workflow.start(case, by=by, now=now),
    "resolve": lambda case, by, now: workflow.resolve(
        case, by=by, response="Bill corrected.", now=now
    ),
    "close": lambda case, by, now: workflow.close(case, by=workflow.citizen_of(case), now=now),
    "reopen": lambda case, by, now: workflow.reopen(
        case, by=workflow.citizen_of(case), reason="Still wrong.", now=now
    ),
    "appeal": lambda case, by, now: workflow.appeal(
        case, by=workflow.citizen_of(case), reason="Bill still wrong.", now=now
    ),
    "reject": lambda case, by, now: workflow.reject(
        case, by=by, reason="out_of_scope", explanation="Private matter.", now=now
    ),
}


class CaseFactory(factory.Factory):
    """A case in `status`, reached by the workflow's own transitions from a fresh submission.

    Other keyword arguments go to SubmissionFactory; `by` is the staff actor who handles it.
    """

    class Meta:
        model = Case

    status = Status.SUBMITTED
    by = factory.LazyFunction(lambda: actor("admin"))
    now = None

    @classmethod
    def _create(cls, model_class, status, by, now, **submission):
        # Steps are spaced a few minutes apart and end before "now", like a real history.
        now = now or timezone.now() - timedelta(hours=1)
        case = SubmissionFactory(now=now, **submission).case
        for step in PATHS[status]:
            now += timedelta(minutes=5)
            case = STEPS[step](case, by, now)
        assert case.status == status
        return case


# (short code, level, English name, Swahili name, acronym, parent's short code): the levels
# tests name, from the national root down to a unit, and a district where an agent sits.
WORLD_INSTITUTIONS = [
    ("1", "national", "Government of Tanzania", "Serikali ya Tanzania", "GoT", None),
    ("11", "ministry", "Ministry of Water", "Wizara ya Maji", "MoW", "1"),
    (
        "111",
        "agency",
        "Dar es Salaam Water Authority",
        "Mamlaka ya Maji Dar es Salaam",
        "DAWASA",
        "11",
    ),
    ("1111", "unit", "DAWASA Customer Care", "Huduma kwa Wateja DAWASA", "", "111"),
    ("12", "ministry", "Ministry of Health", "Wizara ya Afya", "MoH", "1"),
    ("121", "agency", "National Health Insurance Fund", "Mfuko wa Bima ya Afya", "NHIF", "12"),
    ("122", "agency", "Muhimbili National Hospital", "Hospitali ya Taifa Muhimbili", "MNH", "12"),
    ("18", "ministry", "Regional Administration", "Tawala za Mikoa", "PO-RALG", "1"),
    ("181", "region", "Dar es Salaam Region", "Mkoa wa Dar es Salaam", "", "18"),
    ("1811", "district", "Ilala District", "Wilaya ya Ilala", "", "181"),
]
# (username, role, institution short code or None)
WORLD_STAFF = [
    ("admin", Role.ADMIN, None),
    ("editor", Role.EDITOR, None),
    ("officer", Role.OFFICER, "111"),
    ("lead", Role.LEAD, "111"),
    ("oversight", Role.OVERSIGHT, "11"),
    ("agent", Role.AGENT, "1811"),
    ("auditor", Role.AUDITOR, None),
    ("screener", Role.SCREENER, "1"),
]


def build_test_world() -> None:
    """The institutions, services, staff and pages the suite relies on; safe to run again.

    Called once per session (tests/conftest.py), and again by transactional tests, whose
    database is flushed after each of them.
    """
    made: dict[str, Institution] = {}
    for code, level, name, name_sw, acronym, parent in WORLD_INSTITUTIONS:
        made[code] = InstitutionFactory(
            short_code=code,
            level=level,
            name=name,
            name_sw=name_sw,
            acronym=acronym,
            parent=made.get(parent),
        )
    ServiceFactory(
        institution=made["1111"],
        code="1",
        name="Water bills and meters",
        name_sw="Bili za maji na mita",
        description="Questions and complaints about water bills and meters in Dar es Salaam.",
        description_sw="Maswali na malalamiko kuhusu bili za maji na mita Dar es Salaam.",
        acknowledge_days=1,
        resolve_days=7,
        terms={Kind.COMPLAINT: (1, 5)},
    )
    ServiceFactory(
        institution=made["121"],
        code="1",
        name="Health insurance membership",
        name_sw="Uanachama wa bima ya afya",
        acknowledge_days=2,
        resolve_days=10,
    )
    for username, role, code in WORLD_STAFF:
        StaffFactory(username=username, role=role, institution=made.get(code))
    build_test_pages()


def user(username: str):
    return get_user_model().objects.get(username=username)


def actor(username: str) -> workflow.Actor:
    return workflow.staff(user(username))


def make_staff(username: str, role: str, short_code: str | None):
    institution = Institution.objects.get(short_code=short_code) if short_code else None
    return StaffFactory(username=username, role=role, institution=institution)


def water_service() -> Service:
    return Service.objects.get(institution__short_code="1111", code="1")


def submit_case(now=None, **overrides) -> workflow.Submission:
    return SubmissionFactory(now=now, **overrides)


def case_in(status: str, now=None):
    """A case in the given status, reached by the workflow's own transitions."""
    return CaseFactory(status=status, now=now)
