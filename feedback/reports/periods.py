"""The periods the public performance pages and the ranking offer: the last twelve months, a
calendar year, a calendar month. Plain date arithmetic, so a test needs no request."""

from __future__ import annotations

from datetime import date, timedelta

FIRST_YEAR = 2000  # no registry holds cases older than this; earlier years are refused


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before the one `day` falls in."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def last_twelve_months(today: date) -> tuple[date, date]:
    """The current month so far and the eleven whole months before it: twelve trend points."""
    return month_start(today, back=11), today


def calendar_year(year: int, today: date) -> tuple[date, date]:
    """The year, cut at today while it is still running (no empty future months)."""
    return date(year, 1, 1), min(date(year, 12, 31), today)


def calendar_month(first: date, today: date) -> tuple[date, date]:
    """The month, cut at today while it is still running."""
    return first, min(month_end(first), today)


def previous_month(today: date) -> date:
    """The last whole month: the ranking's default."""
    return month_start(today, back=1)
