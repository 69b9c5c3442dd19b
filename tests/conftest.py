"""Suite-wide fixtures and the rule for real services: skipped on a laptop, failed in CI."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

# Shared, noisy machines: a slow example is not a failure (timings belong in bench/).
hypothesis_settings.register_profile("mrejesho", deadline=None)
hypothesis_settings.load_profile("mrejesho")

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, available: bool, how: str) -> None:
    """Skip a test whose real service is absent, except in CI, where absence is a failure."""
    if available:
        return
    message = f"{name} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def english_by_default():
    """Requests to /sw/ activate Swahili in the test thread; start every test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the test world (tests/feedback/factories.py) once; each test rolls back."""
    from django.core.management import call_command

    from tests.feedback.factories import build_test_world

    with django_db_blocker.unblock():
        call_command("createcachetable")  # the database cache (settings.CACHES) is no model
        build_test_world()


@pytest.fixture
def postgres():
    """For transactional tests that need PostgreSQL itself (real concurrent clients, other
    processes): failed in CI without it, skipped elsewhere. A transactional test starts from an
    empty database, so the test world is built again; the cache table outlives transactional
    tests, so counts left by others are cleared before and after."""
    from django.core.cache import cache
    from django.db import connection

    from tests.feedback.factories import build_test_world

    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL=postgres://... (bash .ci/run does)",
    )
    build_test_world()
    cache.clear()
    yield
    cache.clear()


OWN_ELASTICSEARCH = pytest.StashKey()


def _own_elasticsearch_possible() -> bool:
    from tests.own_elasticsearch import ZIP

    return bool(os.environ.get("ELASTICSEARCH_URL")) and ZIP.is_dir()


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they deselect
def pytest_collection_modifyitems(config, items):
    """A second Elasticsearch takes half a minute to start: when a selected test will need
    one, start it now, in the background, while the tests before that one run."""
    if config.option.collectonly:
        return
    if _own_elasticsearch_possible() and any(
        "own_elasticsearch" in getattr(item, "fixturenames", ()) for item in items
    ):
        from tests.own_elasticsearch import OwnElasticsearch

        instance = OwnElasticsearch()
        instance.start_in_background()
        config.stash[OWN_ELASTICSEARCH] = instance


def pytest_unconfigure(config):
    """Stop the second Elasticsearch, had no test come to use it (-x, or an interruption)."""
    instance = config.stash.get(OWN_ELASTICSEARCH, None)
    if instance is not None:
        instance.remove()


@pytest.fixture(scope="session")
def own_elasticsearch_server(pytestconfig):
    """The session's second Elasticsearch (tests/own_elasticsearch.py), started once: begun
    in the background at collection (above); waited for here."""
    from tests.own_elasticsearch import OwnElasticsearch

    require_service(
        "Elasticsearch",
        _own_elasticsearch_possible(),
        "set ELASTICSEARCH_URL, with the distribution in ~/.m2 (scripts/elasticsearch start)",
    )
    instance = pytestconfig.stash.get(OWN_ELASTICSEARCH, None) or OwnElasticsearch()
    try:
        instance.run("start")
        yield instance
    finally:
        pytestconfig.stash[OWN_ELASTICSEARCH] = None
        instance.remove()


@pytest.fixture
def own_elasticsearch(own_elasticsearch_server):
    """An Elasticsearch this test may stop and start: the settings point at it, with an index
    prefix of the test's own. Running again when the test begins, whatever the last one did."""
    import uuid

    from django.test import override_settings

    from search.engines.elasticsearch import client_for

    own_elasticsearch_server.run("start")
    client_for.cache_clear()
    try:
        with override_settings(
            ELASTICSEARCH_URL=own_elasticsearch_server.url,
            ELASTICSEARCH_INDEX_PREFIX=f"mrejesho-own-{uuid.uuid4().hex[:8]}",
        ):
            yield own_elasticsearch_server
    finally:
        client_for.cache_clear()


def seed_demo_content() -> None:
    """The demo's own institutions, services, staff and pages."""
    from feedback import demo
    from pages.demo import seed_pages

    demo.seed_institutions()
    demo.seed_services()
    demo.seed_users()
    seed_pages()


@pytest.fixture
def demo_content(db):
    """The demo's own institutions, services, staff and pages, for the tests of the demo."""
    seed_demo_content()
