"""Service-charter deadlines counted in working days.

Plain functions, no models and no database, so the rules can be tested (and reasoned about)
on their own. The rules:

* A *working day* is Monday to Friday, unless it is a public holiday of the country (ISO 3166
  code, e.g. ``"TZ"``) according to the ``holidays`` package. The app passes
  ``settings.HOLIDAYS_COUNTRY`` (see :func:`default_country`); the functions take the country
  as an argument so nothing here reads settings behind the caller's back.
* Every datetime must be timezone-aware. Dates are taken in the project's local time zone
  (``settings.TIME_ZONE``, Africa/Dar_es_Salaam), never UTC: a complaint received at 01:00 in
  Dar es Salaam is received on that local day. The *default* time zone is used, not a zone a
  request may have activated, so a deadline does not depend on who looks at it.
* A deadline is the end of a day, 23:59:59.999999 local time, because the charter promises an
  answer "within N working days", not within N*24 hours.
* The day something arrives never counts: received on Friday afternoon with 1 working day, it
  is due at the end of Monday (Tuesday if Monday is a holiday). ``days=0`` means "the same
  working day": the end of the start day if that is a working day, else of the next one.
* :func:`working_days_between` counts working days ``d`` with
  ``start.date() < d <= end.date()``, so ``working_days_between(s, add_working_days(s, n))``
  is ``n``.
* The clock stops while a case waits for the citizen. A pause costs the working days it
  covers, counted like :func:`working_days_between`: a pause over a weekend costs nothing; a
  pause from Monday to Wednesday costs two (Tuesday and Wednesday). Pauses are summed as given;
  the caller must not pass overlapping pauses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import holidays
from django.conf import settings
from django.utils import timezone

__all__ = [
    "add_working_days",
    "deadline_with_pauses",
    "default_country",
    "end_of_day",
    "extend_for_pause",
    "is_overdue",
    "is_working_day",
    "local_date",
    "public_holidays",
    "working_days_between",
]

Pause = tuple[datetime, datetime | None]


def default_country() -> str:
    """The country whose public holidays the app observes (``settings.HOLIDAYS_COUNTRY``)."""
    return settings.HOLIDAYS_COUNTRY


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year``, cached per (country, year).

    Building a calendar is slow compared with a set lookup, and deadlines are computed for
    every case in a list, so each year's calendar is built once. A frozenset (rather than the
    package's lazily self-expanding dict) keeps the cached value immutable and thread-safe.
    An unknown country raises ``NotImplementedError`` from the ``holidays`` package.
    """
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, country: str) -> bool:
    """Whether ``day`` is Monday to Friday and not a public holiday of ``country``.

    Takes a ``date``, not a ``datetime``: a datetime's day depends on its time zone, so
    callers must go through :func:`local_date` first (a datetime would otherwise never match
    a holiday date and silently count as a working day).
    """
    if isinstance(day, datetime):
        raise TypeError("is_working_day() takes a date; use local_date() on a datetime")
    return day.weekday() < 5 and day not in public_holidays(country, day.year)


def local_date(value: datetime) -> date:
    """The calendar day of an aware ``value`` in the project's time zone.

    Raises ``ValueError`` for a naive datetime: guessing its zone could shift a deadline by a
    day.
    """
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def end_of_day(day: date) -> datetime:
    """The last instant (23:59:59.999999) of ``day`` in the project's time zone, aware."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def _next_working_day(day: date, country: str) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def add_working_days(start: datetime, days: int, country: str) -> datetime:
    """The deadline for something received at ``start`` with ``days`` working days to answer.

    The end of the ``days``-th working day after the local start date; the start day itself
    never counts. ``days=0`` gives the end of the start day if it is a working day, else the
    end of the next working day. Raises ``ValueError`` for negative ``days`` or a naive
    ``start``.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, not {days}")
    day = local_date(start)
    if days == 0:
        if is_working_day(day, country):
            return end_of_day(day)
        return end_of_day(_next_working_day(day, country))
    for _ in range(days):
        day = _next_working_day(day, country)
    return end_of_day(day)


def working_days_between(start: datetime, end: datetime, country: str) -> int:
    """How many working days ``d`` satisfy ``local(start) < d <= local(end)``; 0 if end <= start.

    Half-open on the left to match :func:`add_working_days`: the start day was already "spent"
    when the clock started (or stopped), the end day is the one being used up.
    """
    if end <= start:
        return 0
    first = local_date(start) + timedelta(days=1)
    last = local_date(end)
    return sum(
        1
        for offset in range((last - first).days + 1)
        if is_working_day(first + timedelta(days=offset), country)
    )


def extend_for_pause(
    deadline: datetime, paused_from: datetime, resumed_at: datetime, country: str
) -> datetime:
    """``deadline`` pushed back by the working days a pause covered.

    The citizen, not the institution, held the case during the pause, so those working days
    are given back: ``working_days_between(paused_from, resumed_at)`` of them. A pause that
    costs no working day returns ``deadline`` unchanged; otherwise the result is the end of
    the day that many working days after the deadline's day.
    """
    lost = working_days_between(paused_from, resumed_at, country)
    if lost == 0:
        return deadline
    return add_working_days(deadline, lost, country)


def deadline_with_pauses(
    start: datetime,
    days: int,
    pauses: Iterable[Pause],
    country: str,
    now: datetime | None = None,
) -> datetime:
    """The deadline of :func:`add_working_days` extended by every pause in ``pauses``.

    Each pause is ``(paused_from, resumed_at)``; ``resumed_at=None`` means the case is still
    waiting for the citizen, and that pause counts up to ``now`` (default
    ``timezone.now()``), so the deadline keeps moving while the clock is stopped.
    """
    deadline = add_working_days(start, days, country)
    pauses = list(pauses)
    if any(resumed is None for _, resumed in pauses) and now is None:
        now = timezone.now()
    lost = sum(
        working_days_between(paused_from, resumed if resumed is not None else now, country)
        for paused_from, resumed in pauses
    )
    if lost == 0:
        return deadline
    return add_working_days(deadline, lost, country)


def is_overdue(deadline: datetime | None, now: datetime | None = None) -> bool:
    """Whether ``deadline`` has passed at ``now`` (default ``timezone.now()``).

    A case without a deadline (``None``: no charter, or already closed) is never overdue.
    """
    if deadline is None:
        return False
    if now is None:
        now = timezone.now()
    return now > deadline
