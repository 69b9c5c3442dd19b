"""The engines the search suite runs on, and the outcomes it searches.

`engine` is parametrised: the database engine always (SQLite locally, PostgreSQL when
DATABASE_URL is set), Elasticsearch when ELASTICSEARCH_URL answers (skipped on a laptop
without it, failed with CI=true). Each session uses its own index prefix.
"""

import uuid

import pytest
from django.conf import settings
from django.test import override_settings

from feedback.models import Institution, Kind, Service
from search.documents import public_documents
from tests.conftest import require_service
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome

SESSION_PREFIX = f"mrejesho-test-{uuid.uuid4().hex[:8]}"


def elasticsearch_reachable() -> bool:
    from search.engines.elasticsearch import SearchEngineUnavailable, cluster_health

    if not settings.ELASTICSEARCH_URL:
        return False
    try:
        cluster_health()
    except SearchEngineUnavailable:
        return False
    return True


def require_elasticsearch() -> None:
    require_service(
        "Elasticsearch",
        elasticsearch_reachable(),
        "set ELASTICSEARCH_URL (scripts/elasticsearch start)",
    )


@pytest.fixture(scope="session")
def es_prefix():
    """A unique index prefix for this session; its indices are deleted at the end."""
    yield SESSION_PREFIX
    if elasticsearch_reachable():
        from search.engines.elasticsearch import get_client

        client = get_client()
        # The cluster refuses wildcard deletes (action.destructive_requires_name): list, then name.
        names = list(client.indices.get(index=f"{SESSION_PREFIX}-*"))
        if names:
            client.indices.delete(index=",".join(names), ignore_unavailable=True)


@pytest.fixture(params=["database", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def engine(request, db, es_prefix):
    if request.param == "database":
        from search.engines.database import DatabaseEngine

        yield DatabaseEngine()
        return
    require_elasticsearch()
    from search.engines.elasticsearch import ElasticsearchEngine

    with override_settings(ELASTICSEARCH_INDEX_PREFIX=es_prefix):
        yield ElasticsearchEngine(refresh=True)


def health_service() -> Service:
    return Service.objects.get(institution__short_code="121", code="1")


def institution(code: str) -> Institution:
    return Institution.objects.get(short_code=code)


@pytest.fixture
def outcomes(db) -> dict[str, str]:
    """Six published outcomes across services, kinds, areas, years, verdicts and both
    languages; name -> reference."""
    water, health = water_service(), health_service()
    region, district = institution("181"), institution("1811")
    made = {
        "meter": publish_outcome(
            summary="Water bill doubled after a faulty meter reading",
            response="The meter was replaced and the bill corrected.",
            service=water,
            area=district,
            submitted="2026-03-02",
            days=2,
            published="2026-04-01",
            verdict="closed",
        ),
        "maji": publish_outcome(
            summary="Bili ya maji imeongezeka mara mbili bila sababu",
            response="Mita ilisomwa upya na bili ikarekebishwa.",
            language="sw",
            service=water,
            area=region,
            submitted="2026-03-09",
            days=10,
            published="2026-04-02",
        ),
        "card": publish_outcome(
            summary="Insurance card rejected at the hospital pharmacy <b>twice</b>",
            response="The card was reactivated and the member refunded.",
            service=health,
            submitted="2025-11-03",
            days=4,
            published="2026-01-10",
            verdict="rated:2",
        ),
        "children": publish_outcome(
            summary="How to register children & babies for health insurance",
            response="Children are registered at any office with a birth certificate.",
            kind=Kind.INQUIRY,
            service=health,
            area=region,
            submitted="2026-02-02",
            days=1,
            published="2026-03-01",
            verdict="rated:5",
        ),
        "leak": publish_outcome(
            summary="Water meter leaking on Uhuru Street",
            response="The leaking meter was replaced and the street repaired.",
            kind=Kind.SUGGESTION,
            service=water,
            area=district,
            submitted="2026-01-05",
            days=6,
            published="2026-02-01",
            verdict="reopened",
        ),
        "wodi": publish_outcome(
            summary="Wauguzi wa wodi ya watoto walitusaidia sana",
            response="Pongezi zimefikishwa kwa wauguzi.",
            language="sw",
            kind=Kind.COMPLIMENT,
            institution=institution("122"),
            submitted="2026-02-16",
            days=2,
            published="2026-03-15",
        ),
    }
    return {name: outcome.case.reference for name, outcome in made.items()}


@pytest.fixture
def indexed(engine, outcomes):
    """The outcomes, loaded into the engine under test the way `search_index rebuild` does."""
    assert engine.rebuild(public_documents()) == len(outcomes)
    return outcomes
