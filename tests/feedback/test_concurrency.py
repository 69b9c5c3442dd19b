"""Many citizens at once: every submission gets its own reference, and the audit chain holds."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from feedback import references
from feedback.audit import verify_chain
from feedback.escalation import sweep
from feedback.models import Case, Status, SubmissionDraft
from tests.conftest import require_service
from tests.feedback.factories import build_test_world, case_in, submit_case, water_service

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PER_THREAD = 12


@pytest.fixture
def postgres():
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL=postgres://... (bash .ci/run does)",
    )
    # A transactional test starts from an empty database: build the test world again.
    build_test_world()


def _submit_in_threads(count_per_thread: int) -> list[BaseException]:
    def submit_some():
        for _ in range(count_per_thread):
            submit_case(contact=None)

    return _in_threads(*[submit_some] * THREADS)


def test_concurrent_submissions_never_share_a_reference(postgres):
    assert _submit_in_threads(PER_THREAD) == []
    refs = list(Case.objects.values_list("reference", flat=True))
    assert len(refs) == THREADS * PER_THREAD
    assert len(set(refs)) == len(refs)
    assert all(references.is_valid(ref) for ref in refs)
    assert verify_chain().ok


def test_colliding_draws_are_retried_until_unique(postgres, monkeypatch):
    # Draw from a small pool so that concurrent submissions really do collide.
    rng = random.Random(7)
    pool = sorted({references.new_reference() for _ in range(400)})
    lock = threading.Lock()
    draws = []

    def crowded_reference():
        with lock:
            draws.append(rng.choice(pool))
            return draws[-1]

    monkeypatch.setattr(references, "new_reference", crowded_reference)
    assert _submit_in_threads(PER_THREAD) == []
    refs = list(Case.objects.values_list("reference", flat=True))
    assert len(refs) == len(set(refs)) == THREADS * PER_THREAD
    assert len(draws) > len(refs), "no collision happened, so the retry was not exercised"
    assert verify_chain().ok


SENDS = 10


def test_ten_simultaneous_sends_of_one_draft_make_one_case(postgres):
    first = Client()
    first.post(
        "/en/feedback/new/",
        {
            "kind": "complaint",
            "service": water_service().pk,
            "subject": "Double click",
            "description": "Pressed send many times.",
            "phone": "0712 345 678",
            "notify_by": "sms",
        },
    )
    session_cookie = first.cookies["sessionid"].value
    start = threading.Barrier(SENDS)
    pages: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def send():
        try:
            browser = Client()  # one connection per thread, the same browser session
            browser.cookies["sessionid"] = session_cookie
            start.wait()
            response = browser.post("/en/feedback/new/review/", {"send": "1"})
            pages.append((response.status_code, response.content.decode()))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=send) for _ in range(SENDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert not SubmissionDraft.objects.exists()
    assert [status for status, _html in pages] == [200] * SENDS
    pages = [html for _status, html in pages]
    with_pin = [html for html in pages if 'data-testid="pin"' in html]
    assert len(with_pin) == 1, "the PIN is shown once, to the first send"
    assert sum("This feedback was already sent" in html for html in pages) == SENDS - 1
    spaced = f"{case.reference[:3]} {case.reference[3:6]} {case.reference[6:]}"
    assert all(spaced in html for html in pages)


def _in_threads(*jobs) -> list[BaseException]:
    """Run each job in its own thread (own connection), all released at once."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job):
        try:
            start.wait()
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_simultaneous_sweeps_escalate_each_overdue_case_once(postgres):
    cases = [case_in(Status.IN_PROGRESS) for _ in range(12)]
    late = max(case.resolve_due for case in cases) + timedelta(hours=1)
    results = []
    assert _in_threads(*[lambda: results.append(sweep(now=late))] * 2) == []
    for case in cases:
        case.refresh_from_db()
        assert case.escalation_level == 1, case.reference
        assert case.events.filter(action="escalate").count() == 1
    assert sum(result.counts["escalated"] for result in results) == len(cases)
    assert all(result.counts["failed"] == 0 for result in results)
    assert verify_chain().ok
