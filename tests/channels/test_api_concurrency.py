"""Retries that arrive together: real concurrent clients against a live server on PostgreSQL.

Two (or more) requests with the same client and Idempotency-Key reach intake at the same
moment; the unique index on (channel, idempotency_key) lets one case in, and every other
request answers that case as a replay. Skipped without PostgreSQL, failed in CI.
"""

import threading

import pytest
import requests

from feedback.channels import keys
from feedback.models import Case, Channel

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

SENDERS = 6
ROUNDS = 5


def submission(round_: int) -> dict:
    return {
        "kind": "complaint",
        "service": "1111-1",
        "subject": f"Water bill doubled ({round_})",
        "description": "My March bill is twice the usual amount.",
        "contact_phone": "0712 345 678",
    }


def send_together(url: str, key: str, idempotency_key: str, body: dict) -> list:
    """SENDERS threads, released at once by a barrier, each POSTing the same submission."""
    barrier = threading.Barrier(SENDERS)
    answers, failures = [None] * SENDERS, []

    def send(slot: int) -> None:
        try:
            with requests.Session() as session:
                barrier.wait(timeout=30)
                answers[slot] = session.post(
                    url,
                    json=body,
                    headers={"X-Api-Key": key, "Idempotency-Key": idempotency_key},
                    timeout=60,
                )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=send, args=(slot,)) for slot in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return answers


def test_concurrent_retries_with_one_key_make_one_case(postgres, live_server):
    client, key = keys.create_client(name="Hasty app", requests_per_minute=10_000)
    url = f"{live_server.url}/api/v1/cases/"
    for round_ in range(ROUNDS):
        answers = send_together(url, key, f"retry-{round_}", submission(round_))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200] * (SENDERS - 1) + [201], [a.content for a in answers]
        references = {answer.json()["reference"] for answer in answers}
        assert len(references) == 1
        created = next(answer for answer in answers if answer.status_code == 201)
        assert created.json()["pin"]
        for replay in (answer for answer in answers if answer.status_code == 200):
            assert replay.json()["pin"] is None
            assert replay.headers["Idempotent-Replayed"] == "true"
        case = Case.objects.get(reference=references.pop())
        assert case.idempotency_key == keys.submission_key(client, f"retry-{round_}")
    assert Case.objects.filter(channel=Channel.API).count() == ROUNDS


def test_concurrent_submissions_with_different_keys_each_make_a_case(postgres, live_server):
    _client, key = keys.create_client(name="Busy app", requests_per_minute=10_000)
    url = f"{live_server.url}/api/v1/cases/"
    barrier = threading.Barrier(SENDERS)
    answers = []

    def send(slot: int) -> None:
        barrier.wait(timeout=30)
        answers.append(
            requests.post(
                url,
                json=submission(slot),
                headers={"X-Api-Key": key, "Idempotency-Key": f"own-{slot}"},
                timeout=60,
            )
        )

    threads = [threading.Thread(target=send, args=(slot,)) for slot in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201] * SENDERS
    assert Case.objects.filter(channel=Channel.API).count() == SENDERS
