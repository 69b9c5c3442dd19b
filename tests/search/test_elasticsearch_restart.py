"""Done when: stop Elasticsearch, publish 50 outcomes, start it again, drain the queue, and all
50 are searchable and `search_index verify` is clean.

The shared instance on 9200 is never stopped: the test stops and restarts a second one of its
own (tests/conftest.py `own_elasticsearch`, shared with tests/faults/). Select it with
`-m elasticsearch_restart`; it runs where the other Elasticsearch tests run (CI=true fails
when it cannot).
"""

import pytest
from django.core.management import CommandError, call_command

from feedback.models import PublicOutcome
from search.engines import get_engine
from search.engines.base import SearchParams
from search.engines.elasticsearch import ElasticsearchEngine, alias_name, get_client
from search.models import PendingIndexUpdate
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome

COUNT = 50

pytestmark = [pytest.mark.elasticsearch, pytest.mark.elasticsearch_restart]


@pytest.mark.django_db
def test_outcomes_published_while_elasticsearch_is_down_are_searchable_after_it_returns(
    own_elasticsearch, django_capture_on_commit_callbacks
):
    engine = get_engine()
    assert isinstance(engine, ElasticsearchEngine)
    engine.rebuild([])  # the live index exists before the outage

    own_elasticsearch.run("stop")
    water = water_service()
    outcomes = []
    for number in range(COUNT):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = publish_outcome(
                summary=f"Water meter number {number} replaced during the outage",
                response="The meter was replaced.",
                service=water,
            )
            # approving it queued it for the index; the task runs on commit, and fails
        outcomes.append(outcome)
    assert PublicOutcome.objects.public().count() == COUNT  # no publication failed
    queued = PendingIndexUpdate.objects.all()
    assert queued.count() == COUNT
    assert all(row.attempts == 1 and row.last_error for row in queued)
    with pytest.raises(CommandError, match="unavailable"):
        call_command("search_index", "verify")

    own_elasticsearch.run("start")
    call_command("search_index", "sync")
    assert not PendingIndexUpdate.objects.exists()
    get_client().indices.refresh(index=alias_name())

    found = engine.search(SearchParams(text="outage", page_size=COUNT))
    assert found.total == COUNT
    assert {hit.reference for hit in found.hits} == {o.case.reference for o in outcomes}
    call_command("search_index", "verify")  # clean: raises nothing
