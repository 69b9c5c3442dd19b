"""The Elasticsearch connection against a real cluster (scripts/elasticsearch start).

Skipped on a laptop without ELASTICSEARCH_URL, failed in CI (tests.conftest.require_service).
Every test index gets a unique name, so suites running at once against one cluster do not collide.
"""

import uuid

import pytest
from django.test import override_settings
from elasticsearch_dsl import Document, Keyword, Text, connections

from search.engines.elasticsearch import (
    SearchEngineUnavailable,
    client_for,
    cluster_health,
    get_client,
    index_name,
    is_configured,
)
from tests.search.conftest import require_elasticsearch


def healthcheck_document(index: str) -> type[Document]:
    """A throwaway document type whose index is `index`, one shard and no replica (one node)."""

    class HealthcheckNote(Document):
        title = Keyword()
        body = Text(analyzer="standard")

        class Index:
            name = index
            settings = {"number_of_shards": 1, "number_of_replicas": 0}

    return HealthcheckNote


@pytest.fixture
def note_document():
    require_elasticsearch()
    document = healthcheck_document(index_name(f"healthcheck-test-{uuid.uuid4().hex[:12]}"))
    client = get_client()  # registers elasticsearch-dsl's "default" connection
    document.init()
    yield document
    client.indices.delete(index=document._index._name, ignore_unavailable=True)


@pytest.mark.elasticsearch
def test_cluster_health_is_yellow_or_green():
    require_elasticsearch()
    health = cluster_health()
    assert health["status"] in ("green", "yellow")
    assert health["nodes"] >= 1


@pytest.mark.elasticsearch
def test_a_saved_document_is_found_by_a_match_query(note_document):
    index = note_document._index._name
    assert index.startswith("mrejesho-test-healthcheck-test-")
    settings = get_client().indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["number_of_replicas"] == "0"

    note = note_document(title="water", body="The water supply in Kinondoni was cut for three days")
    note.meta.id = "note-1"
    note.save(refresh=True)

    found = note_document.search().query("match", body="water supply").execute()
    assert [hit.meta.id for hit in found] == ["note-1"]
    assert found[0].title == "water"

    missing = note_document.search().query("match", body="electricity tariff").execute()
    assert missing.hits.total.value == 0
    assert list(missing) == []


def test_the_client_follows_the_setting(settings):
    """Needs no server. A client kept regardless of ELASTICSEARCH_URL went on sending to the
    URL it was first made for."""
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:1"
    first = get_client()
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:2"
    second = get_client()
    assert [node.port for node in second.transport.node_pool.all()] == [2]
    assert second is not first and connections.get_connection() is second
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:1"
    assert get_client() is first and connections.get_connection() is first


def test_an_unreachable_cluster_raises_search_engine_unavailable():
    """Needs no server: nothing listens on port 1."""
    client_for.cache_clear()
    try:
        with override_settings(ELASTICSEARCH_URL="http://127.0.0.1:1"):
            assert is_configured()
            with pytest.raises(SearchEngineUnavailable):
                cluster_health()
    finally:
        # Drop the client for port 1 and give elasticsearch-dsl back the configured one.
        client_for.cache_clear()
        if is_configured():
            get_client()
        else:
            connections.remove_connection("default")
