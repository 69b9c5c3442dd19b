"""Facets and filters of one search, labelled for the reader, each with the link that toggles it.

Every link is built from the validated SearchParams (never from the raw query string), so a
shared URL carries exactly the filters the form declares, and nothing else.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from feedback.models import Institution, Service
from search.display import DEADLINE_LABELS, kind_label, name_in, satisfaction_label
from search.engines.base import FACETS, SearchParams, SearchResult
from search.forms import as_query

TEXT = "q"  # the search box's name in the URL (search.forms.SearchForm)
FACET_TITLES = {
    "institution": _("Institution"),
    "kind": _("Kind"),
    "service": _("Service"),
    "region": _("Region or district"),
    "year": _("Year resolved"),
    "deadline_met": _("Charter deadline"),
    "satisfaction": _("Citizen's verdict"),
}
# Values shown per facet; the rest are reached by narrowing the search first.
MOST_VALUES = 12


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    url: str  # the search with this value chosen, or removed when it is the active one
    active: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    links: list[FacetLink]

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    title: str
    label: str
    remove_url: str


def query(params: SearchParams, **changes) -> str:
    """The query string of this search with some URL values changed (None removes one); any
    change but the page's goes back to page 1."""
    if changes.get("page", 1) == 1:
        changes["page"] = None
    return "?" + urlencode(as_query(params, **changes))


def _url_value(value) -> str:
    """A SearchParams value as the URL carries it (search.forms.as_query)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Labels:
    """Names of the institutions, areas and services a page mentions: two queries in all."""

    def __init__(self, result: SearchResult | None, params: SearchParams, language: str):
        institution_ids = {params.institution, params.region} - {None}
        service_ids = {params.service} - {None}
        if result is not None:
            for name in ("institution", "region"):
                institution_ids |= {int(v.value) for v in result.facets.get(name, [])}
            service_ids |= {int(v.value) for v in result.facets.get("service", [])}
        self.language = language
        self.institutions = {
            row["id"]: name_in(row, language)
            for row in Institution.objects.filter(id__in=institution_ids).values(
                "id", "name", "name_sw"
            )
        }
        self.services = {
            row["id"]: name_in(row, language)
            for row in Service.objects.filter(id__in=service_ids).values("id", "name", "name_sw")
        }

    def of(self, name: str, value: str) -> str:
        if name in ("institution", "region"):
            return self.institutions.get(int(value), value)
        if name == "service":
            return self.services.get(int(value), value)
        if name == "kind":
            return kind_label(value)
        if name == "deadline_met":
            return str(DEADLINE_LABELS.get(value, value))
        if name == "satisfaction":
            return satisfaction_label(value)
        return value


def facets(result: SearchResult, labels: Labels) -> list[Facet]:
    """Every facet with its values and counts; the active value is always listed."""
    params = result.params
    shown = []
    for name in FACETS:
        active_value = _url_value(getattr(params, name))
        values = list(result.facets.get(name, []))[:MOST_VALUES]
        if active_value and all(v.value != active_value for v in values):
            values = [v for v in result.facets.get(name, []) if v.value == active_value] + values
        links = [
            FacetLink(
                label=labels.of(name, value.value),
                count=value.count,
                url=query(params, **{name: None if value.value == active_value else value.value}),
                active=value.value == active_value,
            )
            for value in values
        ]
        if links:
            shown.append(Facet(name=name, title=str(FACET_TITLES[name]), links=links))
    return shown


def active_filters(params: SearchParams, labels: Labels) -> list[ActiveFilter]:
    """The filters in force, each with the link that removes it alone."""
    active = []
    if params.text:
        active.append(ActiveFilter(TEXT, str(_("Words")), params.text, query(params, q=None)))
    for name in FACETS:
        value = _url_value(getattr(params, name))
        if value:
            active.append(
                ActiveFilter(
                    name,
                    str(FACET_TITLES[name]),
                    labels.of(name, value),
                    query(params, **{name: None}),
                )
            )
    return active


def hidden_filters(params: SearchParams) -> list[tuple[str, str]]:
    """The chosen facet values, as (name, value) pairs the search form carries along."""
    return [
        (name, _url_value(getattr(params, name)))
        for name in FACETS
        if _url_value(getattr(params, name))
    ]
