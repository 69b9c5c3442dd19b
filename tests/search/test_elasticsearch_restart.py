"""Done when: stop Elasticsearch, publish 50 outcomes, start it again, drain the queue, and all
50 are searchable and `search_index verify` is clean.

The shared instance on 9200 is never stopped: the test starts its own (scripts/elasticsearch
with its own ES_ROOT and ES_PORT), stops and restarts it. Select it with
`-m elasticsearch_restart`; it runs where the other Elasticsearch tests run (CI=true fails
when it cannot).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from feedback.models import PublicOutcome
from search import indexing
from search.engines import get_engine
from search.engines.base import SearchParams
from search.engines.elasticsearch import ElasticsearchEngine, alias_name, get_client
from search.models import PendingIndexUpdate
from tests.conftest import require_service
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "elasticsearch"
M2 = Path(os.environ.get("M2_REPO", Path.home() / ".m2" / "repository"))
ZIP = M2 / "org/elasticsearch/distribution/integ-test-zip/elasticsearch/8.19.7"
COUNT = 50

pytestmark = [pytest.mark.elasticsearch, pytest.mark.elasticsearch_restart]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnElasticsearch:
    """A second instance, in its own folder (readable by the unprivileged user it runs as)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mrejesho-es-restart-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def run(self, action: str) -> None:
        env = {**os.environ, "ES_ROOT": str(self.root), "ES_PORT": str(self.port)}
        env.setdefault("ES_START_TIMEOUT", "100")
        done = subprocess.run(
            ["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=150
        )
        assert done.returncode == 0, f"elasticsearch {action} failed:\n{done.stdout}{done.stderr}"

    def remove(self) -> None:
        self.run("stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def own_elasticsearch():
    require_service(
        "Elasticsearch",
        bool(os.environ.get("ELASTICSEARCH_URL")) and ZIP.is_dir(),
        "set ELASTICSEARCH_URL, with the distribution in ~/.m2 (scripts/elasticsearch start)",
    )
    instance = OwnElasticsearch()
    try:
        instance.run("start")
        get_client.cache_clear()
        with override_settings(
            ELASTICSEARCH_URL=instance.url,
            ELASTICSEARCH_INDEX_PREFIX=f"mrejesho-restart-{uuid.uuid4().hex[:8]}",
        ):
            yield instance
    finally:
        get_client.cache_clear()
        instance.remove()


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
            indexing.outcome_changed(outcome.case_id)  # the task runs on commit, and fails
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
