"""Intake: routing and screening, phones, anonymity, the service check and idempotent
retries, the same for every channel (issue 13, items 11 and 14)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback import workflow
from feedback.access import cases_visible_to
from feedback.models import Case, Institution, Status
from tests.feedback.factories import case_in, submit_case, user, water_service

pytestmark = pytest.mark.django_db


def test_feedback_naming_no_institution_lands_in_screening_at_the_top():
    case = submit_case(institution=None, service=None).case
    assert case.institution == Institution.get_first_root_node()


def test_a_service_alone_routes_to_its_institution():
    service = water_service()
    assert submit_case(institution=None, service=service).case.institution == service.institution


def test_service_of_another_institution_is_refused_in_the_domain():
    nhif = Institution.objects.get(short_code="121")
    with pytest.raises(workflow.MissingInformation, match="not offered by"):
        submit_case(institution=nhif, service=water_service())
    assert not Case.objects.filter(institution=nhif).exists()


@pytest.mark.parametrize(
    ("region", "typed", "stored"),
    [("TZ", "0712 345 678", "+255712345678"), ("KE", "0712 345 678", "+254712345678")],
)
def test_local_phone_numbers_read_in_the_phone_region_not_the_holiday_country(
    settings, region, typed, stored
):
    settings.PHONE_REGION = region
    settings.HOLIDAYS_COUNTRY = "TZ"
    contact = workflow.ContactDetails(phone=typed, notify_by="sms")
    case = submit_case(contact=contact).case
    assert case.contact.phone == stored


def test_invalid_phone_is_refused_with_a_hint():
    with pytest.raises(workflow.InvalidPhone, match="0712 345 678"):
        submit_case(contact=workflow.ContactDetails(phone="12", notify_by="sms"))


@pytest.mark.parametrize(
    ("contact", "anonymous", "notify_by"),
    [
        (None, True, None),
        (workflow.ContactDetails(notify_by="sms"), True, None),
        (workflow.ContactDetails(email="a@example.org", notify_by="sms"), False, "email"),
        (workflow.ContactDetails(phone="0712345678", notify_by="email"), False, "sms"),
        (workflow.ContactDetails(name="Asha", notify_by="sms"), False, "none"),
        (workflow.ContactDetails(phone="0712345678", notify_by="none"), False, "none"),
    ],
)
def test_anonymity_and_the_channel_the_citizen_can_be_reached_on(contact, anonymous, notify_by):
    case = submit_case(contact=contact).case
    assert case.is_anonymous is anonymous
    if notify_by is None:
        assert not hasattr(case, "contact") or case.contact is None
    else:
        assert case.contact.notify_by == notify_by


def test_retry_with_the_same_key_returns_the_first_case_without_its_pin():
    first = submit_case(idempotency_key="draft-1")
    again = submit_case(idempotency_key="draft-1", subject="Changed in flight")
    assert (again.case.pk, again.pin, again.created) == (first.case.pk, None, False)
    assert Case.objects.filter(idempotency_key="draft-1").count() == 1
    # The key is per channel: another channel's client may use the same string.
    other = submit_case(idempotency_key="draft-1", channel="api")
    assert other.created and other.case.pk != first.case.pk


def test_case_queryset_open_and_overdue():
    open_case = case_in(Status.IN_PROGRESS)
    closed = case_in(Status.CLOSED)
    waiting = case_in(Status.AWAITING_CITIZEN)
    assert set(Case.objects.open().filter(pk__in=[open_case.pk, closed.pk, waiting.pk])) == {
        open_case,
        waiting,
    }
    late = open_case.resolve_due + timedelta(hours=1)
    overdue = Case.objects.overdue(late)
    assert overdue.filter(pk=open_case.pk).exists()
    assert not overdue.filter(pk=waiting.pk).exists()  # the clock stops while waiting
    assert not Case.objects.overdue(timezone.now()).filter(pk=open_case.pk).exists()
    # The queryset and the row rule agree.
    assert workflow.is_overdue(open_case, late)
    assert not workflow.is_overdue(waiting, late)


def test_visible_to_is_the_one_scope_rule():
    case = submit_case().case
    nhif_case = submit_case(
        institution=Institution.objects.get(short_code="121"), service=None
    ).case
    officer = user("officer")
    assert list(cases_visible_to(officer).filter(pk__in=[case.pk, nhif_case.pk])) == [case]
    assert Case.objects.visible_to(user("agent")).count() == 0
    assert Case.objects.visible_to(user("auditor")).filter(pk=nhif_case.pk).exists()
