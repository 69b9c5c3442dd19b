"""Proving a citizen for one case (reference and PIN), and throttling those who keep trying.

Every channel (web, API, USSD, SMS, an agent at a service point) calls `prove`, with a client
key of its own choosing (the web gives the address, USSD and SMS the phone, with per=
limits.PHONE); nothing here needs a request. Counts per client are feedback.limits' (the one
table of limits); the per-reference back-off lives here. Both are in the shared cache.
Call `prove` outside a transaction that may roll back: on the database cache, a rollback would
take the count of a wrong PIN with it.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import limits, references, workflow
from feedback.models import Case

# How long one PIN check may hold its reference: long enough for the check, short enough that
# a process that died half-way does not block the citizen for long.
CHECK_HOLD_SECONDS = 10


class ProofFailed(workflow.WorkflowError):
    """The citizen could not be proved; adapters turn each kind into their channel's error."""

    code = "proof_failed"


class UnknownReference(ProofFailed):
    code = "unknown_reference"


class WrongPin(ProofFailed):
    code = "wrong_pin"


class TooManyAttempts(ProofFailed):
    """Refused without looking at the PIN; `retry_after` says in how many seconds to retry."""

    code = "too_many_attempts"

    def __init__(self, message, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def prove(
    reference: str,
    pin: str,
    client: str,
    *,
    per: str = limits.ADDRESS,
    agent=None,
    now: datetime | None = None,
) -> workflow.Actor:
    """The citizen of this one case (or `agent` acting on the PIN the citizen gave them).

    `client` is who is trying: an address, or (per=limits.PHONE) the phone of a USSD or SMS
    caller, which has its own, lower limit. Raises UnknownReference, WrongPin, or
    TooManyAttempts while this reference (or this client) must wait. A right PIN clears the
    reference's count of wrong ones.
    """
    now = now or timezone.now()
    try:
        reference = references.normalize(reference)
    except references.InvalidReference as error:
        raise UnknownReference(error.message) from error
    _refuse_busy_client(client, per, now)
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        _count_client_failure(client, per, now)
        raise UnknownReference(_("No case has this number. Check it and try again."))
    with _one_check_at_a_time(reference):
        wait = seconds_to_wait(reference, now=now)
        if wait:
            raise TooManyAttempts(
                _(
                    "Too many wrong PINs for this reference number. For your security, "
                    "try again in %(wait)s."
                )
                % {"wait": limits.duration(wait)},
                retry_after=wait,
            )
        if not workflow.check_pin(case, pin):
            count_wrong_pin(reference, client, per=per, now=now)
            raise WrongPin(_("That PIN does not match this reference number."))
        cache.delete(_reference_key(reference))
    return workflow.citizen_of(case, agent=agent)


def pause_after(failures: int) -> int:
    """Seconds a reference waits after this many wrong PINs in a row: none for the free tries,
    then twice as long for each one more, never longer than the cap (so the owner can always
    come back)."""
    extra = failures - settings.PIN_FREE_ATTEMPTS
    if extra < 0:
        return 0
    pause = settings.PIN_BACKOFF_FIRST_SECONDS * 2 ** min(extra, 32)
    return min(pause, settings.PIN_BACKOFF_MAX_SECONDS)


def seconds_to_wait(reference: str, *, now: datetime | None = None) -> int:
    """How long before a PIN for this reference may be tried (0: now)."""
    now = now or timezone.now()
    state = cache.get(_reference_key(reference))
    if not state:
        return 0
    until = state["last_failure"] + pause_after(state["failures"])
    return max(0, math.ceil(until - now.timestamp()))


def count_wrong_pin(
    reference: str, client: str, *, per: str = limits.ADDRESS, now: datetime | None = None
) -> None:
    """Count one wrong PIN against the reference and the client (prove() does it)."""
    now = now or timezone.now()
    state = cache.get(_reference_key(reference)) or {"failures": 0}
    state = {"failures": state["failures"] + 1, "last_failure": now.timestamp()}
    cache.set(_reference_key(reference), state, settings.PIN_FAILURES_REMEMBERED_SECONDS)
    _count_client_failure(client, per, now)


def limit_lookups(
    client: str, *, per: str = limits.ADDRESS, count: bool = True, now: datetime | None = None
) -> None:
    """Count one reference look-up from this client (unless `count` is False: a form that only
    leads to a counted look-up); raise TooManyAttempts past the per-address limit (per=
    limits.PHONE: the per-phone one), which keeps anyone from walking the space of references
    for the ones that exist."""
    name = "lookups-per-phone" if per == limits.PHONE else "lookups-per-address"
    try:
        if count:
            limits.hit(name, client, now=now)
        else:
            limits.check(name, client, now=now)
    except limits.LimitExceeded as error:
        if per == limits.PHONE:
            message = _(
                "Too many reference numbers were looked up from this phone. Try again in %(wait)s."
            )
        else:
            message = _(
                "Too many reference numbers were looked up from your network. "
                "Try again in %(wait)s."
            )
        raise TooManyAttempts(
            message % {"wait": limits.duration(error.retry_after)}, retry_after=error.retry_after
        ) from error


def _reference_key(reference: str) -> str:
    return f"pin-failures:{reference}"


def _pin_limit(per: str) -> str:
    return "pin-failures-per-phone" if per == limits.PHONE else "pin-failures-per-address"


def _refuse_busy_client(client: str, per: str, now: datetime) -> None:
    try:
        limits.check(_pin_limit(per), client, now=now)
    except limits.LimitExceeded as error:
        if per == limits.PHONE:
            message = _("Too many wrong PINs from this phone. Try again in %(wait)s.")
        else:
            message = _("Too many wrong PINs from your network. Try again in %(wait)s.")
        raise TooManyAttempts(
            message % {"wait": limits.duration(error.retry_after)}, retry_after=error.retry_after
        ) from error


def _count_client_failure(client: str, per: str, now: datetime) -> None:
    limits.count(_pin_limit(per), client, now=now)


@contextmanager
def _one_check_at_a_time(reference: str) -> Iterator[None]:
    """Let one PIN check at a time read and update a reference's count.

    Without it, a hundred guesses sent at once would all read "no wait" before the first wrong
    one was counted. cache.add() is atomic on Redis and Memcached, and on the database cache
    through its unique key (the hold is deleted when done, so no expired row lingers for a
    second add() to overwrite).
    """
    key = f"pin-check:{reference}"
    if not cache.add(key, 1, timeout=CHECK_HOLD_SECONDS):
        raise TooManyAttempts(
            _("A PIN for this reference number is being checked. Try again in a few seconds."),
            retry_after=CHECK_HOLD_SECONDS,
        )
    try:
        yield
    finally:
        cache.delete(key)
