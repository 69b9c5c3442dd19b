"""Forgot your PIN?: a new PIN goes to the phone or e-mail address on file, never to a screen.

Anyone who knows a reference may ask, so the answer is the same whether or not the case has
contact details (no oracle), requests are throttled per reference and per client address in
the shared cache, and the PIN is drawn only when the task runs: the task row holds the case
id, and the PIN lives only in the message handed to the gateway and as a digest on the case.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_tasks import task

from feedback import notifications, references, workflow
from feedback.models import Case
from feedback.tasks import deliver_or_retry, enqueue_with_change


class TooManyRequests(Exception):
    """This reference, or this client, asked for new PINs too often; try again later."""


def can_recover_pin(case: Case) -> bool:
    """Whether a lost PIN could reach this citizen: told at submission, never on tracking."""
    return notifications.pin_recipient(case) is not None


def _count(key: str, limit: int) -> bool:
    """Count one request in a window that starts with the first; False once past the limit."""
    window = settings.PIN_RESET_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit


def ask_for_new_pin(case: Case, *, client: str) -> None:
    """Queue a new PIN for this case, or raise TooManyRequests.

    Throttled per reference (an attacker who knows a reference could otherwise keep
    replacing its owner's PIN) and per client address (so one client cannot walk many
    references); the address limit is higher, as mobile networks and cyber cafés share one.
    """
    within = [
        _count(f"pin-reset:ref:{case.reference}", settings.PIN_RESET_MAX_PER_REFERENCE),
        _count(f"pin-reset:client:{client}", settings.PIN_RESET_MAX_PER_CLIENT),
    ]
    if not all(within):
        raise TooManyRequests
    enqueue_with_change(send_new_pin, case_id=case.pk)


def replace_pin(case_id: int) -> bool:
    """Draw a new PIN, keep only its digest, and send it to the contact on file.

    All in one transaction on the locked case row: if the gateway refuses the message, the
    old PIN keeps working and the task retries with a fresh draw. False when there is no
    one to send it to (anonymous, or erased): then nothing changes.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        contact = notifications.pin_recipient(case) if case is not None else None
        if contact is None:
            return False
        pin = references.new_pin()
        case.pin_digest = workflow.pin_digest(case.reference, pin)
        case._change_reason = "new_pin"
        case.save()
        notifications.send_new_pin(case, contact, pin)
    return True


@task()
def send_new_pin(case_id: int, attempt: int = 1) -> None:
    deliver_or_retry(send_new_pin, attempt, lambda: replace_pin(case_id), case_id=case_id)
