"""SMS delivery reports from Africa's Talking (`POST /channels/sms/delivery/`).

Their form: `id` (the messageId their send answered), `status` (Sent, Submitted, Buffered,
Rejected, Success, Failed, AbsentSubscriber, Expired), `phoneNumber`, `networkCode`,
`failureReason`, `retryCount`. Only the state and the reason are kept, on the SmsDelivery
that id names; the number is read by nobody. Always a 200 once the gateway is recognised: an
unknown id or a report we cannot read changes nothing, and their retries would not help.
"""

import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from feedback.channels.gateway import refusal
from feedback.models import SmsDelivery

logger = logging.getLogger("feedback.channels")

DELIVERED = frozenset({"success"})
FAILED = frozenset({"failed", "rejected", "absentsubscriber", "expired"})


def new_state(status: str) -> str:
    """The SmsDelivery state one of their statuses means: delivered, failed, else sent (the
    network has it and is still trying: Sent, Submitted, Buffered)."""
    status = status.strip().lower()
    if status in DELIVERED:
        return SmsDelivery.State.DELIVERED
    if status in FAILED:
        return SmsDelivery.State.FAILED
    return SmsDelivery.State.SENT


def record(gateway_id: str, status: str, failure_reason: str = "") -> bool:
    """Bring one delivery up to date; False if no delivery has this id. A final answer
    (delivered, failed) is not undone by a late "Sent" or "Buffered" arriving after it."""
    delivery = SmsDelivery.objects.filter(gateway_id=gateway_id).first() if gateway_id else None
    if delivery is None:
        return False
    state = new_state(status)
    final = (SmsDelivery.State.DELIVERED, SmsDelivery.State.FAILED)
    if state == SmsDelivery.State.SENT and delivery.state in final:
        return True
    delivery.state = state
    delivery.failure_reason = (
        (failure_reason.strip() or status.strip())[:100]
        if state == SmsDelivery.State.FAILED
        else ""
    )
    delivery.save(update_fields=["state", "failure_reason", "updated_at"])
    return True


@csrf_exempt
@require_POST
def report(request):
    refused = refusal(request)
    if refused is not None:
        return refused
    found = record(
        request.POST.get("id", "")[:100],
        request.POST.get("status", "")[:40],
        request.POST.get("failureReason", "")[:100],
    )
    if not found:
        logger.info("delivery report for an unknown message")
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")
