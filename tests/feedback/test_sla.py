"""Working-day deadlines: weekends, Tanzanian (and Kenyan) public holidays, pauses.

No database: feedback.sla is plain functions. Holiday dates below were checked against the
``holidays`` package (``holidays.country_holidays("TZ", years=[2026, 2027])``):
TZ 2026 Good Friday 04-03, Easter Monday 04-06, Karume Day Tue 04-07, Nyerere Day Wed 10-14,
Independence Day Wed 12-09, Christmas Fri 12-25, Boxing Day Sat 12-26, New Year Fri 2027-01-01.
KE (not TZ): Mashujaa Day Tue 2026-10-20, Boxing Day (observed) Mon 2027-12-27.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from feedback import sla

DAR = ZoneInfo("Africa/Dar_es_Salaam")


@pytest.fixture(autouse=True, scope="module")
def _dar_es_salaam():
    """Pin the zone and country, whatever TIME_ZONE / HOLIDAYS_COUNTRY the environment sets.

    Module-scoped (not pytest-django's function-scoped ``settings``) so hypothesis does not
    complain about a fixture shared between generated examples.
    """
    with override_settings(TIME_ZONE="Africa/Dar_es_Salaam", HOLIDAYS_COUNTRY="TZ"):
        yield


def at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    """An aware local (Dar es Salaam) datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=DAR)


def eod(y: int, m: int, d: int) -> datetime:
    """The end of a local day: what every deadline looks like."""
    return datetime.combine(date(y, m, d), time.max, tzinfo=DAR)


# --- is_working_day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        pytest.param(date(2026, 2, 9), "TZ", True, id="plain-monday"),
        pytest.param(date(2026, 2, 7), "TZ", False, id="saturday"),
        pytest.param(date(2026, 2, 8), "TZ", False, id="sunday"),
        pytest.param(date(2026, 12, 9), "TZ", False, id="tz-independence-day-wed"),
        pytest.param(date(2026, 12, 9), "KE", True, id="ke-works-on-tz-independence-day"),
        pytest.param(date(2026, 10, 20), "KE", False, id="ke-mashujaa-day-tue"),
        pytest.param(date(2026, 10, 20), "TZ", True, id="tz-works-on-mashujaa-day"),
        pytest.param(date(2026, 4, 3), "TZ", False, id="good-friday"),
        pytest.param(date(2026, 4, 6), "TZ", False, id="easter-monday"),
        pytest.param(date(2026, 4, 7), "TZ", False, id="tz-karume-day-tue"),
        pytest.param(date(2026, 12, 25), "TZ", False, id="christmas-fri"),
        pytest.param(date(2027, 1, 1), "TZ", False, id="new-year-2027-fri"),
        pytest.param(date(2027, 12, 27), "KE", False, id="ke-boxing-day-observed"),
        pytest.param(date(2027, 12, 27), "TZ", True, id="tz-no-observed-boxing-day"),
    ],
)
def test_is_working_day(day, country, expected):
    assert sla.is_working_day(day, country) is expected


def test_is_working_day_refuses_a_datetime():
    with pytest.raises(TypeError):
        sla.is_working_day(at(2026, 12, 9), "TZ")


# --- add_working_days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "country", "expected"),
    [
        # Weekends (February 2026 has no Tanzanian holiday).
        pytest.param(at(2026, 2, 6, 15), 1, "TZ", eod(2026, 2, 9), id="fri-pm+1=mon"),
        pytest.param(at(2026, 2, 6, 0, 1), 1, "TZ", eod(2026, 2, 9), id="fri-early+1=mon"),
        pytest.param(at(2026, 2, 7, 10), 1, "TZ", eod(2026, 2, 9), id="sat+1=mon"),
        pytest.param(at(2026, 2, 8, 23, 59), 1, "TZ", eod(2026, 2, 9), id="sun-late+1=mon"),
        pytest.param(at(2026, 2, 8, 10), 2, "TZ", eod(2026, 2, 10), id="sun+2=tue"),
        pytest.param(at(2026, 2, 9, 9), 1, "TZ", eod(2026, 2, 10), id="mon+1=tue"),
        pytest.param(at(2026, 2, 9, 9), 5, "TZ", eod(2026, 2, 16), id="mon+5=next-mon"),
        pytest.param(at(2026, 2, 11, 9), 5, "TZ", eod(2026, 2, 18), id="wed+5=next-wed"),
        pytest.param(at(2026, 2, 6, 9), 10, "TZ", eod(2026, 2, 20), id="fri+10=fri+2wk"),
        # days=0: the same working day, or the next one.
        pytest.param(at(2026, 2, 6, 9), 0, "TZ", eod(2026, 2, 6), id="fri+0=fri"),
        pytest.param(at(2026, 2, 7, 9), 0, "TZ", eod(2026, 2, 9), id="sat+0=mon"),
        pytest.param(at(2026, 12, 9, 9), 0, "TZ", eod(2026, 12, 10), id="holiday+0=next-day"),
        # The local date counts, not the UTC one: Thu 22:30 UTC is Fri 01:30 in Dar.
        pytest.param(
            datetime(2026, 2, 5, 22, 30, tzinfo=UTC), 1, "TZ", eod(2026, 2, 9), id="utc-thu=fri"
        ),
        # Tanzanian public holidays.
        pytest.param(at(2026, 12, 8), 1, "TZ", eod(2026, 12, 10), id="tue+1-skips-uhuru"),
        pytest.param(at(2026, 12, 9), 1, "TZ", eod(2026, 12, 10), id="on-uhuru+1=thu"),
        pytest.param(at(2026, 4, 2), 1, "TZ", eod(2026, 4, 8), id="thu+1-skips-easter+karume"),
        pytest.param(at(2026, 3, 27), 5, "TZ", eod(2026, 4, 8), id="fri+5-spans-easter"),
        pytest.param(at(2026, 12, 24), 1, "TZ", eod(2026, 12, 28), id="xmas-eve+1=mon"),
        pytest.param(at(2026, 12, 23), 5, "TZ", eod(2026, 12, 31), id="wed+5-spans-xmas"),
        pytest.param(at(2026, 12, 23), 6, "TZ", eod(2027, 1, 4), id="wed+6-spans-xmas+ny"),
        pytest.param(at(2026, 12, 31, 16), 1, "TZ", eod(2027, 1, 4), id="nye+1-skips-ny"),
        # Another country, another calendar.
        pytest.param(at(2026, 10, 19), 1, "TZ", eod(2026, 10, 20), id="tz-mon+1=tue"),
        pytest.param(at(2026, 10, 19), 1, "KE", eod(2026, 10, 21), id="ke-mon+1-skips-mashujaa"),
        pytest.param(at(2026, 10, 13), 1, "TZ", eod(2026, 10, 15), id="tz-tue+1-skips-nyerere"),
        pytest.param(at(2026, 10, 13), 1, "KE", eod(2026, 10, 14), id="ke-tue+1=wed"),
        pytest.param(at(2026, 4, 2), 1, "KE", eod(2026, 4, 7), id="ke-thu+1=tue-no-karume"),
        pytest.param(at(2027, 12, 24), 1, "TZ", eod(2027, 12, 27), id="tz-2027-xmas-eve+1=mon"),
        pytest.param(at(2027, 12, 24), 1, "KE", eod(2027, 12, 28), id="ke-2027-observed=tue"),
    ],
)
def test_add_working_days(start, days, country, expected):
    deadline = sla.add_working_days(start, days, country)
    assert deadline == expected
    local = timezone.localtime(deadline, DAR)
    assert local.time() == time.max
    assert timezone.is_aware(deadline)


@pytest.mark.parametrize(
    ("start", "days", "error"),
    [
        pytest.param(at(2026, 2, 6), -1, ValueError, id="negative-days"),
        pytest.param(datetime(2026, 2, 6, 12), 1, ValueError, id="naive-start"),
    ],
)
def test_add_working_days_rejects(start, days, error):
    with pytest.raises(error):
        sla.add_working_days(start, days, "TZ")


def test_default_country_reads_settings():
    assert sla.default_country() == "TZ"
    with override_settings(HOLIDAYS_COUNTRY="KE"):
        assert sla.default_country() == "KE"


# --- working_days_between -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(at(2026, 2, 9, 9), at(2026, 2, 9, 9), 0, id="same-instant"),
        pytest.param(at(2026, 2, 9, 9), at(2026, 2, 9, 17), 0, id="same-day"),
        pytest.param(at(2026, 2, 11), at(2026, 2, 9), 0, id="reversed"),
        pytest.param(at(2026, 2, 9, 17), at(2026, 2, 10, 8), 1, id="overnight"),
        pytest.param(at(2026, 2, 6), at(2026, 2, 8), 0, id="fri-to-sun"),
        pytest.param(at(2026, 2, 6), at(2026, 2, 9), 1, id="fri-to-mon"),
        pytest.param(at(2026, 2, 9), at(2026, 2, 16), 5, id="mon-to-mon"),
        pytest.param(at(2026, 12, 8), at(2026, 12, 10), 1, id="across-uhuru"),
        pytest.param(at(2026, 4, 2), at(2026, 4, 8), 1, id="across-easter+karume"),
        pytest.param(at(2026, 12, 24), at(2027, 1, 4), 5, id="across-xmas+ny"),
        pytest.param(
            datetime(2026, 2, 9, 21, 30, tzinfo=UTC),  # Tue 00:30 in Dar
            datetime(2026, 2, 10, 20, 0, tzinfo=UTC),  # Tue 23:00 in Dar
            0,
            id="utc-times-same-local-day",
        ),
    ],
)
def test_working_days_between(start, end, expected):
    assert sla.working_days_between(start, end, "TZ") == expected


# --- pauses ---------------------------------------------------------------------------------

# Received Monday 2 February 2026 with 5 working days: due the end of Monday 9 February.
START = at(2026, 2, 2, 10)
DEADLINE = eod(2026, 2, 9)


@pytest.mark.parametrize(
    ("deadline", "paused_from", "resumed_at", "expected"),
    [
        pytest.param(DEADLINE, at(2026, 2, 6, 17), at(2026, 2, 8, 9), DEADLINE, id="weekend=0"),
        pytest.param(DEADLINE, at(2026, 2, 3, 9), at(2026, 2, 3, 15), DEADLINE, id="same-day=0"),
        pytest.param(DEADLINE, at(2026, 2, 4), at(2026, 2, 3), DEADLINE, id="reversed=0"),
        pytest.param(
            DEADLINE, at(2026, 2, 2, 11), at(2026, 2, 4, 11), eod(2026, 2, 11), id="mon-wed=+2"
        ),
        pytest.param(
            DEADLINE, at(2026, 2, 6, 17), at(2026, 2, 9, 8), eod(2026, 2, 10), id="fri-mon=+1"
        ),
        pytest.param(
            eod(2026, 12, 14),
            at(2026, 12, 8),
            at(2026, 12, 10),
            eod(2026, 12, 15),
            id="pause-over-holiday=+1",
        ),
        pytest.param(
            eod(2026, 12, 8),
            at(2026, 2, 2),
            at(2026, 2, 4),
            eod(2026, 12, 11),
            id="extension-skips-holiday",
        ),
    ],
)
def test_extend_for_pause(deadline, paused_from, resumed_at, expected):
    assert sla.extend_for_pause(deadline, paused_from, resumed_at, "TZ") == expected


@pytest.mark.parametrize(
    ("pauses", "now", "expected"),
    [
        pytest.param([], None, DEADLINE, id="no-pauses"),
        pytest.param([(at(2026, 2, 6, 17), at(2026, 2, 8))], None, DEADLINE, id="weekend"),
        pytest.param(
            [(at(2026, 2, 2, 11), at(2026, 2, 4))], None, eod(2026, 2, 11), id="mon-wed=+2"
        ),
        pytest.param(
            [(at(2026, 2, 3, 10), None)], at(2026, 2, 5, 12), eod(2026, 2, 11), id="open-to-now=+2"
        ),
        pytest.param(
            [(at(2026, 2, 3, 10), None)], at(2026, 2, 3, 16), DEADLINE, id="open-same-day"
        ),
        pytest.param(
            [(at(2026, 2, 3), at(2026, 2, 4)), (at(2026, 2, 9), at(2026, 2, 11))],
            None,
            eod(2026, 2, 12),
            id="two-pauses=1+2",
        ),
        pytest.param(
            [
                (at(2026, 2, 3), at(2026, 2, 4)),
                (at(2026, 2, 6), at(2026, 2, 8)),
                (at(2026, 2, 10), None),
            ],
            at(2026, 2, 13),
            eod(2026, 2, 13),
            id="closed+weekend+open=1+0+3",
        ),
    ],
)
def test_deadline_with_pauses(pauses, now, expected):
    assert sla.deadline_with_pauses(START, 5, pauses, "TZ", now=now) == expected


def test_open_pause_counts_to_timezone_now_by_default(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 2, 5, 12))
    assert sla.deadline_with_pauses(START, 5, [(at(2026, 2, 3), None)], "TZ") == eod(2026, 2, 11)


def test_pauses_are_equivalent_to_successive_extensions():
    pauses = [(at(2026, 2, 3), at(2026, 2, 4)), (at(2026, 2, 9), at(2026, 2, 11))]
    step = sla.add_working_days(START, 5, "TZ")
    for paused_from, resumed_at in pauses:
        step = sla.extend_for_pause(step, paused_from, resumed_at, "TZ")
    assert sla.deadline_with_pauses(START, 5, pauses, "TZ") == step


# --- is_overdue -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "now", "expected"),
    [
        pytest.param(None, at(2026, 2, 9), False, id="no-deadline"),
        pytest.param(DEADLINE, at(2026, 2, 9, 23, 59), False, id="last-minute"),
        pytest.param(DEADLINE, DEADLINE, False, id="at-deadline"),
        pytest.param(DEADLINE, DEADLINE + timedelta(microseconds=1), True, id="1us-late"),
        pytest.param(DEADLINE, at(2026, 2, 10, 0, 0), True, id="next-midnight"),
        pytest.param(
            DEADLINE, datetime(2026, 2, 9, 21, 0, tzinfo=UTC), True, id="utc-after-local-midnight"
        ),
    ],
)
def test_is_overdue(deadline, now, expected):
    assert sla.is_overdue(deadline, now) is expected


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        pytest.param(timezone.now() - timedelta(minutes=1), True, id="past"),
        pytest.param(timezone.now() + timedelta(days=1), False, id="future"),
        pytest.param(None, False, id="none"),
    ],
)
def test_is_overdue_defaults_to_now(deadline, expected):
    assert sla.is_overdue(deadline) is expected


# --- property -------------------------------------------------------------------------------


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2028, 12, 31, 23, 59, 59),
        timezones=st.sampled_from([DAR, UTC]),
    ),
    n=st.integers(min_value=1, max_value=40),
    country=st.sampled_from(["TZ", "KE"]),
)
def test_deadline_is_n_working_days_after_start(start, n, country):
    deadline = sla.add_working_days(start, n, country)
    assert sla.working_days_between(start, deadline, country) == n
    assert sla.is_working_day(sla.local_date(deadline), country)
    assert timezone.localtime(deadline, DAR).time() == time.max
    assert deadline > start
    # One day fewer is earlier, except that days=0 on a non-working day means the next one.
    previous = sla.add_working_days(start, n - 1, country)
    if n > 1 or sla.is_working_day(sla.local_date(start), country):
        assert previous < deadline
    else:
        assert previous == deadline
