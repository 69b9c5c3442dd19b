"""Elasticsearch stopped: what the site does meanwhile, and that it catches up.

tests/search/test_elasticsearch_restart.py already proves the queue's side with 50 outcomes:
each publication queues a PendingIndexUpdate that stays, with its error, while the engine is
down; `search_index sync` pushes them all after the restart; `search_index verify` is clean.
This module adds what citizens and operators meet during the outage, on one Elasticsearch of
its own (its helper; one start for the module, the shared one on 9200 is never stopped):
submissions on the web and the API still give a reference and PIN; an officer's resolution
and a publication still commit; the search page says plainly that search is unavailable
(search.views answers 503 with that notice: there is no fallback to the database engine,
which holds no index while Elasticsearch is the engine); a published outcome's own page
still shows, without its "similar outcomes"; /healthz's search check fails; and after the
restart a second sync has nothing left to send.
"""

import json
import re

import pytest
from django.core.management import CommandError, call_command

from config import health
from feedback import workflow
from feedback.channels import keys
from feedback.models import Case, PublicOutcome
from search import indexing
from search.engines import get_engine
from search.engines.base import SearchParams
from search.engines.elasticsearch import (
    ElasticsearchEngine,
    SearchEngineUnavailable,
    alias_name,
    get_client,
)
from search.models import PendingIndexUpdate
from tests.feedback.factories import actor, case_in, water_service
from tests.search.factories import publish_outcome

pytestmark = [pytest.mark.elasticsearch, pytest.mark.elasticsearch_restart]

COUNT = 5
UNAVAILABLE = "Search is not available for a moment."


def submit_on_the_web(client) -> tuple[str, str]:
    form = {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": "Meter reads twice",
        "description": "My water meter counts every litre twice.",
        "phone": "0712 345 678",
        "notify_by": "sms",
    }
    assert client.post("/en/feedback/new/", form).status_code == 302
    response = client.post("/en/feedback/new/review/", {"send": "1"})
    assert response.status_code == 200
    thanks = response.content.decode()
    pin = re.search(r'data-testid="pin">(\d{6})<', thanks).group(1)
    reference = re.search(r'data-testid="reference">([\d ]+)<', thanks).group(1)
    return reference.replace(" ", ""), pin


def submit_on_the_api(client) -> tuple[str, str]:
    _client, key = keys.create_client(name="Mkoa app", organisation="Dar es Salaam Region")
    body = {
        "kind": "complaint",
        "service": "1111-1",
        "subject": "Meter reads twice",
        "description": "My water meter counts every litre twice.",
        "contact_phone": "0712 345 678",
    }
    response = client.post(
        "/api/v1/cases/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.content
    return response.json()["reference"], response.json()["pin"]


@pytest.mark.django_db
def test_the_site_answers_while_elasticsearch_is_down_and_the_index_catches_up(
    own_elasticsearch, client, django_capture_on_commit_callbacks
):
    engine = get_engine()
    assert isinstance(engine, ElasticsearchEngine)
    engine.rebuild([])
    with django_capture_on_commit_callbacks(execute=True):
        before = publish_outcome(summary="Kiosk meter replaced before", response="Replaced.")
    assert not PendingIndexUpdate.objects.exists()  # indexed at once while the engine is up

    own_elasticsearch.run("stop")

    # (a) citizens still submit; officers still resolve and publish
    cases_before = Case.objects.count()
    web_ref, web_pin = submit_on_the_web(client)
    api_ref, api_pin = submit_on_the_api(client)
    assert Case.objects.count() == cases_before + 2
    assert workflow.check_pin(Case.objects.get(reference=api_ref), api_pin)
    assert workflow.check_pin(Case.objects.get(reference=web_ref), web_pin)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.resolve(case_in("in_progress"), by=actor("officer"), response="Fixed.")
    published = []
    for number in range(COUNT):
        with django_capture_on_commit_callbacks(execute=True):
            published.append(
                publish_outcome(
                    summary=f"Outage meter number {number} replaced",
                    response="The meter was replaced.",
                    service=water_service(),
                )
            )
    assert PublicOutcome.objects.public().count() == COUNT + 1

    # the site keeps answering: a clear notice, the outcome page, a failing health check
    response = client.get("/en/search/", {"q": "meter"})
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert client.get(f"/en/outcomes/{before.case.reference}/").status_code == 200
    with pytest.raises(SearchEngineUnavailable):
        health.CHECKS["search"]()

    # (b) nothing is lost: each publication waits in the queue, with its error
    queued = PendingIndexUpdate.objects.all()
    assert {row.case_id for row in queued} == {o.case_id for o in published}
    assert all(row.attempts >= 1 and row.last_error for row in queued)
    with pytest.raises(CommandError, match="unavailable"):
        call_command("search_index", "verify")

    # (c) it comes back: everything is indexed, once; the index equals the database
    own_elasticsearch.run("start")
    assert health.CHECKS["search"]()["ok"]
    call_command("search_index", "sync")
    assert not PendingIndexUpdate.objects.exists()
    assert indexing.sync() == (0, 0)  # nothing left to send twice
    get_client().indices.refresh(index=alias_name())
    found = engine.search(SearchParams(text="outage", page_size=COUNT * 2))
    assert sorted(hit.reference for hit in found.hits) == sorted(
        o.case.reference for o in published
    )
    call_command("search_index", "verify")  # clean: raises nothing
    response = client.get("/en/search/", {"q": "outage"})
    assert response.status_code == 200
    assert UNAVAILABLE not in response.content.decode()
