"""The search form: declared parameters only, clear errors, safe defaults."""

import pytest

from search.engines.base import SearchParams
from search.forms import SearchForm, as_query


def test_nothing_given_is_the_default_search():
    form = SearchForm({}, language="sw")
    assert form.is_valid()
    assert form.search_params == SearchParams(language="sw")


def test_every_parameter_reaches_the_search_and_unknown_ones_are_ignored():
    data = {
        "q": "  bili   ya maji ",
        "institution": "12",
        "kind": "complaint",
        "service": "3",
        "region": "7",
        "year": "2026",
        "deadline_met": "false",
        "satisfaction": "disputed",
        "sort": "fastest",
        "page": "2",
        "utm_source": "x",
        "size": "1000",
    }
    form = SearchForm(data)
    assert form.is_valid(), form.errors
    params = form.search_params
    assert params == SearchParams(
        text="bili ya maji",
        institution=12,
        kind="complaint",
        service=3,
        region=7,
        year=2026,
        deadline_met=False,
        satisfaction="disputed",
        sort="fastest",
        page=2,
    )
    assert as_query(params) == {
        k: v for k, v in data.items() if k not in ("utm_source", "size")
    } | {"q": "bili ya maji"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"page": "two"}, "page", "The page must be a number."),
        ({"page": "0"}, "page", "Pages start at 1."),
        ({"page": "100000"}, "page", "Only the first 500 pages can be shown"),
        ({"institution": "abc"}, "institution", "Choose one from the list."),
        ({"kind": "rant"}, "kind", "Select a valid choice"),
        ({"deadline_met": "maybe"}, "deadline_met", "Select a valid choice"),
        ({"satisfaction": "happy"}, "satisfaction", "Select a valid choice"),
        ({"sort": "random"}, "sort", "Select a valid choice"),
        ({"year": "last"}, "year", "Give a year as four digits"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
    ],
)
def test_a_bad_value_is_a_clear_error_on_its_field(data, field, message):
    form = SearchForm(data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
