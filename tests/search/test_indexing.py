"""The index follows the outcomes: queued in the change's transaction, pushed on commit,
kept queued while the engine is down, drained by `search_index sync` and the sweep."""

import pytest
from django.core.management import CommandError, call_command

from feedback.escalation import sweep
from feedback.models import PublicOutcome
from search import indexing
from search.engines.base import SearchParams
from search.engines.database import DatabaseEngine
from search.engines.elasticsearch import SearchEngineUnavailable
from search.models import PendingIndexUpdate
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome


class DownEngine(DatabaseEngine):
    name = "down"

    def index(self, documents):
        raise SearchEngineUnavailable("connection refused")

    remove = index


@pytest.fixture(autouse=True)
def database_engine(settings):
    """These tests follow the queue, on the default engine (the behaviour suite covers both)."""
    settings.ELASTICSEARCH_URL = ""


@pytest.fixture
def engine_down(monkeypatch):
    monkeypatch.setattr(indexing, "get_engine", DownEngine)


def published(summary="Water meter replaced after a leak"):
    return publish_outcome(summary=summary, response="Fixed.", service=water_service())


@pytest.mark.django_db
def test_a_change_is_queued_and_pushed_when_it_commits(django_capture_on_commit_callbacks):
    outcome = published()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        indexing.outcome_changed(outcome.case_id)
        assert PendingIndexUpdate.objects.filter(case_id=outcome.case_id).exists()
    assert len(callbacks) == 2  # the push, and clearing the page cache (config.page_cache)
    assert not PendingIndexUpdate.objects.exists()
    hits = DatabaseEngine().search(SearchParams(text="leak")).hits
    assert [hit.reference for hit in hits] == [outcome.case.reference]


@pytest.mark.django_db
def test_a_withdrawn_outcome_leaves_the_index(django_capture_on_commit_callbacks):
    outcome = published()
    with django_capture_on_commit_callbacks(execute=True):
        indexing.outcome_changed(outcome.case_id)
    PublicOutcome.objects.filter(pk=outcome.pk).update(state=PublicOutcome.State.WITHDRAWN)
    with django_capture_on_commit_callbacks(execute=True):
        indexing.outcome_changed(outcome.case_id)
    assert DatabaseEngine().indexed_versions() == {}
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_a_down_engine_keeps_the_change_queued_and_the_publication_stands(
    engine_down, django_capture_on_commit_callbacks, monkeypatch
):
    outcome = published()
    with django_capture_on_commit_callbacks(execute=True):
        indexing.outcome_changed(outcome.case_id)  # raises nothing
    row = PendingIndexUpdate.objects.get(case_id=outcome.case_id)
    assert row.attempts == 1
    assert "connection refused" in row.last_error
    assert PublicOutcome.objects.public().filter(pk=outcome.pk).exists()

    with pytest.raises(CommandError, match="1 changes could not reach"):
        call_command("search_index", "sync")
    assert PendingIndexUpdate.objects.get().attempts == 2

    monkeypatch.setattr(indexing, "get_engine", DatabaseEngine)  # the engine is back
    result = sweep()
    assert result.counts["search_synced"] == 1
    assert not PendingIndexUpdate.objects.exists()
    call_command("search_index", "verify")


@pytest.mark.django_db
def test_verify_names_missing_stale_and_extra_outcomes_and_fails(capsys):
    kept, changed, dropped, absent = (published(f"Outcome number {n}") for n in range(4))
    engine = DatabaseEngine()
    call_command("search_index", "rebuild", "--quiet-progress")
    call_command("search_index", "verify")
    engine.remove([absent.case.reference])
    PublicOutcome.objects.filter(pk=changed.pk).update(summary="Edited after indexing")
    PublicOutcome.objects.filter(pk=dropped.pk).update(state=PublicOutcome.State.WITHDRAWN)
    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("search_index", "verify")
    out = capsys.readouterr().out
    assert "checked 3 published outcomes" in out
    assert "1 missing, 1 stale, 1 extra" in out
    assert f"missing: {absent.case.reference}" in out
    assert f"stale: {changed.case.reference}" in out
    assert f"extra: {dropped.case.reference}" in out
    assert kept.case.reference not in out


@pytest.mark.django_db
def test_a_rebuild_catches_up_with_outcomes_changed_while_it_read_them():
    """A rebuild loads what it read; changes pushed meanwhile went to the old index. The
    command verifies and repairs after the switch, so the index ends equal to the outcomes."""
    from feedback import workflow
    from search.documents import public_documents
    from search.verification import repair, verify
    from tests.feedback.factories import actor

    kept, withdrawn, rated = (published(f"Water meter case {n}") for n in range(3))
    read_before_the_changes = list(public_documents())
    workflow.withdraw_outcome(withdrawn.case, by=actor("admin"), reason="Names a street.")
    workflow.rate(rated.case, by=workflow.citizen_of(rated.case), score=1)
    engine = DatabaseEngine()
    engine.rebuild(read_before_the_changes)

    found = verify(engine)
    assert (found.missing, found.stale, found.extra) == (
        [],
        [rated.case.reference],
        [withdrawn.case.reference],
    )
    assert repair(engine, found) == 2
    assert verify(engine).clean
    assert set(engine.indexed_versions()) == {kept.case.reference, rated.case.reference}
