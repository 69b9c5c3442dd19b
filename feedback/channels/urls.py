"""The gateway's callbacks: USSD, inbound SMS, delivery reports (Africa's Talking's formats)."""

from django.urls import path

from feedback.channels import delivery, sms, ussd

app_name = "channels"
urlpatterns = [
    path("ussd/", ussd.callback, name="ussd"),
    path("ussd/events/", ussd.session_event, name="ussd_event"),
    path("sms/", sms.inbound, name="sms"),
    path("sms/delivery/", delivery.report, name="sms_delivery"),
]
