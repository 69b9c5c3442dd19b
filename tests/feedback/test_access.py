"""What each staff member sees follows the institution tree (feedback.access)."""

import pytest

from feedback.access import cases_visible_to
from feedback.models import Institution, Role, Status
from feedback.references import format_reference
from tests.feedback.factories import case_in, make_staff, submit_case, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases():
    water = case_in(Status.SUBMITTED)  # DAWASA Customer Care (1111), under DAWASA (111)
    nhif = submit_case(institution=Institution.objects.get(short_code="121"), service=None).case
    return water, nhif


@pytest.mark.parametrize(
    ("username", "sees_water", "sees_nhif"),
    [
        ("officer", True, False),  # DAWASA and its units
        ("lead", True, False),
        ("oversight", True, False),  # Ministry of Water
        ("auditor", True, True),  # read-only everywhere
        ("admin", True, True),
        ("agent", False, False),  # submits for citizens, reads nothing
        ("editor", False, False),
    ],
)
def test_staff_see_cases_below_their_institution(cases, username, sees_water, sees_nhif):
    water, nhif = cases
    visible = cases_visible_to(user(username))
    assert visible.filter(pk=water.pk).exists() is sees_water
    assert visible.filter(pk=nhif.pk).exists() is sees_nhif


def test_officer_cannot_see_other_institutions_case(cases):
    _water, nhif = cases
    unit_officer = make_staff("unit-officer", Role.OFFICER, "1111")
    assert not cases_visible_to(unit_officer).filter(pk=nhif.pk).exists()


def test_admin_case_list_is_scoped_and_read_only(client, cases):
    water, nhif = cases
    client.force_login(user("officer"))
    html = client.get("/admin/feedback/case/").content.decode()
    # The inbox shows references as people read them ("123 456 7890").
    shown = [format_reference(case.reference) for case in (water, nhif)]
    assert shown[0] in html and shown[1] not in html and nhif.reference not in html
    assert client.get("/admin/feedback/case/create/").status_code == 404  # no such view
    assert client.get(f"/admin/feedback/case/inspect/{water.pk}/").status_code == 200
    assert client.get(f"/admin/feedback/case/inspect/{nhif.pk}/").status_code == 404
