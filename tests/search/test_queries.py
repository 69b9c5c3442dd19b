"""The Elasticsearch request bodies built from validated parameters, without a server."""

import pytest

from search.engines.base import FACETS, SearchParams
from search.queries import build_request, similar_request, sorted_facet

NEWEST = [{"published_at": "desc"}, {"reference": "asc"}]


def facet_agg(field, *others):
    scope = {"bool": {"filter": list(others)}} if others else {"match_all": {}}
    return {"filter": scope, "aggs": {"values": {"terms": {"field": field, "size": 500}}}}


def test_no_parameters_is_every_outcome_newest_first_with_every_facet():
    assert build_request(SearchParams()) == {
        "query": {"match_all": {}},
        "sort": NEWEST,
        "from": 0,
        "size": 20,
        "track_total_hits": True,
        "aggs": {
            "institution": facet_agg("institutions"),
            "kind": facet_agg("kind"),
            "service": facet_agg("service.id"),
            "region": facet_agg("areas"),
            "year": facet_agg("year"),
            "deadline_met": facet_agg("deadline_met"),
            "satisfaction": facet_agg("satisfaction"),
        },
    }


def test_text_is_matched_in_both_languages_highlighted_and_spell_checked():
    body = build_request(SearchParams(text="bili ya maji", page=3, sort="relevance"))
    assert body["query"] == {
        "multi_match": {
            "query": "bili ya maji",
            "fields": ["summary^2", "summary.sw^2", "response", "response.sw"],
            "type": "cross_fields",
            "operator": "and",
        }
    }
    assert body["sort"] == [{"_score": "desc"}, *NEWEST]
    assert (body["from"], body["size"]) == (40, 20)
    assert body["highlight"] == {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "number_of_fragments": 0,
        "fields": {"summary": {}, "summary.sw": {}, "response": {}, "response.sw": {}},
    }
    assert body["suggest"] == {
        "spelling": {
            "text": "bili ya maji",
            "term": {"field": "words", "suggest_mode": "missing", "min_word_length": 3},
        }
    }


def test_filters_narrow_the_hits_and_every_facet_but_their_own():
    params = SearchParams(institution=12, kind="complaint", deadline_met=False, year=2026)
    body = build_request(params)
    institution = {"term": {"institutions": "12"}}
    kind = {"term": {"kind": "complaint"}}
    year = {"term": {"year": 2026}}
    deadline = {"term": {"deadline_met": False}}
    assert body["query"] == {"match_all": {}}
    assert body["post_filter"] == {"bool": {"filter": [institution, kind, year, deadline]}}
    assert body["aggs"]["institution"] == facet_agg("institutions", kind, year, deadline)
    assert body["aggs"]["kind"] == facet_agg("kind", institution, year, deadline)
    assert body["aggs"]["deadline_met"] == facet_agg("deadline_met", institution, kind, year)
    assert body["aggs"]["service"] == facet_agg("service.id", institution, kind, year, deadline)
    assert set(body["aggs"]) == set(FACETS)
    assert "highlight" not in body and "suggest" not in body


@pytest.mark.parametrize(
    ("params", "sort"),
    [
        (SearchParams(sort="newest", text="maji"), NEWEST),
        (SearchParams(sort="relevance"), NEWEST),
        (
            SearchParams(sort="fastest"),
            [{"days_taken": {"order": "asc", "missing": "_last"}}, *NEWEST],
        ),
    ],
)
def test_each_sort(params, sort):
    assert build_request(params)["sort"] == sort


def test_region_and_service_and_satisfaction_filters():
    body = build_request(SearchParams(region=7, service=3, satisfaction="disputed"))
    assert body["post_filter"] == {
        "bool": {
            "filter": [
                {"term": {"service.id": "3"}},
                {"term": {"areas": "7"}},
                {"term": {"satisfaction": "disputed"}},
            ]
        }
    }


def test_similar_is_more_like_this_on_the_public_texts():
    assert similar_request("x-outcomes", "123", limit=4) == {
        "query": {
            "more_like_this": {
                "fields": ["summary", "summary.sw", "response", "response.sw"],
                "like": [{"_index": "x-outcomes", "_id": "123"}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": 25,
            }
        },
        "size": 4,
        "sort": [{"_score": "desc"}, *NEWEST],
    }


def test_facet_values_most_first_then_by_value_numbers_as_numbers():
    values = sorted_facet([("10", 2), ("9", 2), ("3", 5), ("true", 0)])
    assert [(v.value, v.count) for v in values] == [("3", 5), ("9", 2), ("10", 2)]
