"""Abuse limits: the one table of what is counted, per whom, how often, and the one counter.

Counts live in the shared cache (settings.CACHES), so every process sees them and a restart
keeps them. Windows are fixed (they start at multiples of their length, counted from the
epoch): simple, and a client can at most double its rate across a window's edge, which these
limits tolerate. Who is counted (an address, a phone number, an API client) is kept in a key
only as a keyed digest: the cache is not where personal data lives.

On the database cache (the default), Django's `incr` is a read then a write; here the count's
row is locked first (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the settings open every
transaction IMMEDIATE, which serialises writers), so parallel requests never share a count.
Redis and Memcached increment atomically on their own.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

ADDRESS = "address"
PHONE = "phone"
API_CLIENT = "API client"
REFERENCE = "reference"


@dataclass(frozen=True)
class Limit:
    """One named limit: `allowed` counts of `counts` per `per` in `window` seconds, both read
    from settings (`rate` instead names a setting such as "60/minute", as DRF writes them)."""

    name: str
    counts: str
    per: str
    allowed: str = ""
    window: str = ""
    rate: str = ""
    refused: str = _("Too many requests. Please try again in %(wait)s.")

    def budget(self) -> tuple[int, int]:
        """(how many, in how many seconds), read from settings at each call (tests and
        operators may change them)."""
        if self.rate:
            return parse_rate(getattr(settings, self.rate))
        return int(getattr(settings, self.allowed)), int(getattr(settings, self.window))


LIMITS = {
    limit.name: limit
    for limit in (
        Limit(
            "submissions-per-address",
            "feedback sent from the web form (and filled honeypots)",
            ADDRESS,
            "SUBMISSIONS_PER_ADDRESS",
            "SUBMISSIONS_WINDOW_SECONDS",
            refused=_(
                "Too much feedback was sent from your network. Please try again in %(wait)s."
            ),
        ),
        Limit(
            "submissions-per-phone",
            "feedback giving this phone number (web contact, USSD and SMS caller)",
            PHONE,
            "SUBMISSIONS_PER_PHONE",
            "SUBMISSIONS_WINDOW_SECONDS",
            refused=_(
                "Too much feedback was sent with this phone number. Please try again in %(wait)s."
            ),
        ),
        Limit(
            "lookups-per-address",
            "reference numbers looked up without a PIN",
            ADDRESS,
            "REFERENCE_LOOKUPS_PER_ADDRESS",
            "REFERENCE_LOOKUP_WINDOW_SECONDS",
        ),
        Limit(
            "lookups-per-phone",
            "reference numbers looked up without a PIN (USSD, SMS)",
            PHONE,
            "REFERENCE_LOOKUPS_PER_PHONE",
            "REFERENCE_LOOKUP_WINDOW_SECONDS",
        ),
        Limit(
            "pin-failures-per-address",
            "wrong PINs and unknown references",
            ADDRESS,
            "PIN_FAILURES_PER_ADDRESS",
            "PIN_ADDRESS_WINDOW_SECONDS",
        ),
        Limit(
            "pin-failures-per-phone",
            "wrong PINs and unknown references (USSD, SMS)",
            PHONE,
            "PIN_FAILURES_PER_PHONE",
            "PIN_ADDRESS_WINDOW_SECONDS",
        ),
        Limit(
            "pin-resets-per-reference",
            "new PINs asked for (Forgot your PIN?)",
            REFERENCE,
            "PIN_RESET_MAX_PER_REFERENCE",
            "PIN_RESET_WINDOW_SECONDS",
        ),
        Limit(
            "pin-resets-per-address",
            "new PINs asked for (Forgot your PIN?)",
            ADDRESS,
            "PIN_RESET_MAX_PER_CLIENT",
            "PIN_RESET_WINDOW_SECONDS",
        ),
        # Each client's own rate (ApiClient.requests_per_minute) is passed to hit() as
        # `allowed`; the setting is only the fallback.
        Limit(
            "api-client",
            "REST API and Open311 requests with a key",
            API_CLIENT,
            "API_CLIENT_DEFAULT_REQUESTS_PER_MINUTE",
            "API_CLIENT_WINDOW_SECONDS",
        ),
        Limit(
            "api-anonymous",
            "REST API and Open311 requests without a key",
            ADDRESS,
            rate="API_ANONYMOUS_RATE",
        ),
        Limit(
            "ussd-sessions-per-phone",
            "USSD sessions started",
            PHONE,
            "USSD_SESSIONS_PER_PHONE",
            "USSD_SESSIONS_WINDOW_SECONDS",
            refused=_("Too many sessions from this phone. Please dial again in %(wait)s."),
        ),
        Limit(
            "sms-per-phone",
            "SMS messages received",
            PHONE,
            "SMS_MESSAGES_PER_PHONE",
            "SMS_MESSAGES_WINDOW_SECONDS",
            refused=_(
                "Too many messages from this phone. Messages sent in the next %(wait)s will not "
                "be read or answered."
            ),
        ),
    )
}

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/minute" -> (60, 60): DRF's way of writing a rate (the period's first letter counts),
    with an optional number of periods ("100/10m")."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*", str(rate).lower())
    if match is None:
        raise ValueError(f"not a rate such as 60/minute: {rate!r}")
    count, periods, unit = match.groups()
    return int(count), int(periods or 1) * PERIODS[unit]


class LimitExceeded(Exception):
    """Past a limit: refuse, and say when to come back (`retry_after`, in seconds).

    `count` is this request's place in the window, so a channel whose every answer costs money
    (SMS) can answer the first refusal and stay silent after it."""

    def __init__(self, limit: Limit, retry_after: int, count: int, allowed: int):
        super().__init__(f"{limit.name}: {count} of {allowed}")
        self.limit = limit
        self.retry_after = retry_after
        self.count = count
        self.allowed = allowed

    @property
    def message(self) -> str:
        """Why, and for how long, in the active language."""
        return str(self.limit.refused) % {"wait": duration(self.retry_after)}

    @property
    def first_refusal(self) -> bool:
        return self.count == self.allowed + 1


def hit(name: str, who: str, *, now: datetime | None = None, allowed: int | None = None) -> int:
    """Count one of `name` for `who`, then refuse (LimitExceeded) if that made it one too many.

    Counting first and comparing the count returned is what keeps parallel requests honest:
    each gets its own number, so no more than `allowed` ever pass. Returns the count."""
    limit, key, left, allowed = _window(name, who, now, allowed)
    count = _increment(key, left)
    if count > allowed:
        raise LimitExceeded(limit, left, count, allowed)
    return count


def count(name: str, who: str, *, now: datetime | None = None) -> int:
    """Count one of `name` for `who` without refusing: for what is counted after the fact (a
    wrong PIN), while `check` refuses before the next try."""
    _limit, key, left, _allowed = _window(name, who, now, None)
    return _increment(key, left)


def check(name: str, who: str, *, now: datetime | None = None, allowed: int | None = None) -> None:
    """Refuse (LimitExceeded) if `who` already used all of `name` in this window; count
    nothing (a form that only leads to a counted request, a try before its failure counts)."""
    limit, key, left, allowed = _window(name, who, now, allowed)
    used = cache.get(key) or 0
    if used >= allowed:
        raise LimitExceeded(limit, left, used + 1, allowed)


def used(name: str, who: str, *, now: datetime | None = None) -> int:
    """How many of `name` `who` used in this window (for tests and operators)."""
    _limit, key, _left, _allowed = _window(name, who, now, None)
    return cache.get(key) or 0


def _window(name, who, now, allowed) -> tuple[Limit, str, int, int]:
    """The limit, the key of `who`'s count in the current window, the seconds left in it, and
    how many are allowed."""
    limit = LIMITS[name]
    budget, window = limit.budget()
    moment = int((now or timezone.now()).timestamp())
    start = moment - moment % window
    digest = salted_hmac("feedback.limits", f"{limit.per}:{who}", algorithm="sha256")
    key = f"limit:{name}:{digest.hexdigest()[:32]}:{start}"
    return limit, key, start + window - moment, budget if allowed is None else allowed


def _increment(key: str, timeout: int) -> int:
    """Add one to the count at `key` (created with `timeout`), atomically; the new count."""
    # `cache` is a proxy: the backend itself says which kind of cache counts.
    if isinstance(caches[DEFAULT_CACHE_ALIAS], DatabaseCache):
        return _increment_row(key, timeout)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


def _increment_row(key: str, timeout: int) -> int:
    """The database cache's increment, with the count's row locked from read to write.

    add() inserts the row or fails on its unique key (waiting for a parallel insert to commit);
    then the row exists and is locked before incr() reads it. A key names one window and
    expires at its end, so an expired row is never counted again."""
    database = router.db_for_write(cache.cache_model_class)
    connection = connections[database]
    with transaction.atomic(using=database):
        if cache.add(key, 1, timeout=timeout):
            return 1
        if connection.features.has_select_for_update:
            table = connection.ops.quote_name(cache._table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # nosec B608: our table
                    [cache.make_and_validate_key(key)],
                )
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=timeout)
            return 1


def duration(seconds: int) -> str:
    """A wait as people say it, rounded up to the minute ("1 hour and 5 minutes")."""
    hours, minutes = divmod(max(1, math.ceil(seconds / 60)), 60)
    hours_text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes_text = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    if not hours:
        return minutes_text
    if not minutes:
        return hours_text
    return gettext_now("%(hours)s and %(minutes)s") % {"hours": hours_text, "minutes": minutes_text}
