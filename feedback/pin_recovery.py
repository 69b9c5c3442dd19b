"""Forgot your PIN?: a new PIN goes to the phone or e-mail address on file, never to a screen.

Anyone who knows a reference may ask, so the answer is the same whether or not the case has
contact details (no oracle), requests are throttled per reference and per client address in
the shared cache, and the PIN is drawn only when the task runs: the task row holds the case
id, and the PIN lives only in the message handed to the gateway and as a digest on the case.
"""

from django.db import transaction
from django_tasks import task

from feedback import limits, notifications, references, workflow
from feedback.models import Case
from feedback.tasks import deliver_or_retry, enqueue_with_change


class TooManyRequests(Exception):
    """This reference, or this client, asked for new PINs too often; try again later."""


def can_recover_pin(case: Case) -> bool:
    """Whether a lost PIN could reach this citizen: told at submission, never on tracking."""
    return notifications.pin_recipient(case) is not None


def _within(name: str, who: str) -> bool:
    """Count one request against a limit of feedback.limits; False once past it."""
    try:
        limits.hit(name, who)
    except limits.LimitExceeded:
        return False
    return True


def ask_for_new_pin(case: Case, *, client: str) -> None:
    """Queue a new PIN for this case, or raise TooManyRequests.

    Throttled per reference (an attacker who knows a reference could otherwise keep
    replacing its owner's PIN) and per client address (so one client cannot walk many
    references); the address limit is higher, as mobile networks and cyber cafés share one.
    """
    within = [
        _within("pin-resets-per-reference", case.reference),
        _within("pin-resets-per-address", client),
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
