"""The Elasticsearch connection, made once from settings, for outcome search and health checks."""

from functools import cache

from django.conf import settings
from elasticsearch import Elasticsearch
from elasticsearch_dsl import connections


class SearchEngineUnavailable(Exception):
    """Elasticsearch is configured but does not answer, or answers that it is unhealthy."""


def is_configured() -> bool:
    return bool(settings.ELASTICSEARCH_URL)


@cache
def get_client() -> Elasticsearch:
    """The shared client, registered as elasticsearch-dsl's default connection."""
    client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=10, retry_on_timeout=True)
    connections.add_connection("default", client)
    return client


def index_name(name: str) -> str:
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{name}"


def cluster_health() -> dict:
    """Cluster status; the test distribution answers 405 to `GET /`, so ping() cannot be used."""
    try:
        health = get_client().options(request_timeout=5).cluster.health()
    except Exception as error:  # any transport or HTTP failure means "unavailable"
        raise SearchEngineUnavailable(str(error)) from error
    if health["status"] not in ("green", "yellow"):
        raise SearchEngineUnavailable(f"cluster status is {health['status']}")
    return {"status": health["status"], "nodes": health["number_of_nodes"]}
