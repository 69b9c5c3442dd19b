"""The one way callers reach a search engine: `get_engine()`, never an engine class."""

from django.conf import settings

from search.engines.base import SearchEngine


def get_engine() -> SearchEngine:
    """Elasticsearch when `ELASTICSEARCH_URL` is set, else the database's own full-text search."""
    if settings.ELASTICSEARCH_URL:
        from search.engines.elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine()
    from search.engines.database import DatabaseEngine

    return DatabaseEngine()
