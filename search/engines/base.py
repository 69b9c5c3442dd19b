"""The small protocol every search engine speaks; views, the API and Open311 call only this.

A search is a `SearchParams` (validated by search.forms, never raw request data); an engine
answers with a `SearchResult` of the same shape whichever engine it is.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

# The facets every engine counts, in the order the page shows them.
FACETS = ("institution", "kind", "service", "region", "year", "deadline_met", "satisfaction")
SORTS = ("relevance", "newest", "fastest")
PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchParams:
    """One search, already validated. Empty values mean "no filter"."""

    text: str = ""
    institution: int | None = None  # an Institution id: it and its whole subtree
    kind: str = ""
    service: int | None = None
    region: int | None = None  # a region or district Institution id: it and its districts
    year: int | None = None  # of resolution
    deadline_met: bool | None = None
    satisfaction: str = ""  # satisfied | disputed | no_answer
    sort: str = "relevance"  # relevance (newest without text) | newest | fastest
    page: int = 1
    page_size: int = PAGE_SIZE
    language: str = "en"  # the reader's language: labels and analysis of the text


@dataclass(frozen=True)
class FacetValue:
    value: str  # as it goes back into the URL (an id, a kind, "true"...)
    count: int


@dataclass(frozen=True)
class Hit:
    reference: str
    document: dict  # the indexed document (search.documents), as stored
    # field name -> fragments, HTML-escaped except the <mark>…</mark> around matched words
    highlights: dict[str, list[str]] = field(default_factory=dict)
    score: float | None = None


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]  # every name in FACETS, values with count > 0
    params: SearchParams
    suggestion: str = ""  # "did you mean", when the engine has one


class SearchEngine(Protocol):
    name: str

    def search(self, params: SearchParams) -> SearchResult: ...

    def similar(self, reference: str, *, limit: int = 5) -> list[Hit]: ...

    def scan(self, params: SearchParams) -> Iterator[dict]:
        """Every matching document (no paging, no highlights), for the open-data downloads."""

    def index(self, documents: list[dict]) -> None:
        """Add or replace these documents (idempotent)."""

    def remove(self, references: list[str]) -> None:
        """Remove these documents; absent ones are not an error."""

    def indexed_versions(self) -> dict[str, str]:
        """reference -> version of every document in the index, for `search_index verify`."""

    def rebuild(self, documents, *, progress=None) -> int:
        """Rebuild the whole index from these documents beside the live one, then switch."""
