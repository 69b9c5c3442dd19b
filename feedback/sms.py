"""Outbound SMS behind one small interface chosen by settings.SMS_BACKEND, like Django's e-mail.

The backends live in feedback.gateways (console, memory, Africa's Talking); this module is the
door every caller uses. Each message sent about a case leaves an SmsDelivery row (what it was
about and what became of it: never the number, never the text), which the gateway's delivery
reports (feedback.channels.delivery) bring up to date.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from feedback.gateways.africastalking import AfricasTalkingSMSBackend
from feedback.gateways.sms import (
    BaseSMSBackend,
    ConsoleSMSBackend,
    MemorySMSBackend,
    SMSDeliveryError,
    SMSMessage,
    outbox,
)

# Settings and callers name the backends here (feedback.sms.MemorySMSBackend...).
__all__ = [
    "AfricasTalkingSMSBackend",
    "BaseSMSBackend",
    "ConsoleSMSBackend",
    "MemorySMSBackend",
    "SMSDeliveryError",
    "SMSMessage",
    "get_backend",
    "outbox",
    "send_sms",
]

logger = logging.getLogger("feedback.gateways")


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(to: str, body: str, *, case=None, event=None, purpose: str = "") -> None:
    """Send one SMS now and record it (SmsDelivery: sent with the gateway's id, or failed).

    Raises SMSDeliveryError when the gateway refuses it, so a queued task retries it later
    (feedback.tasks.deliver_or_retry); each attempt is its own row, so the case page shows a
    refused attempt and the one that went through.
    """
    from feedback.models import SmsDelivery  # models import this module's callers

    delivery = SmsDelivery.objects.create(
        case=case, event=event, purpose=purpose[:40], state=SmsDelivery.State.QUEUED
    )
    try:
        gateway_id = get_backend().send(SMSMessage(to=to, body=body, sender=settings.SMS_SENDER_ID))
    except SMSDeliveryError as error:
        delivery.state = SmsDelivery.State.FAILED
        delivery.failure_reason = (error.reason or "not accepted by the gateway")[:100]
        delivery.save(update_fields=["state", "failure_reason", "updated_at"])
        logger.warning("sms %s not accepted: %s", delivery.pk, delivery.failure_reason)
        raise
    delivery.state = SmsDelivery.State.SENT
    delivery.gateway_id = gateway_id or None
    delivery.save(update_fields=["state", "gateway_id", "updated_at"])
