"""The table of abuse limits and its counter: fixed windows, atomic counts, digests in keys."""

import base64
import contextlib
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from feedback import citizens, limits, pin_recovery, references
from tests.feedback.factories import submit_case

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # on the hour: every window starts here
PHONE = "+255712345678"
ADDRESS = "198.51.100.23"
NOBODYS = "400000000" + references.check_digit("400000000")  # well formed, no case


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_every_limit_reads_a_positive_budget_from_settings():
    for name, limit in limits.LIMITS.items():
        assert limit.name == name
        assert limit.per in (limits.ADDRESS, limits.PHONE, limits.API_CLIENT, limits.REFERENCE)
        allowed, window = limit.budget()
        assert allowed > 0 and window > 0, name
        if not limit.rate:
            assert hasattr(django_settings, limit.allowed), limit.allowed
            assert hasattr(django_settings, limit.window), limit.window


@pytest.mark.parametrize(
    ("rate", "budget"),
    [("60/minute", (60, 60)), ("2/s", (2, 1)), ("100/hour", (100, 3600)), ("5/10m", (5, 600))],
)
def test_rates_are_read_as_drf_writes_them(rate, budget):
    assert limits.parse_rate(rate) == budget


@pytest.mark.parametrize("rate", ["", "60", "minute", "-1/minute", "60/fortnight"])
def test_a_mistyped_rate_is_refused(rate):
    with pytest.raises(ValueError):
        limits.parse_rate(rate)


def test_hits_pass_up_to_the_limit_then_wait_for_the_next_window(settings):
    settings.SUBMISSIONS_PER_PHONE = 3
    settings.SUBMISSIONS_WINDOW_SECONDS = 3600
    assert [limits.hit("submissions-per-phone", PHONE, now=T0) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(limits.LimitExceeded) as refused:
        limits.hit("submissions-per-phone", PHONE, now=T0 + timedelta(minutes=20))
    assert refused.value.retry_after == 40 * 60  # what is left of the window
    assert refused.value.first_refusal
    assert "40 minutes" in refused.value.message
    with pytest.raises(limits.LimitExceeded) as again:
        limits.hit("submissions-per-phone", PHONE, now=T0 + timedelta(minutes=21))
    assert not again.value.first_refusal  # SMS answers the first refusal only
    # Another phone has its own count; the next window starts at zero.
    assert limits.hit("submissions-per-phone", "+255713000111", now=T0) == 1
    assert limits.hit("submissions-per-phone", PHONE, now=T0 + timedelta(hours=1)) == 1


def test_check_counts_nothing_and_count_never_refuses(settings):
    settings.PIN_FAILURES_PER_PHONE = 2
    limits.check("pin-failures-per-phone", PHONE, now=T0)
    assert limits.used("pin-failures-per-phone", PHONE, now=T0) == 0
    for expected in (1, 2, 3):
        assert limits.count("pin-failures-per-phone", PHONE, now=T0) == expected
    with pytest.raises(limits.LimitExceeded):
        limits.check("pin-failures-per-phone", PHONE, now=T0)


def test_a_callers_own_allowance_replaces_the_tables(settings):
    settings.API_CLIENT_WINDOW_SECONDS = 60  # a minute, as in production
    for _ in range(2):
        limits.hit("api-client", "7", now=T0, allowed=2)
    with pytest.raises(limits.LimitExceeded) as refused:
        limits.hit("api-client", "7", now=T0, allowed=2)
    assert (refused.value.allowed, refused.value.retry_after) == (2, 60)


def test_limits_of_the_same_person_are_counted_apart():
    limits.hit("submissions-per-phone", PHONE, now=T0)
    assert limits.used("sms-per-phone", PHONE, now=T0) == 0
    assert limits.used("submissions-per-phone", PHONE, now=T0) == 1


def test_phone_channels_have_their_own_lower_limits(settings):
    settings.PIN_FAILURES_PER_PHONE = 1
    settings.REFERENCE_LOOKUPS_PER_PHONE = 1
    submission = submit_case()
    reference = submission.case.reference
    with pytest.raises(citizens.UnknownReference):
        citizens.prove(NOBODYS, submission.pin, PHONE, per=limits.PHONE, now=T0)
    with pytest.raises(citizens.TooManyAttempts) as refused:
        citizens.prove(reference, submission.pin, PHONE, per=limits.PHONE, now=T0)
    assert "from this phone" in refused.value.message
    # An address is held to its own, higher limit.
    assert citizens.prove(reference, submission.pin, PHONE, now=T0)
    citizens.limit_lookups(PHONE, per=limits.PHONE, now=T0)
    with pytest.raises(citizens.TooManyAttempts):
        citizens.limit_lookups(PHONE, per=limits.PHONE, now=T0)


def test_pin_resets_count_through_the_table(settings):
    settings.PIN_RESET_MAX_PER_REFERENCE = 1
    case = submit_case().case
    pin_recovery.ask_for_new_pin(case, client=ADDRESS)
    with pytest.raises(pin_recovery.TooManyRequests):
        pin_recovery.ask_for_new_pin(case, client="203.0.113.9")
    assert limits.used("pin-resets-per-reference", case.reference) == 2


def cache_rows() -> list[tuple[str, str]]:
    """Every key and value of the database cache, the value unpickled to text."""
    table = connection.ops.quote_name(cache._table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {table}")
        rows = cursor.fetchall()
    return [(key, repr(pickle.loads(base64.b64decode(value)))) for key, value in rows]


def test_no_phone_number_or_address_is_kept_in_the_cache(settings):
    settings.SUBMISSIONS_PER_PHONE = 0  # every hit refused: the refusal must not leak either
    for name, limit in limits.LIMITS.items():
        who = PHONE if limit.per == limits.PHONE else ADDRESS
        with contextlib.suppress(limits.LimitExceeded):
            limits.hit(name, who, now=T0)
    submission = submit_case()
    with pytest.raises(citizens.WrongPin):
        citizens.prove(submission.case.reference, "000000", PHONE, per=limits.PHONE, now=T0)
    with pytest.raises(citizens.WrongPin):
        citizens.prove(submission.case.reference, "000000", ADDRESS, now=T0)
    rows = cache_rows()
    assert len(rows) >= len(limits.LIMITS)
    for key, value in rows:
        for secret in (PHONE, PHONE.lstrip("+"), "712345678", ADDRESS):
            assert secret not in key and secret not in value, (key, value)
