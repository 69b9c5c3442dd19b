"""The search parameters as the URL carries them, validated into a SearchParams.

Only the fields declared here reach a query; other GET parameters are ignored. Facet values
in the URL are those the engines count: ids for institution, service and region, the kind's
value, "2026" for a year, "true"/"false" for deadline_met, the satisfaction value.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import Kind
from search.documents import SATISFACTION_CHOICES
from search.engines.base import PAGE_SIZE, SearchParams, SearchResult

# Engines page no deeper than this (Elasticsearch's default max_result_window is 10,000).
MAX_RESULTS = 10_000
MAX_PAGE = MAX_RESULTS // PAGE_SIZE

SORT_CHOICES = [
    ("relevance", _("Most relevant")),
    ("newest", _("Newest")),
    ("fastest", _("Fastest resolved")),
]
DEADLINE_CHOICES = [("", _("Any")), ("true", _("Deadline met")), ("false", _("Deadline missed"))]


def _id_field(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Choose one from the list."),
            "min_value": _("Choose one from the list."),
        },
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search published outcomes"), required=False, max_length=200)
    institution = _id_field(_("Institution"))
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices]
    )
    service = _id_field(_("Service"))
    region = _id_field(_("Region or district"))
    year = forms.IntegerField(
        label=_("Year resolved"),
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={"invalid": _("Give a year as four digits, such as 2026.")},
    )
    deadline_met = forms.ChoiceField(label=_("Deadline"), required=False, choices=DEADLINE_CHOICES)
    satisfaction = forms.ChoiceField(
        label=_("Citizen's verdict"),
        required=False,
        choices=[("", _("Any")), *SATISFACTION_CHOICES],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(
        label=_("Page"),
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={
            "invalid": _("The page must be a number."),
            "min_value": _("Pages start at 1."),
            "max_value": _("Only the first %(limit_value)s pages can be shown: narrow the search."),
        },
    )

    def __init__(self, data=None, *, language: str = "en", **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.language = language

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    @property
    def search_params(self) -> SearchParams:
        """The validated search; call after is_valid()."""
        data = self.cleaned_data
        deadline = {"true": True, "false": False}.get(data["deadline_met"])
        return SearchParams(
            text=data["q"],
            institution=data["institution"],
            kind=data["kind"],
            service=data["service"],
            region=data["region"],
            year=data["year"],
            deadline_met=deadline,
            satisfaction=data["satisfaction"],
            sort=data["sort"] or "relevance",
            page=data["page"] or 1,
            language=self.language,
        )


def page_past_end(result: SearchResult) -> bool:
    """A page after the last one asked for (page 1 of nothing is an empty result, not an
    error): the view says so instead of showing an empty page."""
    params = result.params
    return params.page > 1 and (params.page - 1) * params.page_size >= result.total


def page_count(result: SearchResult) -> int:
    return max(1, min(MAX_PAGE, -(-result.total // result.params.page_size)))


def as_query(params: SearchParams, **changes) -> dict[str, str]:
    """The GET parameters of a search (with `changes`), so a link carries every filter."""
    values = {
        "q": params.text,
        "institution": params.institution,
        "kind": params.kind,
        "service": params.service,
        "region": params.region,
        "year": params.year,
        "deadline_met": {True: "true", False: "false"}.get(params.deadline_met),
        "satisfaction": params.satisfaction,
        "sort": "" if params.sort == "relevance" else params.sort,
        "page": params.page if params.page > 1 else None,
    }
    values.update(changes)
    return {key: str(value) for key, value in values.items() if value not in (None, "")}
