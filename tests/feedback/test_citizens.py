"""Proving a citizen for one case, and the throttle on wrong PINs and reference look-ups."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from feedback import citizens, references, workflow
from tests.conftest import require_service
from tests.feedback.factories import build_test_world, submit_case, user

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CLIENT = "198.51.100.7"
NOBODYS = "400000000" + references.check_digit("400000000")  # well formed, no case has it


def wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def test_right_pin_proves_the_citizen_of_that_case_alone():
    submission = submit_case()
    actor = citizens.prove(submission.case.reference, submission.pin, CLIENT, now=T0)
    assert actor == workflow.citizen_of(submission.case)
    assert actor.case_id == submission.case.pk and actor.kind == "citizen"


def test_an_agent_proves_with_the_pin_the_citizen_gave():
    submission = submit_case()
    agent = user("agent")
    actor = citizens.prove(submission.case.reference, submission.pin, CLIENT, agent=agent, now=T0)
    assert actor == workflow.citizen_of(submission.case, agent=agent)


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("1234567890", citizens.UnknownReference),  # check digit wrong: not one of ours
        ("12 34", citizens.UnknownReference),
        (None, citizens.WrongPin),  # None: the case's own reference
    ],
)
def test_each_failure_raises_its_own_error(reference, error):
    submission = submit_case()
    with pytest.raises(error) as raised:
        citizens.prove(reference or submission.case.reference, wrong(submission.pin), CLIENT)
    assert raised.value.message


def test_wrong_pins_on_five_cases_from_one_address_do_not_stop_a_sixth_citizen(client, settings):
    """One address is a cyber café or a mobile network: others' mistakes are not the sixth's."""
    victims = [submit_case() for _ in range(5)]
    for submission in victims:
        for _attempt in range(settings.PIN_FREE_ATTEMPTS):
            url = f"/en/feedback/track/{submission.case.reference}/"
            client.post(url, {"action": "pin", "pin": wrong(submission.pin)})
        assert client.post(url, {"action": "pin", "pin": submission.pin}).status_code == 429
    sixth = submit_case()
    url = f"/en/feedback/track/{sixth.case.reference}/"
    response = client.post(url, {"action": "pin", "pin": sixth.pin})
    assert response.status_code == 302
    assert sixth.case.description in client.get(url).content.decode()  # the exchange is open


def test_guesses_on_one_reference_wait_longer_each_time_up_to_the_cap(settings):
    settings.PIN_FREE_ATTEMPTS = 3
    settings.PIN_BACKOFF_FIRST_SECONDS = 60
    settings.PIN_BACKOFF_MAX_SECONDS = 600
    submission = submit_case()
    reference, bad = submission.case.reference, wrong(submission.pin)
    now = T0
    for _free in range(3):  # the free tries: no wait in between
        with pytest.raises(citizens.WrongPin):
            citizens.prove(reference, bad, CLIENT, now=now)
    # Then 60, 120, 240, 480 seconds, and never more than the cap of 600 after that.
    for pause in (60, 120, 240, 480, 600, 600):
        assert citizens.seconds_to_wait(reference, now=now) == pause
        early = now + timedelta(seconds=pause - 1)
        with pytest.raises(citizens.TooManyAttempts) as refused:
            citizens.prove(reference, submission.pin, CLIENT, now=early)  # even the right one
        assert refused.value.retry_after == 1
        assert "try again in 1 minute" in refused.value.message
        now += timedelta(seconds=pause)
        with pytest.raises(citizens.WrongPin):
            citizens.prove(reference, bad, CLIENT, now=now)
    # The owner comes back after the cap and is let in; the count starts afresh.
    now += timedelta(seconds=600)
    assert citizens.prove(reference, submission.pin, CLIENT, now=now).case_id == submission.case.pk
    assert citizens.seconds_to_wait(reference, now=now) == 0


@pytest.mark.parametrize(
    ("failures", "pause"),
    [
        (0, 0),
        (4, 0),
        (5, 60),
        (6, 120),
        (7, 240),
        (10, 1920),
        (13, 15360),
        (14, 21600),
        (99, 21600),
    ],
)
def test_pause_after_doubles_past_the_free_tries_and_stops_at_six_hours(failures, pause):
    assert citizens.pause_after(failures) == pause


def test_refusals_while_waiting_do_not_extend_the_wait(settings):
    settings.PIN_FREE_ATTEMPTS = 1
    submission = submit_case()
    reference, bad = submission.case.reference, wrong(submission.pin)
    with pytest.raises(citizens.WrongPin):
        citizens.prove(reference, bad, CLIENT, now=T0)
    for second in range(1, 60, 10):
        with pytest.raises(citizens.TooManyAttempts):
            citizens.prove(reference, bad, CLIENT, now=T0 + timedelta(seconds=second))
    assert citizens.seconds_to_wait(reference, now=T0 + timedelta(seconds=30)) == 30


def test_an_address_has_a_far_higher_limit_of_its_own(settings):
    settings.PIN_FAILURES_PER_ADDRESS = 4
    cases = [submit_case() for _ in range(3)]
    for submission in cases[:2]:  # two wrong PINs each: four from this address
        for _attempt in range(2):
            with pytest.raises(citizens.WrongPin):
                citizens.prove(submission.case.reference, wrong(submission.pin), CLIENT, now=T0)
    with pytest.raises(citizens.TooManyAttempts) as refused:
        citizens.prove(cases[2].case.reference, cases[2].pin, CLIENT, now=T0)
    assert "from your network" in refused.value.message
    assert refused.value.retry_after == settings.PIN_ADDRESS_WINDOW_SECONDS
    # Another address is not affected, and the window passes.
    assert citizens.prove(cases[2].case.reference, cases[2].pin, "203.0.113.5", now=T0)
    later = T0 + timedelta(seconds=settings.PIN_ADDRESS_WINDOW_SECONDS)
    assert citizens.prove(cases[2].case.reference, cases[2].pin, CLIENT, now=later)


def test_wrong_pins_are_counted_across_processes_and_kept_over_a_restart(tmp_path):
    """Two worker processes, one after the other, on the default (database) cache."""
    database = tmp_path / "shared.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    count = (
        "from datetime import datetime, timezone\n"
        "from feedback import citizens\n"
        "now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)\n"
        "for _ in range({n}): citizens.count_wrong_pin('4000000007', 'client-{n}', now=now)\n"
        "print(citizens.seconds_to_wait('4000000007', now=now))\n"
    )
    manage("createcachetable")
    assert manage("shell", "-c", count.format(n=3)).split()[-1] == "0"  # three free tries
    # A fresh process (another worker, or the same after a restart) adds two and must wait.
    assert manage("shell", "-c", count.format(n=2)).split()[-1] == "60"


def test_reference_lookups_from_one_address_are_limited(client, settings):
    settings.REFERENCE_LOOKUPS_PER_ADDRESS = 3
    case = submit_case().case
    url = f"/en/feedback/track/{case.reference}/"
    for _lookup in range(3):
        assert client.get(url).status_code == 200
    for refused in (client.get(url), client.get("/en/feedback/track/", {"reference": NOBODYS})):
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= settings.REFERENCE_LOOKUP_WINDOW_SECONDS
        assert "Too many reference numbers were looked up" in refused.content.decode()
    # Someone else, at another address, is not held back.
    assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 200


def test_the_find_my_case_form_does_not_count_twice(client, settings):
    settings.REFERENCE_LOOKUPS_PER_ADDRESS = 2
    case = submit_case().case
    response = client.get("/en/feedback/track/", {"reference": case.reference}, follow=True)
    assert response.status_code == 200
    response = client.get("/en/feedback/track/", {"reference": case.reference}, follow=True)
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_simultaneous_guesses_after_the_free_tries_get_one_check_between_them(settings):
    """A burst sent the moment a wait ends must not all read "no wait" before one is counted."""
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")
    build_test_world()  # a transactional test starts from an empty database
    settings.PIN_FREE_ATTEMPTS = 1
    submission = submit_case(contact=None)
    reference, bad = submission.case.reference, wrong(submission.pin)
    with pytest.raises(citizens.WrongPin):
        citizens.prove(reference, bad, CLIENT, now=T0)
    moment = T0 + timedelta(seconds=settings.PIN_BACKOFF_FIRST_SECONDS)  # the wait just ended
    threads, outcomes = 8, []
    start = threading.Barrier(threads)

    def guess(number):
        try:
            start.wait()
            citizens.prove(reference, bad, f"203.0.113.{number}", now=moment)
        except citizens.ProofFailed as error:
            outcomes.append(type(error))
        finally:
            close_old_connections()

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes, key=str) == sorted(
        [citizens.WrongPin] + [citizens.TooManyAttempts] * (threads - 1), key=str
    )
    assert citizens.seconds_to_wait(reference, now=moment) == 2 * settings.PIN_BACKOFF_FIRST_SECONDS
