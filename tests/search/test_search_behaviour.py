"""One suite of search behaviour, run on every engine (tests/search/conftest.py `engine`):
the same outcomes, the same hits, the same order where one is defined, the same counts."""

import html

import pytest

from feedback.models import Institution, PublicOutcome
from search.documents import documents_for_cases
from search.engines.base import FACETS, SearchParams
from search.forms import page_past_end
from tests.feedback.factories import water_service
from tests.search.conftest import health_service

NEWEST = ["maji", "meter", "wodi", "children", "leak", "card"]


def names(result_or_hits, outcomes):
    by_reference = {reference: name for name, reference in outcomes.items()}
    hits = getattr(result_or_hits, "hits", result_or_hits)
    return [by_reference[hit.reference] for hit in hits]


def counts(result, facet):
    return {value.value: value.count for value in result.facets[facet]}


def inst(code):
    return Institution.objects.get(short_code=code).pk


def test_a_word_finds_the_outcomes_that_contain_it_and_marks_it(engine, indexed):
    result = engine.search(SearchParams(text="meter"))
    assert sorted(names(result, indexed)) == ["leak", "meter"]
    assert result.total == 2
    for hit in result.hits:
        assert "<mark>meter</mark>" in " ".join(hit.highlights["summary"]).lower()
        assert hit.document["reference"] == hit.reference


def test_every_word_must_match(engine, indexed):
    result = engine.search(SearchParams(text="insurance children"))
    assert names(result, indexed) == ["children"]
    assert engine.search(SearchParams(text="insurance")).total == 2


def test_a_swahili_word_is_found_and_highlighted_for_an_english_reader(engine, indexed):
    result = engine.search(SearchParams(text="maji", language="en"))
    assert names(result, indexed) == ["maji"]
    assert result.hits[0].highlights["summary"] == [
        "Bili ya <mark>maji</mark> imeongezeka mara mbili bila sababu"
    ]
    swahili_reader = engine.search(SearchParams(text="wauguzi", language="sw"))
    assert names(swahili_reader, indexed) == ["wodi"]
    assert "<mark>wauguzi</mark>" in swahili_reader.hits[0].highlights["response"][0]


def test_highlights_escape_the_text_except_the_marks(engine, indexed):
    result = engine.search(SearchParams(text="pharmacy"))
    (fragment,) = result.hits[0].highlights["summary"]
    assert "<mark>pharmacy</mark>" in fragment
    assert "<b>" not in fragment and "</b>" not in fragment  # escaped (&#x2F; or / both fine)
    assert html.unescape(fragment).endswith("<b>twice</b>")
    children = engine.search(SearchParams(text="babies")).hits[0]
    assert "children &amp; <mark>babies</mark>" in children.highlights["summary"][0]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "inquiry"}, ["children"]),
        ({"kind": "compliment"}, ["wodi"]),
        ({"service": "water"}, ["maji", "meter", "leak"]),
        ({"institution": "12"}, ["wodi", "children", "card"]),  # the ministry's whole subtree
        ({"institution": "1111"}, ["maji", "meter", "leak"]),
        ({"institution": "1"}, NEWEST),
        ({"region": "181"}, ["maji", "meter", "children", "leak"]),  # region and its districts
        ({"region": "1811"}, ["meter", "leak"]),
        ({"year": 2025}, ["card"]),
        ({"deadline_met": False}, ["maji"]),
        ({"deadline_met": True}, ["meter", "wodi", "children", "leak", "card"]),
        ({"satisfaction": "disputed"}, ["leak", "card"]),
        ({"satisfaction": "satisfied"}, ["meter", "children"]),
        ({"satisfaction": "no_answer"}, ["maji", "wodi"]),
        ({"service": "water", "satisfaction": "disputed"}, ["leak"]),
        ({"kind": "complaint", "year": 2026, "region": "181"}, ["maji", "meter"]),
    ],
)
def test_each_filter_keeps_exactly_its_outcomes(engine, indexed, filters, expected):
    services = {"water": water_service().pk, "health": health_service().pk}
    values = dict(filters)
    for key in ("institution", "region"):
        if key in values:
            values[key] = inst(values[key])
    if "service" in values:
        values["service"] = services[values["service"]]
    result = engine.search(SearchParams(sort="newest", **values))
    assert names(result, indexed) == expected
    assert result.total == len(expected)


def test_facets_count_every_value_of_every_facet(engine, indexed):
    result = engine.search(SearchParams())
    assert set(result.facets) == set(FACETS)
    assert counts(result, "kind") == {
        "complaint": 3,
        "inquiry": 1,
        "suggestion": 1,
        "compliment": 1,
    }
    assert counts(result, "satisfaction") == {"disputed": 2, "satisfied": 2, "no_answer": 2}
    assert counts(result, "year") == {"2026": 5, "2025": 1}
    assert counts(result, "deadline_met") == {"true": 5, "false": 1}
    assert counts(result, "service") == {str(water_service().pk): 3, str(health_service().pk): 2}
    assert counts(result, "region") == {str(inst("181")): 4, str(inst("1811")): 2}
    assert counts(result, "institution") == {
        str(inst(code)): count
        for code, count in [
            ("1", 6),
            ("11", 3),
            ("111", 3),
            ("1111", 3),
            ("12", 3),
            ("121", 2),
            ("122", 1),
        ]
    }
    # Most first, then by value: the same order on every engine.
    assert [v.value for v in result.facets["kind"]] == [
        "complaint",
        "compliment",
        "inquiry",
        "suggestion",
    ]
    assert [v.value for v in result.facets["year"]] == ["2026", "2025"]


def test_a_facet_counts_with_the_other_filters_but_not_its_own(engine, indexed):
    result = engine.search(SearchParams(kind="complaint"))
    assert result.total == 3
    assert counts(result, "kind") == {
        "complaint": 3,
        "inquiry": 1,
        "suggestion": 1,
        "compliment": 1,
    }
    assert counts(result, "satisfaction") == {"satisfied": 1, "no_answer": 1, "disputed": 1}
    assert counts(result, "year") == {"2026": 2, "2025": 1}

    with_text = engine.search(SearchParams(text="meter", satisfaction="disputed"))
    assert names(with_text, indexed) == ["leak"]
    assert counts(with_text, "satisfaction") == {"disputed": 1, "satisfied": 1}
    assert counts(with_text, "kind") == {"suggestion": 1}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", NEWEST),
        ("relevance", NEWEST),  # without text, relevance is newest
        ("fastest", ["children", "meter", "wodi", "leak", "card", "maji"]),
    ],
)
def test_each_sort_orders_as_defined(engine, indexed, sort, expected):
    assert names(engine.search(SearchParams(sort=sort)), indexed) == expected


def test_relevance_puts_the_outcome_that_says_it_most_first(engine, indexed):
    # "meter" in the summary and twice in all for both; "faulty meter" only in one.
    result = engine.search(SearchParams(text="faulty meter"))
    assert names(result, indexed) == ["meter"]
    ranked = engine.search(SearchParams(text="water"))
    assert names(ranked, indexed)[:2] in (["leak", "meter"], ["meter", "leak"])
    assert ranked.hits[0].score is None or ranked.hits[0].score > 0


def test_pages_follow_the_order_and_a_page_past_the_end_says_so(engine, indexed):
    pages = [
        engine.search(SearchParams(sort="newest", page=page, page_size=2)) for page in (1, 2, 3)
    ]
    assert [names(p, indexed) for p in pages] == [NEWEST[0:2], NEWEST[2:4], NEWEST[4:6]]
    assert {p.total for p in pages} == {6}
    beyond = engine.search(SearchParams(sort="newest", page=4, page_size=2))
    assert beyond.hits == [] and beyond.total == 6
    assert page_past_end(beyond) and not page_past_end(pages[2])


def test_nothing_found_is_an_empty_result_with_empty_facets(engine, indexed):
    result = engine.search(SearchParams(text="zzxqy"))
    assert result.hits == [] and result.total == 0
    assert result.facets == {name: [] for name in FACETS}
    assert not page_past_end(result)


def test_similar_outcomes_share_words_and_never_include_the_outcome_itself(engine, indexed):
    similar = names(engine.similar(indexed["meter"], limit=3), indexed)
    assert similar[0] == "leak"
    assert "meter" not in similar
    assert engine.similar("0000000000") == []


def test_scan_yields_every_matching_document_in_order(engine, indexed):
    documents = list(
        engine.scan(SearchParams(service=None, sort="newest", satisfaction="disputed"))
    )
    assert [d["reference"] for d in documents] == [indexed["leak"], indexed["card"]]


def test_index_replaces_and_remove_deletes(engine, indexed):
    outcome = PublicOutcome.objects.get(case__reference=indexed["card"])
    outcome.summary = "Insurance card accepted after the fix"
    outcome.save()
    (document,) = documents_for_cases([outcome.case_id]).values()
    engine.index([document])
    assert names(engine.search(SearchParams(text="accepted")), indexed) == ["card"]
    assert engine.search(SearchParams(text="pharmacy")).total == 0
    assert engine.indexed_versions()[indexed["card"]] == document["version"]

    engine.remove([indexed["card"], "0000000000"])
    assert indexed["card"] not in engine.indexed_versions()
    assert engine.search(SearchParams()).total == 5


def test_a_misspelt_word_gets_a_suggestion_where_the_engine_has_one(engine, indexed):
    result = engine.search(SearchParams(text="faulty metre"))
    assert result.total == 0
    # Elasticsearch's term suggester; the database engine offers none (said in its module).
    expected = "faulty meter" if engine.name == "elasticsearch" else ""
    assert result.suggestion == expected
