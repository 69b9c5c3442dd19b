"""Keeps the search index in step with the published outcomes (being built: issue 14)."""


def outcome_changed(case_id: int) -> None:
    """Queue the public outcome of this case for (re)indexing or removal, inside the caller's
    transaction, so the queue entry commits (or rolls back) with the change itself. Never
    raises because a search engine is down."""
