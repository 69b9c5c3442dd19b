"""Delivery reports (POST /channels/sms/delivery/, Africa's Talking's form): the gateway check
first; the SmsDelivery their id names is brought up to date (unknown id: 200, nothing); the
case page shows each SMS and whether it arrived, in a flat number of queries."""

import pytest
from django.urls import reverse

from feedback import sms
from feedback.models import SmsDelivery, Status
from tests.feedback.factories import case_in, user

pytestmark = pytest.mark.django_db

URL = "/channels/sms/delivery/"
PHONE = "+255712345678"


def sent(case, purpose="acknowledge"):
    sms.send_sms(PHONE, "Mrejesho", case=case, purpose=purpose)
    return SmsDelivery.objects.filter(case=case).first()


def report(client, **form):
    return client.post(URL, {"phoneNumber": PHONE, "networkCode": "63902", **form})


def test_the_url_is_the_channels_one():
    assert reverse("channels:sms_delivery") == URL


@pytest.mark.parametrize(
    ("status", "reason", "state", "kept"),
    [
        ("Success", "", SmsDelivery.State.DELIVERED, ""),
        ("Buffered", "", SmsDelivery.State.SENT, ""),
        ("Sent", "", SmsDelivery.State.SENT, ""),
        ("Failed", "DeliveryFailure", SmsDelivery.State.FAILED, "DeliveryFailure"),
        ("Rejected", "UserInBlacklist", SmsDelivery.State.FAILED, "UserInBlacklist"),
        ("Failed", "", SmsDelivery.State.FAILED, "Failed"),
    ],
)
def test_a_report_updates_the_delivery_its_id_names(client, status, reason, state, kept):
    delivery = sent(case_in(Status.SUBMITTED))
    response = report(
        client, id=delivery.gateway_id, status=status, failureReason=reason, retryCount="0"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.failure_reason) == (state, kept)


def test_a_late_buffered_report_does_not_undo_a_delivery(client):
    delivery = sent(case_in(Status.SUBMITTED))
    report(client, id=delivery.gateway_id, status="Success")
    report(client, id=delivery.gateway_id, status="Buffered")
    delivery.refresh_from_db()
    assert delivery.state == SmsDelivery.State.DELIVERED


def test_an_unknown_id_or_an_empty_report_changes_nothing_and_answers_200(client):
    delivery = sent(case_in(Status.SUBMITTED))
    assert report(client, id="ATXid_unknown", status="Failed").status_code == 200
    assert client.post(URL, {}).status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == SmsDelivery.State.SENT


def test_the_gateway_check_comes_first(client, settings):
    settings.CHANNEL_SHARED_SECRET = "s3cret"
    delivery = sent(case_in(Status.SUBMITTED))
    assert report(client, id=delivery.gateway_id, status="Failed").status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == SmsDelivery.State.SENT
    response = client.post(f"{URL}?secret=s3cret", {"id": delivery.gateway_id, "status": "Success"})
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == SmsDelivery.State.DELIVERED


def test_get_is_not_a_report(client):
    assert client.get(URL).status_code == 405


def test_the_case_page_shows_each_sms_and_whether_it_arrived_in_flat_queries(
    client, django_assert_max_num_queries
):
    case = case_in(Status.SUBMITTED)
    client.force_login(user("officer"))
    page = reverse("feedback_case_workspace", args=[case.pk])
    delivered = sent(case, "acknowledge")
    report(client, id=delivered.gateway_id, status="Success")
    with django_assert_max_num_queries(200) as one:
        html = client.get(page).content.decode()
    with_one = len(one)
    assert "SMS to the citizen" in html and "Delivered" in html
    failed = sent(case, "request_information")
    report(client, id=failed.gateway_id, status="Failed", failureReason="AbsentSubscriber")
    sent(case, "resolve")
    with django_assert_max_num_queries(with_one):
        html = client.get(page).content.decode()
    assert "Failed: AbsentSubscriber" in html
    assert "Sent, waiting for the delivery report" in html
    assert PHONE not in html
