"""The suite's own data: built by factories, independent of the demo, through the workflow."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import Page

from feedback.access import cases_visible_to
from feedback.audit import verify_chain
from feedback.models import CaseEvent, Institution, Kind, Role, Service
from tests.feedback.factories import (
    PATHS,
    CaseFactory,
    InstitutionFactory,
    ServiceFactory,
    StaffFactory,
    build_test_world,
)

pytestmark = pytest.mark.django_db


def test_the_session_holds_the_test_world_and_nothing_of_the_demo():
    codes = set(Institution.objects.values_list("short_code", flat=True))
    assert codes == {"1", "11", "111", "1111", "12", "121", "122", "18", "181", "1811"}
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert usernames == {
        "admin",
        "editor",
        "officer",
        "lead",
        "oversight",
        "agent",
        "auditor",
        "screener",
    }
    assert set(Service.objects.values_list("institution__short_code", "code")) == {
        ("1111", "1"),
        ("121", "1"),
    }


def test_building_the_world_again_adds_nothing():
    def counts():
        return (
            Institution.objects.count(),
            Service.objects.count(),
            get_user_model().objects.count(),
            Page.objects.count(),
        )

    before = counts()
    build_test_world()
    assert counts() == before


def test_institutions_join_the_tree_below_their_parent():
    ministry = InstitutionFactory(level=Institution.Level.MINISTRY)
    agency = InstitutionFactory(parent=ministry)
    unit = InstitutionFactory(parent=agency, level=Institution.Level.UNIT)
    InstitutionFactory(parent=ministry)  # a sibling, after the agency already has a child
    assert [a.pk for a in unit.get_ancestors()] == [ministry.pk, agency.pk]
    ministry.refresh_from_db()  # treebeard counts children on the row, not on this copy
    assert ministry.get_descendant_count() == 3
    assert all(problems == [] for problems in Institution.find_problems())


def test_service_terms_are_the_charter_for_their_kind():
    service = ServiceFactory(acknowledge_days=2, resolve_days=15, terms={Kind.INQUIRY: (1, 4)})
    assert service.charter_for(Kind.INQUIRY) == (1, 4)
    assert service.charter_for(Kind.COMPLAINT) == (2, 15)


def test_staff_see_the_cases_of_their_institution_and_below_only():
    agency = InstitutionFactory()
    unit = InstitutionFactory(parent=agency, level=Institution.Level.UNIT)
    officer = StaffFactory(role=Role.OFFICER, institution=agency)
    unit_officer = StaffFactory(role=Role.OFFICER, institution=unit)
    service = ServiceFactory(institution=unit)
    case = CaseFactory(institution=unit, service=service)
    above = CaseFactory(institution=agency, service=None)
    assert officer.staff_profile.role == Role.OFFICER
    assert set(cases_visible_to(officer)) == {case, above}
    assert set(cases_visible_to(unit_officer)) == {case}


@pytest.mark.parametrize("status", list(PATHS))
def test_a_case_reaches_its_status_through_the_workflows_transitions(status):
    case = CaseFactory(status=status)
    case.refresh_from_db()
    assert case.status == status
    transitions = CaseEvent.objects.filter(case=case, type="transition").count()
    assert transitions == len(PATHS[status])  # one per step after the submission
    assert case.history.count() >= transitions
    assert verify_chain().ok
