"""Many citizens at once: every submission gets its own reference, and the audit chain holds."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.test import Client

from feedback import references
from feedback.audit import verify_chain
from feedback.escalation import sweep
from feedback.models import Case, Status, SubmissionDraft
from tests.feedback.factories import case_in, submit_case, water_service

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PER_THREAD = 12


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


def _attempt_in_thread(results: list, job) -> None:
    """Run a workflow step; a refusal is an outcome, recorded, not an error."""
    from feedback import workflow

    try:
        results.append(job())
    except workflow.WorkflowError as refusal:
        results.append(refusal)


def test_two_officers_resolving_in_one_step_at_once_resolve_it_once(postgres):
    from feedback import workflow
    from tests.feedback.factories import actor, make_staff

    case = case_in(Status.SUBMITTED)
    second = workflow.staff(make_staff("officer-two", "officer", "111"))
    results: list = []
    jobs = [
        lambda: _attempt_in_thread(
            results, lambda: workflow.resolve(case, by=actor("officer"), response="First.")
        ),
        lambda: _attempt_in_thread(
            results, lambda: workflow.resolve(case, by=second, response="Second.")
        ),
    ]
    assert _in_threads(*jobs) == []
    refused = [r for r in results if isinstance(r, workflow.WorkflowError)]
    assert len(results) == 2 and len(refused) == 1
    assert isinstance(refused[0], workflow.TransitionNotAllowed)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    steps = list(case.events.exclude(action="submit").values_list("action", flat=True))
    assert steps == ["acknowledge", "start", "resolve"]
    assert verify_chain().ok


def _race_a_merge_and_a_resolve() -> None:
    from feedback import workflow
    from tests.feedback.factories import actor

    case = case_in(Status.ACKNOWLEDGED)
    surviving = case_in(Status.IN_PROGRESS)
    results: list = []
    jobs = [
        lambda: _attempt_in_thread(
            results, lambda: workflow.resolve(case, by=actor("officer"), response="Done.")
        ),
        lambda: _attempt_in_thread(
            results, lambda: workflow.merge(case, by=actor("lead"), into=surviving)
        ),
    ]
    assert _in_threads(*jobs) == []
    refused = [r for r in results if isinstance(r, workflow.WorkflowError)]
    assert len(refused) == 1, results
    case.refresh_from_db()
    if case.status == Status.RESOLVED:
        assert case.duplicate_of is None
        assert not case.events.filter(action="merge").exists()
    else:
        assert (case.status, case.duplicate_of_id) == (Status.REJECTED, surviving.pk)
        assert not case.events.filter(action__in=["start", "resolve"]).exists()


def test_a_merge_racing_a_resolve_leaves_one_of_them(postgres):
    for _round in range(3):
        _race_a_merge_and_a_resolve()
    assert verify_chain().ok


def test_two_cases_merged_into_each_other_at_once_never_make_a_loop(postgres):
    from feedback import workflow
    from tests.feedback.factories import actor

    first, second = case_in(Status.IN_PROGRESS), case_in(Status.IN_PROGRESS)
    results: list = []
    jobs = [
        lambda: _attempt_in_thread(
            results, lambda: workflow.merge(first, by=actor("officer"), into=second)
        ),
        lambda: _attempt_in_thread(
            results, lambda: workflow.merge(second, by=actor("lead"), into=first)
        ),
    ]
    assert _in_threads(*jobs) == []
    assert sum(isinstance(r, workflow.MissingInformation) for r in results) == 1, results
    merged = Case.objects.filter(pk__in=[first.pk, second.pk], duplicate_of__isnull=False)
    assert merged.count() == 1
    assert verify_chain().ok
