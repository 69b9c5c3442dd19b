"""PURE: validated search parameters to the Elasticsearch request body (and the parts of that
mapping the database engine shares: which filters are active, how facet values are ordered).

No I/O here: tests compare the built bodies with expected ones, without a server. Facets
behave as in cfpb/ccdb5-api: the hits are filtered by every filter (`post_filter`), and each
facet's counts by every filter except its own, so a reader sees how many they would get by
choosing another value of that facet.
"""

from search.engines.base import FACETS, FacetValue, SearchParams

# facet name -> the document field it filters and counts
FACET_FIELDS = {
    "institution": "institutions",
    "kind": "kind",
    "service": "service.id",
    "region": "areas",
    "year": "year",
    "deadline_met": "deadline_met",
    "satisfaction": "satisfaction",
}
FACET_SIZE = 500
TEXT_FIELDS = ["summary^2", "summary.sw^2", "response", "response.sw"]
HIGHLIGHT_FIELDS = ("summary", "summary.sw", "response", "response.sw")
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SUGGEST_NAME = "spelling"


def active_filters(params: SearchParams) -> dict[str, str]:
    """facet name -> the value it is filtered on, as the URL and the facet counts spell it."""
    values = {
        "institution": params.institution,
        "kind": params.kind,
        "service": params.service,
        "region": params.region,
        "year": params.year,
        "deadline_met": {True: "true", False: "false"}.get(params.deadline_met),
        "satisfaction": params.satisfaction,
    }
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


def _facet_key(item: tuple[str, int]):
    value, count = item
    return (-count, (0, int(value), "") if value.isdigit() else (1, 0, value))


def sorted_facet(counts) -> list[FacetValue]:
    """(value, count) pairs as the pages show them: most first, then by value (numbers as
    numbers); the same order whichever engine counted."""
    return [FacetValue(value, count) for value, count in sorted(counts, key=_facet_key) if count]


def sort_order(params: SearchParams) -> str:
    """relevance without text is newest: there is nothing to be relevant to."""
    if params.sort == "relevance" and not params.text:
        return "newest"
    return params.sort


SORT_CLAUSES = {
    "relevance": [{"_score": "desc"}, {"published_at": "desc"}, {"reference": "asc"}],
    "newest": [{"published_at": "desc"}, {"reference": "asc"}],
    "fastest": [
        {"days_taken": {"order": "asc", "missing": "_last"}},
        {"published_at": "desc"},
        {"reference": "asc"},
    ],
}


def text_query(text: str) -> dict:
    """Every word must match, in either language's analysis (a Swahili word is found
    whatever the reader's language)."""
    return {
        "multi_match": {
            "query": text,
            "fields": TEXT_FIELDS,
            "type": "cross_fields",
            "operator": "and",
        }
    }


def filter_clause(name: str, value: str) -> dict:
    field = FACET_FIELDS[name]
    if name == "deadline_met":
        return {"term": {field: value == "true"}}
    if name == "year":
        return {"term": {field: int(value)}}
    return {"term": {field: value}}


def _all_of(clauses: list[dict]) -> dict:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def build_request(params: SearchParams) -> dict:
    """The body of one search request: query, filters, facets, highlights, sort, page, spelling."""
    filters = active_filters(params)
    body: dict = {
        "query": text_query(params.text) if params.text else {"match_all": {}},
        "sort": SORT_CLAUSES[sort_order(params)],
        "from": (params.page - 1) * params.page_size,
        "size": params.page_size,
        "track_total_hits": True,
        "aggs": {},
    }
    if filters:
        body["post_filter"] = _all_of([filter_clause(n, v) for n, v in filters.items()])
    for name in FACETS:
        others = [filter_clause(n, v) for n, v in filters.items() if n != name]
        body["aggs"][name] = {
            "filter": _all_of(others),
            "aggs": {"values": {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}},
        }
    if params.text:
        body["highlight"] = {
            "encoder": "html",
            "pre_tags": [MARK_OPEN],
            "post_tags": [MARK_CLOSE],
            "number_of_fragments": 0,  # the whole (short) text, marked
            "fields": {field: {} for field in HIGHLIGHT_FIELDS},
        }
        body["suggest"] = {
            SUGGEST_NAME: {
                "text": params.text,
                "term": {"field": "words", "suggest_mode": "missing", "min_word_length": 3},
            }
        }
    return body


def similar_request(index: str, reference: str, *, limit: int = 5) -> dict:
    """More-like-this on the public texts of one outcome (itself excluded)."""
    return {
        "query": {
            "more_like_this": {
                "fields": ["summary", "summary.sw", "response", "response.sw"],
                "like": [{"_index": index, "_id": reference}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": 25,
            }
        },
        "size": limit,
        "sort": [{"_score": "desc"}, {"published_at": "desc"}, {"reference": "asc"}],
    }
